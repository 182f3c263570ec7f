"""The `obsdrill up` state, reload's change report, and the fault command's checks (no stack needed)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from harness import session
from harness.cli import main
from harness.clients import PromClient, ServiceClient, SinkClient
from harness.config import AlertRule
from harness.errors import ConfigError
from harness.live import fault
from harness.live.explain import integrations
from harness.live.watch import Watcher, render, threshold
from harness.reaper import DETACHED, PID_LABEL
from harness.reconfigure import changes
from harness.settings import RUN_LABEL
from tests.unit.fake_http import FakePrometheus, FakeSink, alert, labels, rule, serve

RULES = "groups:\n- name: g\n  rules:\n  - alert: HighErrorRate\n    expr: rate(x[3s]) > 0.05\n    for: 6s\n"


class FakeContainer:
    def __init__(self, run: str, component: str, port: int, host_port: str) -> None:
        self.name = f"obsdrill-{run}-{component}"
        self.labels = {RUN_LABEL: run, "io.obsdrill.component": component, PID_LABEL: DETACHED}
        self.attrs = {"NetworkSettings": {"Ports": {f"{port}/tcp": [{"HostIp": "127.0.0.1", "HostPort": host_port}]}}}

    def reload(self) -> None:
        return


class FakeClient:
    def __init__(self, containers: list[FakeContainer]) -> None:
        self.containers = SimpleNamespace(list=lambda **kw: containers)


def _state(tmp: Path, run: str, started: float) -> None:
    (tmp / "up").mkdir(exist_ok=True)
    (tmp / "up" / f"{run}.json").write_text(json.dumps({
        "run_id": run, "run_dir": str(tmp / run), "stack_mode": "core", "time_factor": 0.1,
        "ports": {"gateway": 8080, "prometheus": 9090}, "started": started}))


def test_the_latest_running_up_stack_is_found_by_state_and_labels(tmp_path: Path) -> None:
    _state(tmp_path, "aaa", 1.0)
    _state(tmp_path, "bbb", 2.0)
    _state(tmp_path, "gone", 3.0)  # its containers were removed: not a candidate
    client = FakeClient([FakeContainer("aaa", "gateway", 8080, "4001"), FakeContainer("bbb", "gateway", 8080, "4002")])
    state, containers = session.find(tmp_path, client)  # type: ignore[arg-type]
    assert state.run_id == "bbb" and session.host_url(containers["gateway"], 8080) == "http://127.0.0.1:4002"
    assert session.find(tmp_path, client, "aaa")[0].run_id == "aaa"  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"--reuse gone: no such running `obsdrill up` stack \(running: "):
        session.find(tmp_path, client, "gone")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="no stack started by `obsdrill up` is running"):
        session.find(tmp_path, FakeClient([]))  # type: ignore[arg-type]
    session.forget(tmp_path, ["aaa"])
    assert sorted(p.stem for p in (tmp_path / "up").glob("*.json")) == ["bbb", "gone"]


def test_reload_reports_rule_changes_and_file_diffs() -> None:
    old = {"prometheus/rules.yml": RULES, "alertmanager/alertmanager.yml": "route:\n  receiver: a\n"}
    new = {"prometheus/rules.yml": RULES.replace("for: 6s", "for: 3s").replace("0.05", "0.01"),
           "alertmanager/alertmanager.yml": "route:\n  receiver: b\n"}
    change = changes(old, new)
    assert change.rules == ["changed HighErrorRate: expr rate(x[3s]) > 0.05 -> rate(x[3s]) > 0.01; "
                            "for_seconds 6.0 -> 3.0"]
    assert "-  receiver: a\n+  receiver: b" in change.diffs["alertmanager/alertmanager.yml"]
    assert changes(old, dict(old)).empty
    gone = changes(old, {"alertmanager/alertmanager.yml": old["alertmanager/alertmanager.yml"]})
    assert gone.rules == ["removed HighErrorRate"] and list(gone.diffs) == ["prometheus/rules.yml"]


def test_reload_of_a_config_with_template_files_diffs_them_without_reading_them_as_rules() -> None:
    """Alertmanager's template files are Go templates, not YAML: a reload (obsdrill reload, mutate, the
    corpus) diffs them and reads rules from Prometheus's YAML files only."""
    tmpl = '{{ define "slack.title" }}[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}{{ end }}\n'
    old = {"prometheus/rules.yml": RULES, "alertmanager/templates/team.tmpl": tmpl}
    new = {"prometheus/rules.yml": RULES, "alertmanager/templates/team.tmpl": tmpl.replace("toUpper", "title")}
    change = changes(old, new)
    assert change.rules == [] and list(change.diffs) == ["alertmanager/templates/team.tmpl"]


