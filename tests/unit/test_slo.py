"""Objectives (OpenSLO) -> burn-rate rules -> a scenario's error budget: the parts that need no stack."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.settings import project_root
from harness.slo import rules
from harness.slo.budget import consumed
from harness.slo.objectives import load_objectives, parse_objectives

STACK = project_root() / "stack"


def test_the_seeds_four_objectives() -> None:
    got = {o.name: (o.target, o.window, o.budget) for o in load_objectives(STACK)}
    assert got == {"api-availability": (0.999, "30d", 0.001), "api-latency": (0.95, "7d", 0.05),
                   "cv-analysis-success": (0.99, "7d", 0.01), "payment-success": (0.995, "30d", 0.005)}


def test_every_problem_is_named_with_its_document_and_path(tmp_path: Path) -> None:
    text = (STACK / "slo/objectives.yml").read_text()
    broken = text.replace("target: 0.999", "target: 99.9", 1).replace("duration: 7d", "duration: week", 1)
    with pytest.raises(ConfigError) as info:
        parse_objectives(broken, tmp_path / "objectives.yml")
    message = str(info.value)
    assert "document 1.spec.objectives[0].target: 99.9 is greater than or equal to the maximum of 1" in message
    assert "document 2.spec.timeWindow[0].duration: 'week' does not match" in message
    twice = text + "---\n" + text.split("---\n")[0]
    with pytest.raises(ConfigError, match=r"metadata\.name api-availability appears in more than one document"):
        parse_objectives(twice, tmp_path / "objectives.yml")


def test_the_workbook_policy_becomes_one_page_and_one_ticket_alert_per_objective() -> None:
    objective = load_objectives(STACK)[0]
    doc = rules.generate((objective,))
    page, ticket = doc["groups"][0]["rules"]
    assert (page["alert"], page["labels"]["severity"], ticket["alert"], ticket["labels"]["severity"]) == (
        "APIAvailabilityBudgetBurnPage", "critical", "APIAvailabilityBudgetBurnTicket", "warning")
    assert "[1h]))) > (14.4 * 0.001)" in page["expr"] and "[5m]))) > (14.4 * 0.001)" in page["expr"]
    assert "[6h]" in page["expr"] and "[30m]))) > (6 * 0.001)" in page["expr"]
    assert "[3d]))) > (1 * 0.001)" in ticket["expr"] and "[2h]))) > (3 * 0.001)" in ticket["expr"]
    assert "2% of the budget in 1h" in page["annotations"]["description"]


def test_the_shipped_rule_file_is_what_the_objectives_generate(tmp_path: Path) -> None:
    objectives = load_objectives(STACK)
    assert rules.stale(objectives, STACK) is None
    (tmp_path / "prometheus").mkdir()
    assert "is missing: run `obsdrill slo rules`" in (rules.stale(objectives, tmp_path) or "")
    (tmp_path / rules.RULES_FILE).write_text(rules.render(objectives).replace("14.4", "1.44"))
    assert "is not what" in (rules.stale(objectives, tmp_path) or "")


@dataclass
class _Sample:
    labels: dict[str, str]
    value: float


class _Prom:
    """Answers the one query for both counts, each part by the label it is given."""

    def __init__(self, good: float, total: float) -> None:
        self.values = {"good": good, "total": total}
        self.asked: list[str] = []

    def query(self, expr: str) -> list[_Sample]:
        self.asked.append(expr)
        good, total = expr.split(" or ")
        assert "status_code!~" in good and '"good"' in good and '"total"' in total
        return [_Sample({"obsdrill_part": part}, value) for part, value in self.values.items() if value]


def test_the_budget_a_scenario_spent_is_burn_times_modelled_time_over_the_window() -> None:
    objective = load_objectives(STACK)[0]  # 99.9% over 30 d
    prom = _Prom(good=990.0, total=1000.0)
    spent = consumed(prom, objective, seconds=120, factor=0.1)
    assert len(prom.asked) == 1  # both counts from one evaluation: no scrape can fall between them
    assert spent.bad == 10 and spent.burn == pytest.approx(10.0)  # 1% errors / 0.1% budget
    assert spent.modelled_seconds == pytest.approx(1200)  # 2 min at 0.1 stand for 20 min
    assert spent.spent == pytest.approx(10 * 1200 / (30 * 86400))
    assert "burn 10.00x" in spent.explain() and "the whole budget lasts 72h" in spent.explain()
    none = consumed(_Prom(good=0.0, total=0.0), objective, seconds=60, factor=0.1)
    assert none.burn == 0 and "no events counted" in none.explain()
