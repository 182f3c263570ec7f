"""Cross-pillar reconciliation on fakes: the table, each pillar's count (Prometheus samples with a counter
reset, Elasticsearch documents joined by correlation id, Jaeger root spans, the binomial bound at a sampling
ratio under 1), polling until the pipelines settle, and a failure naming the pillar and the journey."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness import bounds, reporting
from harness.assertions import pillars
from harness.assertions.pillars import Window, elasticsearch_count, jaeger_count, prometheus_count, series_increase
from harness.assertions.reconcile import Count, assert_reconciled, binomial_bound, reconcile, table
from harness.bounds import Bound
from harness.clients.jaeger import Span, Trace
from harness.errors import ConfigError, ExpectationFailed
from harness.events import Events, Message, ScenarioFinished, ScenarioStarted
from harness.load import LoadProfile, MadeRequest
from harness.render import Timing
from harness.scenario.model import Expect, Scenario
from harness.scenario.reconciling import enabled, reconcile_load
from harness.scenario.result import ScenarioResult

WINDOW = Window("gateway", start=1000.0, end=1100.0)
STATUS, JOBS, LOGIN = ("GET", "/api/status", 200), ("GET", "/api/jobs", 200), ("POST", "/api/auth/login", 200)


def made(op: tuple[str, str, int], journey: str, n: int, at: float = 1050.0, prefix: str = "") -> list[MadeRequest]:
    return [MadeRequest(journey, op[0], op[1], op[2], f"{prefix}{op[1]}-{op[2]}-{i}", at) for i in range(n)]


def load_requests() -> list[MadeRequest]:
    return made(STATUS, "browse", 3) + made(JOBS, "browse", 2) + made(LOGIN, "register", 1)


def logs_of(requests: list[MadeRequest]) -> Count:
    ids: dict[Any, set[str]] = {}
    for r in requests:
        ids.setdefault((r.method, r.route, r.status), set()).add(r.correlation_id)
    return Count("elasticsearch", {op: len(v) for op, v in ids.items()},
                 ids={op: frozenset(v) for op, v in ids.items()})


def test_every_pillar_balances_with_the_load() -> None:
    requests = load_requests()
    metrics = Count("prometheus", {STATUS: 3, JOBS: 2, LOGIN: 1})
    result = table(requests, [metrics, logs_of(requests), Count("jaeger", {STATUS: 3, JOBS: 2, LOGIN: 1})])
    assert result.unaccounted == 0 and result.pillars == ("prometheus", "elasticsearch", "jaeger")
    assert [(r.journey, r.op, r.made) for r in result.rows] == [
        ("browse", JOBS, 2), ("browse", STATUS, 3), ("register", LOGIN, 1)]
    text = result.text()
    assert "browse    GET /api/status" in text and text.splitlines()[-1].split() == ["total", "6", "6", "6", "6", "0"]
    assert_reconciled(result)
    assert result.as_dict()["rows"][0] == {"journey": "browse", "method": "GET", "route": "/api/jobs",
                                           "status": 200, "load": 2, "prometheus": 2, "elasticsearch": 2,
                                           "jaeger": 2, "unaccounted": {"prometheus": 0, "elasticsearch": 0,
                                                                        "jaeger": 0}}


def test_a_request_missing_from_one_pillar_fails_naming_the_pillar_and_the_journey() -> None:
    requests = load_requests()
    logs = logs_of(requests[1:])  # the first /api/status request left no api_request document
    extra = Count("prometheus", {STATUS: 3, JOBS: 2, LOGIN: 1, ("GET", "/api/*", 404): 1})
    result = table(requests, [extra, logs])
    assert result.unaccounted == 1  # a counter's count beyond the load's is said, not a request left uncounted
    with pytest.raises(ExpectationFailed) as failure:
        assert_reconciled(result)
    message = str(failure.value)
    assert "elasticsearch: browse GET /api/status 200: the load made 3, elasticsearch counted 2" in message
    assert "prometheus: - GET /api/* 404: counted 1 more than the load made" in message


def test_a_counter_short_of_the_load_fails() -> None:
    requests = load_requests()
    short = Count("prometheus", {STATUS: 2, JOBS: 2, LOGIN: 1})
    assert table(requests, [short]).unaccounted == 1


def test_logs_join_by_correlation_id_not_only_by_count() -> None:
    requests = made(STATUS, "browse", 2)
    swapped = Count("elasticsearch", {STATUS: 2}, ids={STATUS: frozenset({requests[0].correlation_id, "other"})})
    assert table(requests, [swapped]).unaccounted == 2  # one missing, one the load did not send


def test_requests_without_an_answer_are_rows_no_pillar_can_count() -> None:
    requests = made(("GET", "/api/status", 0), "browse", 2)
    result = table(requests, [Count("prometheus", {})])
    assert result.unaccounted == 0 and result.rows[0].made == 2


def test_counter_increase_from_the_last_sample_before_the_window_and_across_a_reset() -> None:
    assert series_increase([(990.0, 40.0), (1010.0, 45.0), (1110.0, 52.0)], WINDOW) == (12, [])
    assert series_increase([(1010.0, 1.0), (1110.0, 4.0)], WINDOW) == (4, [])  # a series the load created
    increase, resets = series_increase([(990.0, 40.0), (1020.0, 50.0), (1030.0, 3.0), (1110.0, 8.0)], WINDOW)
    assert increase == 10 + 8 and resets == [(1020.0, 1030.0)]


class FakePrometheus:
    def __init__(self, series: list[dict[str, Any]]) -> None:
        self.series = series
        self.api = self
        self.queries: list[str] = []

    def custom_query(self, expr: str) -> list[dict[str, Any]]:
        self.queries.append(expr)
        return self.series


def _series(op: tuple[str, str, int], values: list[tuple[float, float]], instance: str = "a") -> dict[str, Any]:
    return {"metric": {"__name__": "http_requests_total", "service": "gateway", "instance": instance,
                       "method": op[0], "endpoint": op[1], "status_code": str(op[2])},
            "values": [[t, str(v)] for t, v in values]}


def test_prometheus_count_waits_for_a_scrape_after_the_window_and_allows_for_a_crash() -> None:
    requests = made(STATUS, "browse", 5, at=1025.0)
    early = FakePrometheus([_series(STATUS, [(990.0, 0.0), (1090.0, 5.0)])])
    assert prometheus_count(early, WINDOW, requests) is None  # not scraped after the end yet
    assert 'http_requests_total{service="gateway"}[' in early.queries[0]
    crashed = FakePrometheus([_series(STATUS, [(990.0, 0.0), (1020.0, 2.0), (1030.0, 0.0), (1110.0, 0.0)])])
    count = prometheus_count(crashed, WINDOW, requests)
    assert count is not None and count.counts == {STATUS: 2} and count.lost == {STATUS: 5}
    assert "counter reset" in count.note
    assert table(requests, [count]).unaccounted == 0  # the 3 answered after the last scrape died with it
    two = FakePrometheus([_series(STATUS, [(990.0, 1.0), (1110.0, 3.0)], "a"),
                          _series(STATUS, [(990.0, 0.0), (1110.0, 3.0)], "b")])
    counted = prometheus_count(two, WINDOW, requests)
    assert counted is not None and counted.counts == {STATUS: 5}  # summed over the instances


def test_elasticsearch_count_groups_the_targets_api_request_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}

    def scan(es: Any, index: str, query: dict[str, Any], **kwargs: Any) -> list[dict[str, Any]]:
        seen.update(index=index, query=query, source=kwargs.get("_source"))
        return [{"_source": {"method": "GET", "endpoint": "/api/status", "status_code": 200, "correlation_id": c}}
                for c in ("c1", "c2")]

    class FakeEs:
        prefix, es = "recoloca", object()

        def refresh(self, pattern: str) -> None:
            seen["refreshed"] = pattern

    monkeypatch.setattr(pillars.helpers, "scan", scan)
    count = elasticsearch_count(FakeEs(), WINDOW)  # type: ignore[arg-type]
    assert count.counts == {STATUS: 2} and count.ids == {STATUS: frozenset({"c1", "c2"})}
    assert seen["index"] == seen["refreshed"] == "recoloca-logs-*"
    filters = str(seen["query"])
    assert "api_request" in filters and "gateway" in filters and "'timestamp'" in filters
    assert "correlation_id" in seen["source"]


def _trace(i: int, service: str, start_s: float, status: int = 200, parent: str | None = None) -> Trace:
    tags = {"span.kind": "server", "http.request.method": "GET", "http.route": "/api/status",
            "http.response.status_code": status}
    return Trace(f"t{i}", (Span(f"t{i}", f"s{i}", parent, "GET /api/status", service, int(start_s * 1e6), 10, tags),))


def _page_trace(i: int, start_s: float) -> Trace:
    """A click on the page: the page's span (not exported) -> frontend SERVER -> frontend CLIENT -> gateway."""
    tags = {"http.request.method": "GET", "http.route": "/api/status", "http.response.status_code": 200}
    at = int(start_s * 1e6)
    return Trace(f"p{i}", (
        Span(f"p{i}", "f1", "page-span", "GET /api/status", "frontend", at, 30, {**tags, "span.kind": "server"}),
        Span(f"p{i}", "f2", "f1", "GET gateway /api/status", "frontend", at + 1, 20, {"span.kind": "client"}),
        Span(f"p{i}", "g1", "f2", "GET /api/status", "gateway", at + 2, 10, {**tags, "span.kind": "server"})))


