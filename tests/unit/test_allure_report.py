"""The Allure report for auditors: suites, severity and runbook links from what a scenario expects, defect
categories by exception type, the environment from the versions the servers report, history kept across
renders, and the timeline picture of an alert."""

from __future__ import annotations

import json
import re
import stat
import sys
import warnings
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness import report
from harness.clients import AlertmanagerClient, PromClient
from harness.config import load_source
from harness.errors import ConfigError, ExpectationFailed, ReadinessTimeoutError, StackError
from harness.events import AlertTimeline, ScenarioDescribed, Series
from harness.reporting import allure as allure_reporting
from harness.reporting import environment, timeline
from harness.scenario import load_scenarios
from harness.scenario.classify import describe
from harness.scenario.timeline import split
from harness.settings import project_root
from tests.unit.fake_http import serve

ROOT = project_root()


@pytest.fixture(scope="module")
def shipped() -> tuple[dict[str, Any], list[Any]]:
    scenarios = {s.name: s for s in load_scenarios(ROOT / "scenarios")}
    return scenarios, load_source(ROOT / "stack").rules()


# categories --------------------------------------------------------------------------------------
def _category(message: str, status: str) -> str | None:
    """The first category that matches, as Allure 2 (whole message) and Allure 3 (search) would pick it."""
    for rule in report.categories():
        if status in rule["matchedStatuses"] and re.fullmatch(rule["messageRegex"], message):
            assert re.search(rule["messageRegex"], message)
            return str(rule["name"])
    return None


@pytest.mark.parametrize(("error", "status", "category"), [
    (ExpectationFailed("HighErrorRate did not reach critical-alerts\n  state history: ..."), "failed",
     "product defect"),
    (ConfigError("scenarios/x.yaml: expect.alerts[0].name: no such rule"), "broken", "config defect"),
    (StackError("the stack could not be started"), "broken", "infrastructure"),
    (ReadinessTimeoutError("prometheus not ready in 60s"), "broken", "infrastructure"),
])
def test_categories_by_exception_type(error: Exception, status: str, category: str) -> None:
    message = f"{type(error).__module__}.{type(error).__name__}: {error}\n"
    assert _category(message, status) == category


def test_categories_do_not_match_other_errors() -> None:
    assert _category("AttributeError: 'NoneType' object has no attribute 'x'", "broken") is None
    assert _category("harness.errors.ExpectationFailed: x", "passed") is None


def test_categories_file_written(tmp_path: Path) -> None:
    path = report.write_categories(tmp_path)
    assert [c["name"] for c in json.loads(path.read_text())] == ["config defect", "infrastructure", "product defect"]


# suites, severity, runbooks --------------------------------------------------------------------------
def test_error_burst_concerns_severity_runbook(shipped: tuple[dict[str, Any], list[Any]]) -> None:
    scenarios, rules = shipped
    event = describe(scenarios["error-burst"], rules)
    assert event.concerns == ("alerting", "routing", "logs", "traces")
    assert event.severity == "critical"
    assert event.runbooks == (("HighErrorRate", "https://runbooks.recoloca.ai/high-error-rate"),
                              ("APIAvailabilityBudgetBurnPage", "https://runbooks.recoloca.ai/slo/api-availability"),
                              ("APIAvailabilityBudgetBurnTicket", "https://runbooks.recoloca.ai/slo/api-availability"))
    assert event.alerts == ("HighErrorRate", "APIAvailabilityBudgetBurnPage", "APIAvailabilityBudgetBurnTicket")


def test_gpu_scenario_is_in_the_gpu_suite(shipped: tuple[dict[str, Any], list[Any]]) -> None:
    scenarios, rules = shipped
    event = describe(scenarios["gpu-temperature-high"], rules)
    assert event.concerns[0] == "GPU"
    assert event.runbooks == (("GPUTemperatureHigh", "https://runbooks.recoloca.ai/gpu-overheating"),)


def test_baseline_expects_no_alert_minor(shipped: tuple[dict[str, Any], list[Any]]) -> None:
    scenarios, rules = shipped
    event = describe(scenarios["baseline"], rules)
    assert event.severity == "" and event.runbooks == ()
    assert dict(allure_reporting.labels(event))["severity"] == "minor"


def test_allure_labels() -> None:
    event = ScenarioDescribed("error-burst", ("alerting", "routing"), "critical",
                              (("HighErrorRate", "https://x/rb"),), ("HighErrorRate",))
    got = allure_reporting.labels(event)
    assert ("parentSuite", "obsdrill acceptance") in got and ("suite", "alerting") in got
    assert [v for k, v in got if k == "feature"] == ["alerting", "routing"]
    assert [v for k, v in got if k == "story"] == ["HighErrorRate"]
    assert dict(got)["severity"] == "critical"
    warning = ScenarioDescribed("x", ("alerting",), "warning")
    assert dict(allure_reporting.labels(warning))["severity"] == "normal"


