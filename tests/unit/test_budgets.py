"""Paging budgets: the fire bound is held to the longest acceptable real-time delay (scenario `budget:` or
obsdrill.yml paging_budgets per severity); a slower config fails naming the terms over it; the built-in
suite's budgets are the seed's own, so slowing any seed alert is caught."""

import shutil
from pathlib import Path

import pytest

from harness import bounds
from harness.config import load_source
from harness.errors import ConfigError
from harness.render import RenderedConfig, render
from harness.scenario import Scenario, load_scenarios
from harness.scenario.model import AlertExpectation
from harness.settings import project_root

STACK = project_root() / "stack"
RULES = Path("prometheus") / "alert_rules.yml"


def _rendered(tmp_path: Path, factor: float = 0.1, edit: tuple[str, str] | None = None,
              obsdrill: str | None = None) -> RenderedConfig:
    cfg = tmp_path / "cfg"
    shutil.copytree(STACK, cfg)
    if edit:
        text = (cfg / RULES).read_text()
        assert edit[0] in text
        (cfg / RULES).write_text(text.replace(edit[0], edit[1], 1))
    if obsdrill is not None:
        (cfg / "obsdrill.yml").write_text(obsdrill)
    return render(load_source(cfg), factor, tmp_path / "out")


def test_budget_caps_the_bound_and_explains_itself(tmp_path: Path) -> None:
    cfg = _rendered(tmp_path)
    deadlines = bounds.Deadlines(cfg.timing, slack=15)
    rule = cfg.rule("HighErrorRate")
    loose = bounds.Budget(3600, "test")
    assert deadlines.paged(rule, 0, loose) == deadlines.fire(rule)
    assert deadlines.paged(rule, 0, None) == deadlines.fire(rule)
    tight = deadlines.paged(rule, 4, bounds.Budget(60, "expect.alerts[].budget"))
    assert tight.seconds == pytest.approx(6 + 15 + 4)
    assert "paging budget 1m x factor 0.1 (expect.alerts[].budget)" in tight.explain()


def test_over_budget_names_the_terms(tmp_path: Path) -> None:
    cfg = _rendered(tmp_path)
    deadlines = bounds.Deadlines(cfg.timing, slack=15)
    rule = cfg.rule("HighErrorRate")  # range window 5m + scrape 15s + 2x evaluation 30s + for 2m + group_wait 10s
    assert deadlines.over_budget(rule, bounds.Budget(475, "b")) is None  # exactly the seed's 7m55s
    message = deadlines.over_budget(rule, bounds.Budget(240, "obsdrill.yml paging_budgets.critical"))
    assert message is not None
    assert "HighErrorRate can page 7m55s (real time)" in message
    assert "over its paging budget 4m (obsdrill.yml paging_budgets.critical) by 3m55s" in message
    assert "range window 5m + for 2m + 2x evaluation 30s + scrape 15s + group_wait 10s" in message
    assert "range window alone exceeds it" in message
    assert "the largest: range window 5m" in (deadlines.over_budget(rule, bounds.Budget(400, "b")) or "")


def test_paging_budgets_per_severity_from_obsdrill_yml(tmp_path: Path) -> None:
    cfg = _rendered(tmp_path, obsdrill="paging_budgets: {critical: 5m, warning: 15m}\n")
    assert dict(cfg.paging_budgets) == {"critical": 300.0, "warning": 900.0}
    rule = cfg.rule("HighErrorRate")
    config_only = bounds.budget_of(None, rule, cfg.paging_budgets)
    assert config_only == bounds.Budget(300, "obsdrill.yml paging_budgets.critical")
    assert bounds.budget_of(120, rule, cfg.paging_budgets) == bounds.Budget(120, "expect.alerts[].budget")
    assert bounds.budget_of(None, rule, ()) is None
    with pytest.raises(ConfigError, match=r"obsdrill.yml: paging_budgets.critical: 'soon' is not a duration"):
        _rendered(tmp_path / "bad", obsdrill="paging_budgets: {critical: soon}\n")
    with pytest.raises(ConfigError, match="paging_budgets: expected a mapping"):
        _rendered(tmp_path / "bad2", obsdrill="paging_budgets: [5m]\n")