def test_jaeger_count_takes_the_targets_entry_server_span_in_the_window() -> None:
    class FakeJaeger:
        def traces(self, service: str, **kwargs: Any) -> list[Trace]:
            assert service == "gateway" and kwargs["start"] == 1000.0 and kwargs["end"] == 1100.0
            return [_trace(1, "gateway", 1010), _trace(2, "gateway", 1020, 500), _trace(3, "gateway", 990),
                    _trace(4, "backend", 1030), _trace(5, "gateway", 1040, parent="x"), _page_trace(6, 1050)]

    count = jaeger_count(FakeJaeger(), WINDOW, limit=100, ratio=1.0)  # type: ignore[arg-type]
    # 1 and 5 (its parent is a span Jaeger does not hold: a caller that keeps its span) and the page's click,
    # entering the gateway under the frontend's client span; 3 is before the window, 4 never reached the gateway
    assert count.counts == {STATUS: 3, ("GET", "/api/status", 500): 1}
    assert _page_trace(6, 1050).root().service == "frontend"  # type: ignore[union-attr]
    full = jaeger_count(FakeJaeger(), WINDOW, limit=6, ratio=1.0)  # type: ignore[arg-type]
    assert "limit of 6" in full.note


def test_a_sampled_count_is_judged_by_the_binomial_bound() -> None:
    requests = made(STATUS, "browse", 400)
    assert binomial_bound(400, 0.5) == pytest.approx(4.0 * 10 + 0.5)
    assert table(requests, [Count("jaeger", {STATUS: 200}, ratio=0.5)]).unaccounted == 0
    assert table(requests, [Count("jaeger", {STATUS: 230}, ratio=0.5)]).unaccounted == 0
    assert table(requests, [Count("jaeger", {STATUS: 120}, ratio=0.5)]).unaccounted == 40  # 80 off, bound 40.5
    assert table(requests, [Count("jaeger", {STATUS: 401}, ratio=0.99)]).unaccounted >= 1  # never more than made