# timeline ------------------------------------------------------------------------------------------
def test_split_at_the_comparison() -> None:
    parts = split('sum(rate(http_requests_total{status_code=~"5.."}[30s])) / sum(rate(http_requests_total[30s]))'
                  " > 0.05")
    assert parts.op == ">" and parts.threshold == 0.05
    assert parts.query.startswith("sum(rate(http_requests_total") and ">" not in parts.query
    assert split("up == 0").threshold == 0.0
    assert split("absent(up)") == type(parts)("absent(up)", "", None)


ORIGIN = 1_000_000.0
TIMELINE = AlertTimeline(
    alert="HighErrorRate{service=backend}", query="error_ratio", op=">", threshold=0.05, origin=ORIGIN,
    series=(Series("{service=backend}", tuple(ORIGIN + t for t in (-20, -10, 0, 10, 20, 30, 40)),
                   (0.0, 0.0, 0.02, 0.18, 0.21, 0.2, 0.01)),),
    faults=((ORIGIN, ORIGIN + 32.0, "http_errors on backend"),),
    states=((ORIGIN + 12.0, "pending"), (ORIGIN + 18.0, "firing"), (ORIGIN + 45.0, "inactive")),
    notifications=((ORIGIN + 21.0, "critical-alerts", "firing"), (ORIGIN + 47.0, "critical-alerts", "resolved")),
    deadlines=(("fire", ORIGIN + 38.0), ("resolve", ORIGIN + 70.0)),
)


def test_timeline_figure_holds_the_data() -> None:
    ax = timeline.figure(TIMELINE).axes[0]
    lines = {str(line.get_label()): line for line in ax.get_lines()}
    series = lines["{service=backend}"]
    assert list(series.get_xdata()) == [-20, -10, 0, 10, 20, 30, 40]
    assert list(series.get_ydata()) == [0.0, 0.0, 0.02, 0.18, 0.21, 0.2, 0.01]
    assert list(lines["threshold > 0.05"].get_ydata()) == [0.05, 0.05]
    assert list(lines["fire bound"].get_xdata()) == [38.0, 38.0]
    assert list(lines["resolve bound"].get_xdata()) == [70.0, 70.0]
    assert list(lines["alert firing"].get_xdata()) == [18.0, 18.0]
    assert list(lines["alert resolved"].get_xdata()) == [45.0, 45.0]
    assert list(lines["notification firing to critical-alerts"].get_xdata()) == [21.0]
    assert list(lines["notification resolved to critical-alerts"].get_xdata()) == [47.0]
    fault = next(p for p in ax.patches if p.get_label() == "fault: http_errors on backend")
    x, width = fault.get_x(), fault.get_width()  # type: ignore[attr-defined]
    assert (x, x + width) == (0.0, 32.0)
    low, high = ax.get_xlim()
    assert low <= -20 and high >= 70
    assert ax.get_xlabel() == "seconds since the injection"


def test_a_long_series_name_is_cut_and_the_layout_fits() -> None:
    """A DCGM series carries a dozen labels: cut in the legend, so tight_layout has room (no UserWarning)."""
    dcgm = "{" + ", ".join(f"label{i}=value-{i}" for i in range(12)) + "}"
    wide = replace(TIMELINE, series=(replace(TIMELINE.series[0], labels=dcgm),))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ax = timeline.figure(wide).axes[0]
    [label] = [str(line.get_label()) for line in ax.get_lines() if str(line.get_label()).startswith("{label0")]
    assert len(label) == timeline.LEGEND_WIDTH and label.endswith("…")


def test_timeline_png_written(tmp_path: Path) -> None:
    data = timeline.png(TIMELINE)
    path = tmp_path / "timeline.png"
    path.write_bytes(data)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


# environment ---------------------------------------------------------------------------------------
def test_client_versions_from_the_servers() -> None:
    routes = {"/api/v1/status/buildinfo": lambda q: {"status": "success", "data": {"version": "3.5.0"}},
              "/api/v2/status": lambda q: {"versionInfo": {"version": "0.28.1"}}}
    with serve(routes) as url:
        assert PromClient(url).version() == "3.5.0"
        assert AlertmanagerClient(url).version() == "0.28.1"


class _Container:
    def __init__(self, entrypoint: list[str], output: bytes, code: int = 0) -> None:
        self.entrypoint, self.output, self.code = entrypoint, output, code
        self.ran: list[list[str]] = []

    def get_wrapped_container(self) -> Any:
        return SimpleNamespace(attrs={"Config": {"Entrypoint": self.entrypoint}})

    def exec(self, command: list[str]) -> Any:
        self.ran.append(command)
        return SimpleNamespace(exit_code=self.code, output=self.output)


# what the binaries of the stack's images answer (stdout and stderr together, as exec returns them)
JAEGER_ANSWER = (b"2026/12/01 22:28:41 application version: git-commit=v1.76.0, git-version=v2.13.0, "
                 b'build-date=2025-12-03T16:07:08Z\n{"gitCommit":"v1.76.0","gitVersion":"v2.13.0",'
                 b'"buildDate":"2025-12-03T16:07:08Z"}')
