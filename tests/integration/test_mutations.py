"""Broken configs must be caught: each test mutates a copy of the shipped config (a severity, a dropped label,
the seed's own label clash, a burn factor, a `for`), starts a stack on it and runs the matching built-in
scenario, which must fail with a message that names the defect. A raised threshold and a swapped route run
through `obsdrill mutate`'s own machinery on one reloaded stack (the last test)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import allure
import pytest
import requests

from harness.config import load_source
from harness.errors import ExpectationFailed
from harness.events import Events
from harness.mutate import operators
from harness.mutate.execution import KILLED, Executor, run_all
from harness.mutate.selection import plan
from harness.runtime import Runtime
from harness.scenario import load_scenario, load_scenarios
from harness.scenario.runner import ScenarioRunner
from harness.settings import Settings, project_root
from harness.stack import Stack

pytestmark = [pytest.mark.stack, pytest.mark.mutation]
RULES = Path("prometheus") / "alert_rules.yml"
HIGH_ERROR_LABELS = "for: 2m\n        labels:\n          severity: critical\n        annotations:\n" \
                    '          summary: "High error rate detected"'


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"mutation target {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def severity_to_warning(cfg: Path) -> None:
    _replace(cfg / RULES, HIGH_ERROR_LABELS, HIGH_ERROR_LABELS.replace("critical", "warning"))


def severity_label_dropped(cfg: Path) -> None:
    _replace(cfg / RULES, HIGH_ERROR_LABELS, HIGH_ERROR_LABELS.replace("          severity: critical\n", ""))


def seed_static_service_label(cfg: Path) -> None:
    """The seed's original HighErrorRate: `by (service)` plus a static service label (see alert_rules.yml)."""
    _replace(cfg / RULES, HIGH_ERROR_LABELS,
             HIGH_ERROR_LABELS.replace("severity: critical\n", "severity: critical\n          service: backend\n"))


MUTATIONS = [
    pytest.param(severity_to_warning, ["HighErrorRate fired with wrong labels", "severity='warning'",
                                       "(expected 'critical')"], id="severity-critical-to-warning"),
    pytest.param(severity_label_dropped, ["HighErrorRate", "severity=None", "(expected 'critical')"],
                 id="severity-label-dropped"),
    pytest.param(seed_static_service_label, ["rule HighErrorRate failed to evaluate",
                                             "same labelset after applying alert labels"],
                 id="seed-static-service-label-clash"),
]


@pytest.mark.parametrize(("mutate", "defect"), MUTATIONS)
def test_broken_config_fails_error_burst(mutate: Callable[[Path], None], defect: list[str],
                                         config_copy: Callable[[Callable[[Path], None]], Path],
                                         obsdrill_settings: Settings, obsdrill_runtime: Runtime) -> None:
    settings = obsdrill_settings.validated(config_dir=config_copy(mutate), stack_mode="core")
    _fails_naming(settings, obsdrill_runtime, "error-burst", defect)


def _fails_naming(settings: Settings, runtime: Runtime, scenario_name: str, defect: list[str]) -> None:
    """The built-in scenario fails on a core stack of ``settings`` with a message holding every part of ``defect``."""
    scenario = load_scenario(project_root() / "scenarios" / f"{scenario_name}.yaml")
    with Stack(settings, runtime) as stack, pytest.raises(ExpectationFailed) as failure:
        ScenarioRunner(stack).run(scenario)
    message = str(failure.value)
    allure.attach(message, name="failure message", attachment_type=allure.attachment_type.TEXT)
    missing = [part for part in defect if part not in message]
    assert not missing, f"the failure does not name the defect ({missing} not in):\n{message}"



SLO_RULES = Path("prometheus") / "slo_rules.yml"