def _seed_alerts(scenario: Scenario) -> list[AlertExpectation]:
    """The expected alerts of the seed's rules. A burn-rate alert (slo_rules.yml) pages once the burn fills
    enough of its window, long before the window is full, so its scenarios give `within` instead of a budget;
    tests/integration/test_slo.py replays it at real time."""
    return [exp for exp in scenario.alerts if not exp.name.endswith(("BudgetBurnPage", "BudgetBurnTicket"))]


def _suite_violations(cfg: RenderedConfig) -> list[str]:
    deadlines = bounds.Deadlines(cfg.timing, slack=15)
    out = []
    for scenario in load_scenarios(project_root() / "scenarios"):
        for exp in _seed_alerts(scenario):
            rule = cfg.rule(exp.name)
            assert exp.budget is not None, f"{scenario.name}: {exp.name} has no budget"
            over = deadlines.over_budget(rule, bounds.budget_of(exp.budget, rule, cfg.paging_budgets))
            out += [over] if over else []
    return out


def test_the_built_in_budgets_are_the_seeds_own(tmp_path: Path) -> None:
    assert _suite_violations(_rendered(tmp_path)) == []
    seed = _rendered(tmp_path / "seed", factor=1.0)
    deadlines = bounds.Deadlines(seed.timing, slack=0)
    for scenario in load_scenarios(project_root() / "scenarios"):
        for exp in _seed_alerts(scenario):  # not looser than the seed either: exactly its own latency
            own = sum(v for n, v in deadlines.fire(seed.rule(exp.name)).parts if n in bounds.CONFIG_TERMS)
            assert exp.budget == pytest.approx(own), f"{scenario.name}: {exp.name}"


@pytest.mark.parametrize(("old", "new", "term"), [
    ("for: 2m\n        labels:\n          severity: critical", "for: 3m\n        labels:\n          severity: critical",
     "for 3m"),
    ('status_code=~"5.."}[5m]', 'status_code=~"5.."}[10m]', "range window 10m"),
], ids=["longer-for", "wider-window"])
def test_a_slowed_seed_alert_is_caught(tmp_path: Path, old: str, new: str, term: str) -> None:
    problems = _suite_violations(_rendered(tmp_path, edit=(old, new)))
    assert problems and all("HighErrorRate" in p for p in problems)
    assert term in problems[0]


def test_a_longer_group_wait_is_caught(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    shutil.copytree(STACK, cfg)
    am = cfg / "alertmanager" / "alertmanager.yml"
    am.write_text(am.read_text().replace("group_wait: 10s", "group_wait: 1m", 1))
    problems = _suite_violations(render(load_source(cfg), 0.1, tmp_path / "out"))
    assert problems and any("group_wait 1m" in p for p in problems)


@pytest.mark.parametrize("mutant_id", ["for-multiplied:APIAvailabilityBudgetBurnPage",
                                       "window-widened:APIAvailabilityBudgetBurnTicket"])
def test_a_missed_fixed_deadline_names_the_slower_term_as_a_mutant_kill_must(tmp_path: Path, mutant_id: str) -> None:
    """A scenario's fixed `within` does not move with the config, so a slower mutant misses it; the failure
    then names the config's own terms at real time, which is what the mutant changed ("for 5m", "range
    window 18h"), not only the bound in scenario words."""
    from harness.mutate import operators
    mutant = next(m for m in operators.generate(load_source(STACK)) if m.id == mutant_id)
    cfg = tmp_path / "cfg"
    shutil.copytree(STACK, cfg)
    (cfg / mutant.file).write_text(mutant.text)
    rendered = render(load_source(cfg), 0.1, tmp_path / "out")
    text = bounds.Deadlines(rendered.timing, slack=15).late_terms(rendered.rule(mutant.alerts[0]))
    assert mutant.named_by(f"{mutant.alerts[0]} did not reach critical-alerts\n{text}"), (mutant.names, text)
    assert "at real time" in text and "computed bound at factor 0.1" in text