OTELCOL_ANSWER = b"otelcol version 0.156.0\n"


def test_parse_version_of_the_binaries() -> None:
    assert environment.parse_version(JAEGER_ANSWER.decode()) == "v2.13.0"
    assert environment.parse_version(OTELCOL_ANSWER.decode()) == "0.156.0"
    with pytest.raises(ValueError, match="no version"):
        environment.parse_version("usage: jaeger [command]")


class _Stack:
    def __init__(self) -> None:
        self.prometheus = SimpleNamespace(version=lambda: "3.5.0")
        self.alertmanager = SimpleNamespace(version=lambda: "0.28.1")
        self.elasticsearch = SimpleNamespace(version=self._es_down)
        self.containers = {
            "jaeger": _Container(["/jaeger"], JAEGER_ANSWER),
            "otelcol": _Container(["/otelcol-contrib"], OTELCOL_ANSWER)}

    @staticmethod
    def _es_down() -> str:
        raise ConnectionError("connection refused")

    def has(self, name: str) -> bool:
        return name in ("prometheus", "alertmanager", "elasticsearch", "jaeger", "otelcol")

    def facts(self) -> dict[str, str]:
        return {"run id": "r1", "image prometheus": "prometheus: localhost/obsdrill/prometheus:1 (local)"}


def test_environment_from_the_versions_the_servers_report(tmp_path: Path) -> None:
    stack = _Stack()
    facts = environment.facts(stack)
    assert facts["Prometheus"] == "3.5.0 (/api/v1/status/buildinfo)"
    assert facts["Alertmanager"] == "0.28.1 (/api/v2/status versionInfo)"
    assert facts["Elasticsearch"].startswith("unknown (GET /_nodes/_local version: ConnectionError")
    assert facts["Jaeger"].startswith("v2.13.0 (the running binary: version")
    assert facts["OTel collector"].startswith("0.156.0 (the running binary: --version")
    assert stack.containers["otelcol"].ran == [["/otelcol-contrib", "--version"]]
    assert facts["run id"] == "r1"
    report.write_environment(tmp_path, facts)
    assert "Prometheus=3.5.0 (/api/v1/status/buildinfo)" in (tmp_path / "environment.properties").read_text()


def test_environment_skips_what_the_stack_does_not_run() -> None:
    stack = _Stack()
    stack.has = lambda name: name in ("prometheus", "alertmanager")  # type: ignore[method-assign]
    assert [k for k in environment.server_versions(stack)] == ["Prometheus", "Alertmanager"]


# history -------------------------------------------------------------------------------------------
FAKE_ALLURE = """#!{python}
import json, pathlib, sys
args = sys.argv[1:]
config = json.loads(pathlib.Path(args[args.index("--config") + 1]).read_text())
out = pathlib.Path(args[args.index("--output") + 1]); out.mkdir(parents=True, exist_ok=True)
(out / "index.html").write_text("<html></html>")
(out / "config.json").write_text(json.dumps(config))
if "historyPath" in config:
    path = pathlib.Path(config["historyPath"])
    before = path.read_text() if path.exists() else ""
    path.write_text(before + json.dumps({{"report": len(before.splitlines()) + 1}}) + "\\n")
"""


@pytest.fixture
def fake_allure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    binary = tmp_path / "allure"
    binary.write_text(FAKE_ALLURE.format(python=sys.executable))
    binary.chmod(binary.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setattr(report, "allure_bin", lambda: binary)
    results = tmp_path / "results"
    results.mkdir()
    (results / "x-result.json").write_text("{}")
    return results


def test_history_kept_across_renders(fake_allure: Path, tmp_path: Path) -> None:
    history, output = tmp_path / "history", tmp_path / "report"
    for _ in range(2):
        report.render(fake_allure, output, history=history)
    lines = (history / report.HISTORY_FILE).read_text().splitlines()
    assert [json.loads(line)["report"] for line in lines] == [1, 2]
    config = json.loads((output / "config.json").read_text())
    assert [c["name"] for c in config["categories"]] == ["config defect", "infrastructure", "product defect"]
    assert (fake_allure / "categories.json").is_file()
    assert config["plugins"]["awesome"]["options"]["groupBy"] == ["parentSuite", "suite"]
    assert set(config["plugins"]) == {"awesome", "dashboard"}  # the dashboard draws the trend


def test_no_history_without_the_option(fake_allure: Path, tmp_path: Path) -> None:
    report.render(fake_allure, tmp_path / "report")
    assert "historyPath" not in json.loads((tmp_path / "report" / "config.json").read_text())


def test_history_must_be_a_directory(fake_allure: Path, tmp_path: Path) -> None:
    not_dir = tmp_path / "file"
    not_dir.write_text("")
    with pytest.raises(ConfigError, match="not a directory"):
        report.render(fake_allure, tmp_path / "report", history=not_dir)