def _replace_all(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"mutation target {old!r} not in {path}"
    path.write_text(text.replace(old, new))


def page_burn_lowered(cfg: Path) -> None:
    """The availability page's burn factors a tenth (14.4x -> 1.44x, 6x -> 0.6x; `obsdrill mutate`'s
    burn-factor:...:down): a 4x slow burn now pages. (6x -> 3x survives slow-burn: its 36 min window, all the
    history an emptied TSDB has, reaches 3x only after ~100 s of a 4x burn, past the 60 s it watches.)"""
    _replace_all(cfg / SLO_RULES, "> (14.4 * 0.001)", "> (1.44 * 0.001)")
    _replace_all(cfg / SLO_RULES, "> (6 * 0.001)", "> (0.6 * 0.001)")


def page_for_added(cfg: Path) -> None:
    """A `for: 30m` on the availability page (3 min at 0.1): it pages too late for the fast burn."""
    _replace(cfg / SLO_RULES, "    labels:\n      severity: critical\n      slo: api-availability",
             "    for: 30m\n    labels:\n      severity: critical\n      slo: api-availability")


SLO_MUTATIONS = [
    pytest.param("slo-slow-burn", page_burn_lowered, ["APIAvailabilityBudgetBurnPage", "(0.6 * 0.001)"],
                 id="page-burn-a-tenth"),
    pytest.param("slo-fast-burn", page_for_added, ["APIAvailabilityBudgetBurnPage",
                                                   "did not reach receiver 'critical-alerts'", "pending"],
                 id="page-for-30m"),
]


@pytest.mark.parametrize(("scenario_name", "mutate", "defect"), SLO_MUTATIONS)
def test_broken_burn_rate_rule_fails_its_slo_scenario(scenario_name: str, mutate: Callable[[Path], None],
                                                      defect: list[str],
                                                      config_copy: Callable[[Callable[[Path], None]], Path],
                                                      obsdrill_settings: Settings, obsdrill_runtime: Runtime) -> None:
    settings = obsdrill_settings.validated(config_dir=config_copy(mutate), stack_mode="core")
    _fails_naming(settings, obsdrill_runtime, scenario_name, defect)


def _loaded(stack: Stack, alert: str) -> str:
    """The expression Prometheus evaluates now for ``alert`` (its own rules API, not our rendered file)."""
    groups = requests.get(f"{stack.url('prometheus')}/api/v1/rules", params={"type": "alert"}, timeout=10)
    return next(str(r["query"]) for g in groups.json()["data"]["groups"] for r in g["rules"] if r["name"] == alert)


def test_obsdrill_mutate_runs_every_mutant_on_one_reloaded_stack(obsdrill_settings: Settings,
                                                                 obsdrill_runtime: Runtime, tmp_path: Path) -> None:
    """Two mutants of the shipped config, each reloaded into the same core stack (no restart): both are killed
    by name, Prometheus evaluated the mutant's rule while it ran and the config under test after, and the one
    stack is stopped at the end."""
    settings = obsdrill_settings.validated(config_dir=project_root() / "stack", reports_dir=tmp_path)
    mutants = operators.only(operators.generate(load_source(settings.config_dir)),
                             ["threshold:HighErrorRate:up", "route-receiver-swapped:route.routes[0]"])
    scenarios = [s for s in load_scenarios(project_root() / "scenarios") if s.name == "error-burst"]
    said: list[str] = []
    with Executor(settings, obsdrill_runtime, tmp_path / "work", Events, say=said.append) as executor:
        threshold = run_all([plan(mutants[0], scenarios)], executor, budget_s=1800)
        stack = executor.stacks["core"]
        assert "> 0.5" in _loaded(stack, "HighErrorRate")  # the mutant is what Prometheus ran
        routed = run_all([plan(mutants[1], scenarios)], executor, budget_s=1800)
        executor.stack("core", settings.config_dir)
        assert "> 0.05" in _loaded(stack, "HighErrorRate") and stack.settings.config_dir == settings.config_dir
        assert list(executor.stacks) == ["core"] and sum("starting the core stack" in line for line in said) == 1
    fates = threshold + routed
    assert [(f.mutant.id, f.fate) for f in fates] == [(m.id, KILLED) for m in mutants], \
        "\n".join(f"{f.mutant.id}: {f.fate}: {f.message}" for f in fates)
    # the raised threshold (5% -> 50%) and the critical route's receiver swapped, each named in the message
    assert "did not reach receiver 'critical-alerts' within the bound" in fates[0].message, fates[0].message
    assert "(threshold > 0.5)" in fates[0].message, fates[0].message
    assert "HighErrorRate was routed to receiver" in fates[1].message, fates[1].message
    assert "expected 'critical-alerts'" in fates[1].message, fates[1].message
    assert not stack.containers  # stopped on exit
