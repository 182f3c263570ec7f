"""Scenario files: JSON Schema validation with path-carrying errors, ${ENV} substitution, frozen models."""

from pathlib import Path

import pytest

from harness.errors import ConfigError
from harness.scenario import load_scenario, load_scenarios
from harness.settings import project_root

BUILT_IN = {"error-burst", "high-response-time", "database-connection-high", "cv-analysis-queue-backup",
            "payment-failures", "high-cpu-usage", "high-memory-usage", "disk-space-low", "service-down",
            "gpu-temperature-high", "ai-generation-success-low", "baseline", "receiver-failing", "below-thresholds",
            "slo-fast-burn", "slo-slow-burn", "postgres-down", "db-slow-queries", "redis-down",
            "cv-analysis-failures", "frontend-errors", "slow-page", "backend-exception-burst", "alertmanager-restart"}


def test_shipped_scenarios_validate() -> None:
    scenarios = {s.name: s for s in load_scenarios(project_root() / "scenarios")}
    assert set(scenarios) == BUILT_IN
    burst = scenarios["error-burst"]
    assert [a.label_dict() for a in burst.alerts][:2] == [{"severity": "critical", "service": "backend"},
                                                          {"severity": "critical", "service": "gateway"}]
    assert burst.method[0].spec == {"rate": 0.2, "status": 500}
    assert burst.load is not None and burst.load.target == "gateway"
    assert burst.expect.notifications[0].email is not None
    assert burst.expect.notifications[0].email.to == ("devops@recoloca.ai", "cto@recoloca.ai")
    assert scenarios["baseline"].method == () and scenarios["baseline"].expect.observe == 30
    assert scenarios["high-memory-usage"].method[0].require_reached


def test_every_fault_scenario_expects_its_alert_and_nothing_else() -> None:
    for scenario in load_scenarios(project_root() / "scenarios"):
        assert scenario.expect.no_other_alerts, scenario.name
        near_miss = "near-miss" in scenario.tags  # faults below every threshold: each forbidden alert named
        assert bool(scenario.method) == bool(scenario.alerts) or (near_miss and scenario.expect.not_firing), \
            scenario.name
        for alert in scenario.alerts:
            severity = alert.label_dict()["severity"]
            assert alert.receiver == f"{severity}-alerts", scenario.name


def test_errors_name_file_and_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: ok\nmethod:\n  - fault: http_errors\n    service: backend\n"
                   "  - fault: meteor\n    service: backend\nexpect:\n  alerts: [{name: X}]\n")
    with pytest.raises(ConfigError) as err:
        load_scenario(bad)
    text = str(err.value)
    assert f"{bad}: method[1].fault: 'meteor' is not one of" in text
    assert f"{bad}: expect.alerts[0]: 'receiver' is a required property" in text


def test_nested_errors_carry_their_path(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: ok\nload: {journeys: {fly: 1}}\nmethod: [{fault: crash, service: payments, after: soon}]\n"
                   "expect:\n  traces: {service_graph: [[gateway, backend, payments]]}\n"
                   "  notifications: [{receiver: r, email: {to: [a]}}]\n")
    with pytest.raises(ConfigError) as err:
        load_scenario(bad)
    text = str(err.value)
    assert f"{bad}: load.journeys: 'fly' is not one of" in text
    assert f"{bad}: method[0].after: 'soon' does not match" in text
    assert f"{bad}: expect.traces.service_graph[0]: ['gateway', 'backend', 'payments'] is too long" in text
    assert f"{bad}: expect.notifications[0].email: 'subject' is a required property" in text


def test_full_document_becomes_a_frozen_model(tmp_path: Path) -> None:
    doc = tmp_path / "full.yaml"
    doc.write_text("""
name: full
load: {users: 3, wait_seconds: [0.1, 0.3], journeys: {subscribe: 2, browse: 1}}
steady_state: {hold: 1500ms, metrics: [{query: up == 1, within: 20s}]}
method:
  - {fault: latency, service: backend, with: {ms: 100}, after: 5s, duration: 1m, ramp: 2s}
  - {fault: memory_growth, service: backend, with: {mib: 10}, require_reached: true, settle_within: 30s}
expect:
  alerts: [{name: ServiceDown, receiver: critical-alerts, labels: {job: x}, within: 2m}]
  not_firing: [HighErrorRate]
  observe: 10s
  metrics: [{query: up == 0, empty: true}]
  logs: {correlated: true, sample: 4}
  traces: {one_trace_per_request: true, service_graph: [[backend, payments], [gateway, backend]]}
  notifications:
    - {receiver: critical-alerts, slack: {channel: "#c"}, pagerduty: true, one_per_group: true, within: auto}
rollback: {heal: [payments]}
recovery: {within: 90s, resolved_notification: false, metrics: [{query: up == 1}]}
""")
    s = load_scenario(doc)
    assert s.load is not None and s.load.journeys == (("subscribe", 2), ("browse", 1)) and s.load.users == 3
    assert s.steady_state.hold == 1.5 and s.steady_state.metrics[0].within == 20
    latency, memory = s.method
    assert (latency.after, latency.duration, latency.ramp) == (5, 60, 2) and memory.duration is None
    assert memory.require_reached and memory.settle_within == 30
    assert s.alerts[0].within == 120 and s.alerts[0].labels == (("job", "x"),)
    assert s.expect.not_firing == ("HighErrorRate",) and s.expect.observe == 10 and s.expect.metrics[0].empty
    assert s.expect.logs is not None and s.expect.logs.sample == 4
    assert s.expect.traces is not None and s.expect.traces.service_graph == (("backend", "payments"),
                                                                               ("gateway", "backend"))
    note = s.expect.notifications[0]
    assert note.slack is not None and note.slack.title is None and note.pagerduty is True and note.within is None
    assert s.rollback.heal == ("payments",) and s.recovery.within == 90 and not s.recovery.resolved_notification
    assert s.services() == ["backend"]
    with pytest.raises(AttributeError):
        s.name = "other"  # type: ignore[misc]


def test_env_substitution(tmp_path: Path) -> None:
    doc = tmp_path / "s.yaml"
    doc.write_text("name: s\nmethod: [{fault: http_errors, service: '${SVC}', with: {rate: ${RATE:-0.3}}}]\n"
                   "expect: {alerts: []}\n")
    scenario = load_scenario(doc, env={"SVC": "backend"})
    assert scenario.method[0].service == "backend" and scenario.method[0].spec == {"rate": 0.3}
    with pytest.raises(ConfigError, match=r"s\.yaml:2: \$\{SVC\} is not set"):
        load_scenario(doc, env={})


def test_unknown_scenario_name_lists_known(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no scenario named nope .*known: .*error-burst"):
        load_scenarios(project_root() / "scenarios", ["nope"])