def test_reconcile_polls_until_the_pipelines_settle() -> None:
    requests = load_requests()
    arriving = iter([None, Count("prometheus", {STATUS: 3, JOBS: 2})])
    final = Count("prometheus", {STATUS: 3, JOBS: 2, LOGIN: 1})
    result = reconcile(requests, [lambda: next(arriving, final)], Bound.of(10), interval=0.01)
    assert result.unaccounted == 0 and result.behind == 0
    stuck = reconcile(requests, [lambda: None], Bound.of(0.05), interval=0.01)
    with pytest.raises(ExpectationFailed, match="1 pillar\\(s\\) never caught up"):
        assert_reconciled(stuck)


def test_reconciliation_is_on_for_load_scenarios_unless_turned_off() -> None:
    def scenario(load: bool, reconcile: bool | None) -> Scenario:
        return Scenario("s", Path("s.yaml"), (), Expect(reconcile=reconcile), load=LoadProfile() if load else None)

    assert enabled(scenario(True, None)) and not enabled(scenario(False, None))
    assert not enabled(scenario(True, False))
    with pytest.raises(ConfigError, match=r"s\.yaml: expect\.reconcile: true needs a `load:`"):
        enabled(scenario(False, True))


class FakeLoad:
    """A paused load of the three journeys' requests (as harness.load.LoadRun hands them out)."""

    def __init__(self) -> None:
        self.profile = LoadProfile(users=4, workers=2)
        self.started_at = 1000.0
        self.calls: list[str] = []

    def pause(self) -> float:
        self.calls.append("pause")
        return 1100.0

    def resume(self) -> None:
        self.calls.append("resume")

    def requests(self) -> list[MadeRequest]:
        return made(STATUS, "browse", 3, at=1010.0) + made(JOBS, "browse", 2, at=1030.0)