@pytest.mark.parametrize(("service", "kind", "params", "message"), [
    ("gateway", "http_errors", ["rate=7"], "fault.with.rate: 7 is greater than the maximum of 1"),
    ("gateway", "http_errors", ["rat=0.5"], "fault.with: rat not a parameter of http_errors"),
    ("gatewya", "http_errors", [], "fault.service: 'gatewya' is not a service of the platform"),
    ("gateway", "overheat", [], "fault.fault: 'overheat' is not offered by gateway"),
    ("gateway", "http_errors", ["rate"], "fault.with: 'rate' is not key=value"),
])
def test_fault_arguments_are_checked_as_scenario_faults(service: str, kind: str, params: list[str],
                                                        message: str) -> None:
    with pytest.raises(ConfigError) as info:
        fault.checked(service, kind, params)
    assert message in str(info.value)


def test_fault_is_set_then_cleared_after_its_duration(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str, Any]] = []
    monkeypatch.setattr(ServiceClient, "set_fault", lambda self, name, spec: calls.append(
        ("set", self.url, (name, spec))) or {"faults": {name: {"rate": spec["rate"]}}})
    monkeypatch.setattr(ServiceClient, "clear_fault", lambda self, name=None: calls.append(("clear", self.url, name)))
    state = session.UpState("r", "/x", "core", 0.1, {"gateway": 8080})
    containers: dict[str, Any] = {"gateway": FakeContainer("r", "gateway", 8080, "4100")}
    said: list[str] = []
    fault.inject(state, containers, "gateway", "http_errors", ["rate=0.5", "status=503"], "2s", said.append,
                 sleep=lambda s: said.append(f"slept {s:g}"))
    assert calls == [("set", "http://127.0.0.1:4100", ("http_errors", {"rate": 0.5, "status": 503})),
                     ("clear", "http://127.0.0.1:4100", "http_errors")]
    assert said == ["http_errors on gateway {'rate': 0.5, 'status': 503}: http_errors {'rate': 0.5}",
                    "clearing it in 2s (Ctrl-C clears it now)", "slept 2", "cleared http_errors on gateway"]
    with pytest.raises(ConfigError, match="'payments' does not run in the `obsdrill up` stack r"):
        fault.inject(state, containers, "payments", "http_errors", ["rate=0.5"])


def test_fault_with_a_bad_parameter_exits_2_before_looking_for_a_stack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fault", "gateway", "http_errors", "rate=7", "--run", "none"]) == 2
    assert "fault.with.rate: 7 is greater than the maximum of 1" in capsys.readouterr().err


def test_threshold_split_of_rule_expressions() -> None:
    assert threshold('(sum(rate(a[5m])) by (s) / sum(rate(b[5m])) by (s)) > 0.05') == (
        "(sum by (s) (rate(a[5m])) / sum by (s) (rate(b[5m])))", ">", 0.05)
    assert threshold("up == 0") == ("up", "==", 0.0)
    assert threshold("vector(1)") is None and threshold("a > b") is None and threshold("((") is None


