"""`obsdrill validate` logic: schema, alert names, receivers, PromQL (scenario and rules) and faults per
service, all without starting anything; every problem names the file and the path inside it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.cli import main
from harness.scenario.check import promql_error, scenario_files, validate
from harness.settings import project_root

STACK = project_root() / "stack"
GOOD = """
name: s
load: {users: 2}
method: [{fault: http_errors, service: backend, with: {rate: 0.2}}]
expect:
  alerts: [{name: HighErrorRate, receiver: critical-alerts, labels: {severity: critical}}]
  metrics: [{query: 'sum(rate(http_requests_total[30s])) > 0'}]
"""


def _write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_shipped_config_and_scenarios_are_valid() -> None:
    result = validate(scenario_files(project_root() / "scenarios"), STACK)
    assert result.problems == [] and result.passed
    assert len(result.ok) == 24 and "21 alert rules" in result.config


def test_a_good_scenario_passes(tmp_path: Path) -> None:
    assert validate([_write(tmp_path, GOOD)], STACK).passed


def test_recovery_may_wait_for_some_expected_alerts_only(tmp_path: Path) -> None:
    assert validate([_write(tmp_path, GOOD + "recovery: {alerts_resolved: [HighErrorRate]}\n")], STACK).passed
    problems = validate([_write(tmp_path, GOOD + "recovery: {alerts_resolved: [ServiceDown]}\n")], STACK).problems
    assert problems == [f"{tmp_path / 's.yaml'}: recovery.alerts_resolved: ServiceDown is not an expected alert of "
                        "this scenario (expected: HighErrorRate)"]


def test_an_error_budget_check_names_a_known_objective(tmp_path: Path) -> None:
    text = GOOD + "  error_budget: {api-availability: {min_burn: 14.4}, api-availabilty: {max_burn: 1}}\n"
    problems = validate([_write(tmp_path, text)], STACK).problems
    assert problems == [f"{tmp_path / 's.yaml'}: expect.error_budget.api-availabilty: no objective of that name in "
                        "slo/objectives.yml (known: api-availability, api-latency, cv-analysis-success, "
                        "payment-success)"]
    bad = validate([_write(tmp_path, GOOD + "  error_budget: {api-availability: {min: 1}}\n")], STACK).problems
    assert len(bad) == 1 and "expect.error_budget.api-availability" in bad[0] and "'min'" in bad[0]


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("name: HighErrorRate", "name: HighErrorRatio",
     "expect.alerts[0].name: no rule named 'HighErrorRatio' in the loaded rules (AIGenerationSuccessLow, "),
    ("receiver: critical-alerts", "receiver: pager",
     "expect.alerts[0].receiver: 'pager' is not a receiver of alertmanager.yml (default, critical-alerts, "
     "warning-alerts)"),
    ("'sum(rate(http_requests_total[30s])) > 0'", "'sum(rate(http_requests_total[30s]) > 0'",
     "expect.metrics[0].query: PromQL does not parse: unclosed left parenthesis"),
    ("fault: http_errors, service: backend, with: {rate: 0.2}", "fault: disk_fill, service: backend",
     "method[0].fault: 'disk_fill' is not offered by backend (it offers http_errors, latency, crash, hang, "),
    ("fault: http_errors, service: backend, with: {rate: 0.2}", "fault: overheat, service: gpu-sim, with: {gpu: 0}",
     None),
    ("fault: http_errors, service: backend, with: {rate: 0.2}", "fault: overheat, service: backend",
     "method[0].fault: 'overheat' is not offered by backend"),
    ("service: backend, with: {rate: 0.2}", "service: mobile-app, with: {rate: 0.2}",
     "method[0].service: 'mobile-app' is not a service of the platform (frontend, gateway, backend, cv-analyzer, "),
    ("with: {rate: 0.2}", "with: {rate: 0.2, ratee: 1}",
     "method[0].with: ratee not a parameter of http_errors (rate, status, endpoint)"),
    ("fault: http_errors, service: backend, with: {rate: 0.2}",
     "fault: downstream_unavailable, service: gateway, with: {target: payments}",
     "method[0].with.target: 'payments' is not a downstream of gateway (backend)"),
    ("load: {users: 2}\n", "", None),
    ("  metrics:", "  logs: {correlated: true}\n  metrics:", None),
    ("  metrics:", "  not_firing: [Nope]\n  metrics:", "expect.not_firing[0]: no rule named 'Nope'"),
])
def test_each_problem_is_caught_with_its_path(tmp_path: Path, old: str, new: str, problem: str | None) -> None:
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new))
    result = validate([path], STACK)
    if problem is None:
        assert result.passed, result.problems
    else:
        assert not result.passed
        assert any(p.startswith(f"{path}: {problem}") for p in result.problems), result.problems


def test_logs_need_load(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD.replace("load: {users: 2}\n", "").replace("  metrics:", "  logs: {}\n  metrics:"))
    assert validate([path], STACK).problems == [
        f"{path}: expect.logs: checks sampled requests, but the scenario has no `load`"]


def test_rule_expressions_are_parsed_too(tmp_path: Path) -> None:
    config = tmp_path / "stack"
    shutil.copytree(STACK, config)
    rules = config / "prometheus" / "alert_rules.yml"
    rules.write_text(rules.read_text().replace("expr: database_connections_active > 80",
                                               "expr: database_connections_active >> 80"))
    result = validate([], config)
    assert len(result.problems) == 1
    assert result.problems[0].startswith("alert_rules.yml: group recoloca-backend, alert DatabaseConnectionHigh: "
                                         "expr does not parse: ")
    assert "has problems" in result.config


def test_problems_of_every_file_are_collected(tmp_path: Path) -> None:
    schema_bad = _write(tmp_path, "name: x\nmethod: [{fault: meteor, service: backend}]\nexpect: {}\n", "a.yaml")
    name_bad = _write(tmp_path, GOOD.replace("name: HighErrorRate", "name: Nope"), "b.yaml")
    good = _write(tmp_path, GOOD, "c.yaml")
    result = validate([schema_bad, name_bad, good], STACK)
    assert result.ok == [good]
    assert any(p.startswith(f"{schema_bad}: method[0].fault: 'meteor' is not one of") for p in result.problems)
    assert any(p.startswith(f"{name_bad}: expect.alerts[0].name") for p in result.problems)


def test_promql_error_is_none_for_valid_expressions() -> None:
    assert promql_error('histogram_quantile(0.95, sum(rate(x_bucket[5m])) by (le, service)) > 2') is None
    assert promql_error("rate(x[5m]))") is not None


def test_cli_validate_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _write(tmp_path, GOOD, "good.yaml")
    assert main(["validate", str(good), "--config-dir", str(STACK)]) == 0
    assert f"ok  {good}" in capsys.readouterr().out
    bad = _write(tmp_path, GOOD.replace("receiver: critical-alerts", "receiver: pager"), "bad.yaml")
    assert main(["validate", str(bad), "--config-dir", str(STACK)]) == 2
    assert f"error: {bad}: expect.alerts[0].receiver: 'pager'" in capsys.readouterr().err
