"""A whole scenario run on fakes (Prometheus and sink over HTTP, services in memory): phases in order,
deadlines recorded, rollback on failure too, stack-dependent checks before anything is injected."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.clients import PromClient, SinkClient
from harness.clients.alertmanager import AlertmanagerClient
from harness.config import load_source
from harness.errors import ConfigError, ExpectationFailed
from harness.events import Events
from harness.render import RenderedConfig, render
from harness.reporting import ConsolePrinter, ResultFile
from harness.scenario import load_scenario
from harness.scenario.runner import ScenarioRunner
from harness.settings import Settings, project_root
from tests.unit.fake_http import FakePrometheus, FakeSink, alert, labels, rule, serve

SCENARIO = """
name: unit
steady_state: {hold: 0s}
method: [{fault: http_errors, service: backend, with: {rate: 0.2}}]
expect:
  alerts:
    - {name: HighErrorRate, receiver: critical-alerts, labels: {severity: critical, service: backend}, within: 3s}
  notifications:
    - {receiver: critical-alerts, email: {subject: "[CRITICAL] HighErrorRate"}, one_per_group: true, within: 3s}
recovery: {within: 3s}
"""
FIRING = labels("HighErrorRate", severity="critical", service="backend")


class Service:
    def __init__(self, name: str, stack: Stack) -> None:
        self.name, self.stack = name, stack

    def set_fault(self, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        self.stack.calls.append(f"set {self.name} {name}")
        if self.stack.alert_follows:
            self.stack.prom.rules = [rule("HighErrorRate", "firing", [alert("HighErrorRate", "firing",
                                                                            severity="critical", service="backend")])]
            self.stack.fake_sink.tap("critical-alerts", "firing", FIRING)
            self.stack.fake_sink.add("email", subject="[CRITICAL] HighErrorRate", rcpt_tos=["devops@recoloca.ai"])
        return {"service": self.name, "faults": {name: spec}}

    def clear_fault(self, name: str | None = None) -> dict[str, Any]:
        self.stack.calls.append(f"clear {self.name}")
        if self.stack.prom.rules:
            self.stack.prom.rules = [rule("HighErrorRate", "inactive")]
            self.stack.fake_sink.tap("critical-alerts", "resolved", FIRING)
        return {}


class Stack:
    """The StackApi the runner needs, on fakes."""

    def __init__(self, prom: FakePrometheus, prom_url: str, sink: FakeSink, sink_url: str, tmp: Path) -> None:
        self.prom, self.fake_sink = prom, sink
        self.prometheus, self.sink = PromClient(prom_url), SinkClient(sink_url)
        self.alertmanager = AlertmanagerClient("http://127.0.0.1:9")  # no container: routing unknown
        self.settings = Settings.from_env(env={}).validated(slack_seconds=1.0)
        self.source = load_source(project_root() / "stack")
        self.config = render(self.source, 0.1, tmp)
        self.client: Any = None
        self.images: dict[str, Any] = {}  # no Prometheus image: the certificate is skipped, and says so
        self.calls: list[str] = []
        self.components = {"gateway", "backend", "payments", "prometheus", "sink"}
        self.alert_follows = True

    def has(self, component: str) -> bool:
        return component in self.components

    def service(self, name: str) -> Service:
        return Service(name, self)

    def url(self, component: str) -> str:
        raise AssertionError("no load in these scenarios")

    def heal(self, name: str) -> None:
        self.calls.append(f"heal {name}")

    def reset(self) -> None:
        self.calls.append("reset")
        self.fake_sink.records.clear()

    def rendered(self) -> RenderedConfig:
        return self.config

    def cannot(self, faults: list[tuple[str, str]]) -> list[str]:
        return []


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    prom, sink = FakePrometheus(), FakeSink()
    prom.rules = [rule("HighErrorRate", "inactive")]
    with serve(prom.routes()) as prom_url, serve(sink.routes()) as sink_url:
        yield Stack(prom, prom_url, sink, sink_url, tmp_path / "rendered")


def _scenario(tmp_path: Path, text: str = SCENARIO) -> Any:
    path = tmp_path / "unit.yaml"
    path.write_text(text)
    return load_scenario(path)


def test_phases_run_in_order_and_record_their_deadlines(stack: Stack, tmp_path: Path) -> None:
    result = ScenarioRunner(stack, Events()).run(_scenario(tmp_path))  # type: ignore[arg-type]
    assert stack.calls == ["reset", "set backend http_errors", "clear backend"]
    assert [f.labels["service"] for f in result.fired] == ["backend"]
    assert result.resolved["HighErrorRate{service=backend,severity=critical}"]["bound_s"] == 3
    assert set(result.bounds) == {"HighErrorRate{service=backend,severity=critical} fires",
                                  "notifications of critical-alerts",
                                  "HighErrorRate{service=backend,severity=critical} resolves"}
    summary = result.summary()
    assert summary["bounds"]["notifications of critical-alerts"]["explain"] == "3.0s = within (set in scenario) 3s"
    assert [e["action"] for e in summary["faults"]] == ["injected"]


@pytest.mark.slow
def test_rollback_runs_when_an_expectation_fails(stack: Stack, tmp_path: Path) -> None:
    stack.alert_follows = False
    with pytest.raises(ExpectationFailed, match="HighErrorRate did not reach receiver 'critical-alerts'"):
        ScenarioRunner(stack, Events()).run(_scenario(tmp_path))  # type: ignore[arg-type]
    assert stack.calls[-1] == "clear backend"


def test_unexpected_alert_fails_the_scenario(stack: Stack, tmp_path: Path) -> None:
    def extra(name: str, spec: dict[str, Any]) -> None:
        stack.fake_sink.tap("warning-alerts", "firing", labels("HighCPUUsage", severity="warning"))

    original = Service.set_fault

    def set_fault(self: Service, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        state = original(self, name, spec)
        extra(name, spec)
        return state

    Service.set_fault = set_fault  # type: ignore[method-assign]
    try:
        with pytest.raises(ExpectationFailed, match=r"unexpected alerts: notification tap->warning-alerts "
                                                    r"\[firing\] HighCPUUsage") as failure:
            ScenarioRunner(stack, Events()).run(_scenario(tmp_path))  # type: ignore[arg-type]
    finally:
        Service.set_fault = original  # type: ignore[method-assign]
    assert stack.calls[-1] == "clear backend"
    # the rule that let it fire, as evaluated (its threshold and for): a threshold set too low is named
    assert re.search(r"rule HighCPUUsage \(alert_rules\.yml\): .* > 80 for \d+(\.\d+)?s", str(failure.value))


def test_components_the_stack_lacks_are_config_errors_before_anything_runs(stack: Stack, tmp_path: Path) -> None:
    text = SCENARIO.replace("service: backend, with", "service: cv-analyzer, with").replace(
        "recovery:", "  traces: {service_graph: [[gateway, backend]]}\nrecovery:")
    scenario = _scenario(tmp_path, text)
    with pytest.raises(ConfigError) as failure:
        ScenarioRunner(stack, Events()).run(scenario)  # type: ignore[arg-type]
    assert "method[0].service: this stack does not run 'cv-analyzer'" in str(failure.value)
    assert stack.calls == []


def test_log_and_trace_checks_a_core_stack_cannot_make_are_left_out_and_said(stack: Stack, tmp_path: Path) -> None:
    text = SCENARIO.replace("recovery:", "  traces: {service_graph: [[gateway, backend]]}\n"
                                         "  logs: {correlated: true}\nrecovery:")
    scenario = _scenario(tmp_path, text)
    said: list[str] = []
    events = Events()
    ConsolePrinter(said.append).subscribe(events)
    fitted = ScenarioRunner(stack, events).fitted(scenario)  # type: ignore[arg-type]
    assert scenario.expect.traces is not None and scenario.expect.logs is not None
    assert fitted.expect.traces is None and fitted.expect.logs is None
    assert fitted.expect.alerts == scenario.expect.alerts and fitted.method == scenario.method
    assert any("expect.traces not checked: this stack runs no jaeger" in line for line in said)
    assert all(line.startswith("[obsdrill]   ") for line in said)


def test_a_run_reports_to_the_console_and_result_json(stack: Stack, tmp_path: Path) -> None:
    lines: list[str] = []
    events = Events()
    ConsolePrinter(lines.append).subscribe(events)
    ResultFile(tmp_path / "result.json").subscribe(events)
    ScenarioRunner(stack, events).run(_scenario(tmp_path))  # type: ignore[arg-type]
    alert = "HighErrorRate{service=backend,severity=critical}"
    assert lines[0] == "[obsdrill] scenario unit: time factor 0.1"
    assert f"[obsdrill]   deadline {alert} fires: 3.0s = within (set in scenario) 3s" in lines
    assert any(line.startswith(f"[obsdrill]   {alert} reached critical-alerts after ") for line in lines)
    assert any(line.startswith("[obsdrill]   injected http_errors on backend") for line in lines)
    assert "[obsdrill]   rollback backend: faults cleared" in lines
    assert any(line.startswith(f"[obsdrill]   {alert} resolved after ") for line in lines)
    (run,) = json.loads((tmp_path / "result.json").read_text())["scenarios"]
    assert (run["scenario"], run["passed"], run["failure"]) == ("unit", True, "")
    got = run["alerts"][alert]
    assert got["receiver"] == "critical-alerts" and 0 <= got["notified_after_s"] <= 3
    assert got["resolved_after_s"] is not None and 0 <= got["resolved_after_s"] <= 3
    assert got["fire_bound"]["terms"] == {"within (set in scenario)": 3.0}
    assert got["resolve_bound"]["terms"] == {"recovery.within (set in scenario)": 3.0}
    (fault,) = run["faults"]
    assert (fault["fault"], fault["service"], fault["cleared_by"]) == ("http_errors", "backend", "rolled back")
    assert 0 <= fault["injected_at_s"] <= fault["cleared_at_s"]


def test_a_failed_run_is_in_result_json_with_its_message(stack: Stack, tmp_path: Path) -> None:
    stack.alert_follows = False
    events = Events()
    ResultFile(tmp_path / "result.json").subscribe(events)
    with pytest.raises(ExpectationFailed):
        ScenarioRunner(stack, events).run(_scenario(tmp_path))  # type: ignore[arg-type]
    (run,) = json.loads((tmp_path / "result.json").read_text())["scenarios"]
    assert run["passed"] is False and "HighErrorRate did not reach receiver 'critical-alerts'" in run["failure"]
    alert = run["alerts"]["HighErrorRate{service=backend,severity=critical}"]
    assert alert["notified_after_s"] is None and alert["fire_bound"]["seconds"] == 3.0
    assert run["faults"][0]["cleared_by"] == "rolled back"


def test_each_expected_alert_gets_its_timeline_and_the_scenario_its_description(stack: Stack, tmp_path: Path) -> None:
    from harness.events import AlertTimeline, ScenarioDescribed
    from harness.scenario.timeline import split

    parts = split(stack.config.rule("HighErrorRate").expr)
    stack.prom.series[parts.query] = [({"service": "backend"}, [0.0, 0.3, 0.3]), ({"service": "gateway"}, [0.2])]
    events, got = Events(), []
    events.subscribe(got.append, AlertTimeline, ScenarioDescribed)
    ScenarioRunner(stack, events).run(_scenario(tmp_path))  # type: ignore[arg-type]
    described, timeline = got
    assert isinstance(described, ScenarioDescribed) and described.concerns == ("alerting", "routing")
    assert described.severity == "critical" and described.runbooks[0][0] == "HighErrorRate"
    assert isinstance(timeline, AlertTimeline) and timeline.threshold == parts.threshold
    assert [s.labels for s in timeline.series] == ["{service=backend}"]  # the gateway's series is another alert
    assert timeline.series[0].values == (0.0, 0.3, 0.3)
    assert [state for _, state in timeline.states] == ["firing", "inactive"]
    assert [status for _, _, status in timeline.notifications] == ["firing", "resolved"]
    assert [kind for kind, _ in timeline.deadlines] == ["fire", "resolve"]
    (start, end, what), = timeline.faults
    assert what == "http_errors on backend" and start == timeline.origin and end is not None and end > start
    fire = dict(timeline.deadlines)["fire"]
    assert abs(fire - (timeline.origin + 3.0)) < 0.5  # `within: 3s`, counted from the injection