def test_watch_snapshot_has_rule_state_value_threshold_notifications_and_faults() -> None:
    prom, sink = FakePrometheus(), FakeSink()
    prom.rules = [rule("HighErrorRate", "firing", [alert("HighErrorRate", "firing", service="backend")]),
                  rule("ServiceDown", "inactive")]
    prom.series["rate(x[3s])"] = [({"service": "backend"}, [0.2])]
    sink.tap("critical-alerts", "firing", labels("HighErrorRate", service="backend"))
    sink.add("slack", "critical-alerts", {"channel": "#c", "attachments": [{"title": "t"}]})
    rules = (AlertRule("HighErrorRate", "rate(x[3s]) > 0.05", 6.0, (), (), "g", "f"),
             AlertRule("ServiceDown", "up == 0", 0.0, (), (), "g", "f"))
    with serve(prom.routes()) as prom_url, serve(sink.routes()) as sink_url:
        watcher = Watcher(PromClient(prom_url), SinkClient(sink_url), lambda: {"backend": {"http_errors": {}}},
                          lambda: rules)
        snap = watcher.snapshot()
        screen = Console(width=160, record=True, file=io.StringIO())
        screen.print(render(snap))
    firing, down = snap["rules"]
    assert (firing["name"], firing["state"], firing["threshold"], firing["values"]) == (
        "HighErrorRate", "firing", "> 0.05", ["0.2 backend"])
    assert down["state"] == "inactive" and down["values"] == [] and down["threshold"] == "== 0"
    assert down["at_least"] and not firing["at_least"]  # inactive since before the watch; firing since activeAt+for
    assert snap["notifications"]["critical-alerts tap"]["count"] == 1
    assert snap["notifications"]["critical-alerts slack"]["last"] == "slack->critical-alerts channel '#c' title 't'"
    assert snap["faults"] == {"backend": {"http_errors": {}}}
    text = screen.export_text()
    assert "HighErrorRate" in text and "firing" in text and "> 0.05" in text and "http_errors" in text


def test_watch_screen_fits_a_short_terminal_and_names_what_it_leaves_out() -> None:
    def row(name: str, state: str) -> dict[str, Any]:
        return {"name": name, "state": state, "seconds_in_state": 5.0, "at_least": False, "threshold": "> 1",
                "values": [f"{i}.5 service-with-a-long-name-{i}" for i in range(4)]}
    snap = {"rules": [row(f"Rule{i:02d}", "inactive") for i in range(40)] + [row("Zfiring", "firing")],
            "notifications": {}, "faults": {}}
    screen = Console(width=80, height=30, record=True, file=io.StringIO())
    screen.print(render(snap, 30))
    lines = screen.export_text().splitlines()
    assert len(lines) <= 30  # one line per row: long values are cut, never wrapped
    assert "Zfiring" in lines[14] and "firing" in lines[14]  # the first rule row: what is happening first
    assert "Rule00" in "".join(lines) and any("(+" in line and "more" in line for line in lines)
    assert len(render(snap).renderables[2].rows) == 41  # no height: every rule


def test_explain_lists_a_receivers_integrations() -> None:
    yml = ("receivers:\n- name: critical-alerts\n  webhook_configs:\n  - url: http://sink:8080/tap/critical-alerts\n"
           "  slack_configs:\n  - api_url: http://sink:8080/slack/critical-alerts\n- name: none\n")
    assert integrations(yml, "critical-alerts") == ["webhook -> http://sink:8080/tap/critical-alerts",
                                                    "slack -> http://sink:8080/slack/critical-alerts"]
    assert integrations(yml, "none") == [] and integrations(yml, "missing") == []


def test_the_faults_on_of_a_service_and_of_the_gpu_simulator() -> None:
    assert fault.on({"http_errors": {"rate": 0.5}}) == {"http_errors": {"rate": 0.5}}
    gpus = {"mode": "sim", "gpus": [
        {"gpu": 0, "temperature_c": 91.0, "faults": {"overheat": {"active": True, "cooling_factor": 12.0,
                                                                 "progress": {"reached": True}},
                                                    "xid": {"active": False, "count": 0}}},
        {"gpu": 1, "temperature_c": 31.0, "faults": {"overheat": {"active": False, "cooling_factor": 1.0}}}]}
    assert fault.on(gpus) == {"overheat gpu 0": {"cooling_factor": 12.0, "temperature_c": 91.0}}
    assert fault.on({"mode": "sim", "gpus": [{"gpu": 0, "faults": {"overheat": {"active": False}}}]}) == {}