class CoreStack:
    """A core stack: Prometheus only; it scraped the gateway before and after the load."""

    def __init__(self, after: float) -> None:
        self.settings = SimpleNamespace(stack_mode="core", slack_seconds=0.1, trace_sampling=1.0)
        self.prometheus = FakePrometheus([_series(STATUS, [(990.0, 7.0), (after, 10.0)]),
                                          _series(JOBS, [(990.0, 0.0), (after, 2.0)])])

    def has(self, name: str) -> bool:
        return name == "prometheus"

    def rendered(self) -> Any:
        return SimpleNamespace(timing=Timing(0.1, 1.0, 1.0, 1.0, 1.0, 60.0))


def _run(stack: CoreStack, tmp_path: Path) -> tuple[FakeLoad, list[str], Any]:
    events = reporting.standard(tmp_path / "result.json", Events())
    said: list[str] = []
    events.subscribe(lambda e: said.append(e.text), Message)
    load = FakeLoad()
    scenario = Scenario("s", Path("s.yaml"), (), Expect(), load=load.profile)
    events.emit(ScenarioStarted("s", 0.1))
    try:
        reconcile_load(stack, scenario, load, ScenarioResult("s", 0.1), events)  # type: ignore[arg-type]
    finally:
        events.emit(ScenarioFinished("s", True, "", 1.0))
    return load, said, json.loads((tmp_path / "result.json").read_text())["scenarios"][0]


def test_the_expect_step_pauses_reconciles_reports_and_resumes(tmp_path: Path) -> None:
    load, said, run = _run(CoreStack(after=1105.0), tmp_path)
    assert load.calls == ["pause", "resume"]
    assert any("reconciliation: metrics only, this stack runs no elasticsearch or jaeger (core mode)" in s
               for s in said)
    table_json = run["reconciliation"]
    assert table_json["unaccounted"] == 0 and table_json["pillars"] == ["prometheus"]
    assert table_json["load"]["requests"] == 5 and table_json["load"]["rps"] == pytest.approx(0.2)
    assert [(r["route"], r["load"], r["prometheus"]) for r in table_json["rows"]] == [
        ("/api/jobs", 2, 2), ("/api/status", 3, 3)]


def test_the_expect_step_fails_when_prometheus_never_scrapes_after_the_load(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bounds, "PIPELINE_DELAY", 0.0)  # a short bound: 0.5 s export + 1 s scrape + 0.1 s slack
    with pytest.raises(ExpectationFailed, match="never caught up"):
        _run(CoreStack(after=1090.0), tmp_path)


def test_an_op_two_journeys_make_is_one_row_naming_both() -> None:
    requests = made(JOBS, "browse", 2) + made(JOBS, "browser", 3, prefix="b")
    result = table(requests, [Count("prometheus", {JOBS: 5}), logs_of(requests)])
    assert [(r.journey, r.made) for r in result.rows] == [("browse+browser", 5)] and result.unaccounted == 0
