"""The frontend service in-process: the page and its settings, the page's metric and log batches, the proxy to
the gateway with the page's trace context, the js_errors fault as the page sees it; and the browser driver's
request log (harness/browsers.py) in harness.loadgen's format."""

from __future__ import annotations

import json
import time
from pathlib import Path

from opentelemetry.trace import SpanKind

from harness.browsers import Record
from harness.errors import ObsdrillError
from harness.load import BROWSER_ENTRY, LoadProfile, LoadRun, MadeRequest, SampledRequest
from synthetic_services.envvars import TIME_FACTOR
from synthetic_services.frontend import browser_line
from tests.conftest import Running, Start

TRACE = "0af7651916cd43dd8448eb211c80319c"


def _config(page: str) -> dict[str, object]:
    start = page.index("window.OBSDRILL_CONFIG = ") + len("window.OBSDRILL_CONFIG = ")
    return dict(json.loads(page[start:page.index(";</script>", start)]))


def _platform(start: Start) -> tuple[Running, Running]:
    backend = start("backend")
    gateway = start("gateway", backend=backend)
    return start("frontend", env={TIME_FACTOR: "0.1"}, gateway=gateway), gateway


def test_the_page_carries_its_scaled_flush_intervals_and_the_active_fault(start: Start) -> None:
    frontend, _ = _platform(start)
    page = frontend.call("GET", "/")
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    config = _config(page.text)
    assert config | {"analyticsEvents": None} == {"version": "1.0.0", "batchSize": 10, "maxLogBuffer": 50,
                                                  "metricsFlushMs": 3000, "logsFlushMs": 1000, "faults": {},
                                                  "analyticsEvents": None}
    assert config["analyticsEvents"]["/api/auth/register"] == ["sign_up", "Sign Up"]  # type: ignore[index]
    frontend.fault("js_errors", {"rate": 0.5, "action": "subscribe"})
    faults = _config(frontend.call("GET", "/").text)["faults"]
    assert faults == {"js_errors": {"rate": 0.5, "action": "subscribe"}}
    assert "addEventListener('error'" in frontend.call("GET", "/static/app.js").text
    assert frontend.call("GET", "/static/../frontend.py").status_code == 404  # nothing outside the assets


def test_metric_batches_become_the_seeds_series_and_bad_entries_are_counted(start: Start) -> None:
    frontend, _ = _platform(start)
    batch = {"metrics": [
        {"name": "page_views_total", "value": 1, "labels": {"page": "/", "user_id": "u1"}},
        {"name": "api_calls_total", "value": 1, "labels": {"endpoint": "/api/jobs", "method": "GET", "status": "200"}},
        {"name": "largest_contentful_paint_ms", "value": 3100.5},
        {"name": "frontend_errors_total", "value": 1, "labels": {"error_type": "TypeError", "component": "global"}},
        {"name": "cpu_seconds", "value": 1}, {"name": "page_views_total", "value": -1}, {"name": "x"}]}
    answer = frontend.call("POST", "/api/metrics", batch)
    assert answer.status_code == 202 and answer.json() == {"recorded": 4, "rejected": 3}
    assert frontend.sample("page_views_total", page="/") == 1  # the seed's user_id label is left out
    assert frontend.sample("api_calls_total", endpoint="/api/jobs", method="GET", status="200") == 1
    assert frontend.sample("largest_contentful_paint_ms_bucket", le="4000.0") == 1
    assert frontend.sample("largest_contentful_paint_ms_bucket", le="2500.0") == 0
    assert frontend.sample("frontend_errors_total", error_type="TypeError", component="global") == 1
    for reason, n in (("unknown_metric", 1), ("negative", 1), ("malformed", 1)):
        assert frontend.sample("frontend_metrics_rejected_total", reason=reason) == n
    exposition = frontend.call("GET", "/api/metrics").text  # the seed's metrics_path, scraped with GET
    assert 'page_views_total{page="/"} 1.0' in exposition and "http_requests_total" in exposition
    assert frontend.call("POST", "/api/metrics", {"metrics": "nope"}).status_code == 400


def test_log_batches_become_seed_format_lines_of_recoloca_frontend(start: Start) -> None:
    frontend, _ = _platform(start)
    entry = {"timestamp": "2026-12-04T03:00:00.000Z", "level": "error", "message": "uncaught TypeError: x",
             "user_id": "web-1", "session_id": "s-1", "request_id": "r-1",
             "context": {"event": "frontend_error", "component": "global", "trace_id": TRACE},
             "error": {"name": "TypeError", "message": "x", "stack": "TypeError: x\n at app.js:1"}}
    assert frontend.call("POST", "/api/logs", {"logs": [entry, {"level": "info"}]}).json() == {
        "written": 1, "rejected": 1}
    line = next(x for x in frontend.logs() if x.get("source") == "browser")
    assert line == browser_line(entry, "1.0.0")
    assert line["service"] == "recoloca-frontend" and line["level"] == "ERROR"
    assert (line["correlation_id"], line["trace_id"], line["error_type"]) == ("r-1", TRACE, "TypeError")
    assert line["context"] == '{"component": "global"}' and line["event"] == "frontend_error"


def test_api_calls_go_to_the_gateway_in_the_pages_trace(start: Start) -> None:
    frontend, gateway = _platform(start)
    answer = frontend.call("GET", "/api/jobs", headers={"traceparent": f"00-{TRACE}-b7ad6b7169203331-01",
                                                        "X-Correlation-ID": "r-9"})
    assert answer.status_code == 200 and len(answer.json()["jobs"]) == 5
    server = next(s for s in frontend.spans.get_finished_spans() if s.kind == SpanKind.SERVER)
    assert format(server.context.trace_id, "032x") == TRACE and server.name == "GET /api/jobs"
    assert {format(s.context.trace_id, "032x") for s in gateway.spans.get_finished_spans()} == {TRACE}
    assert frontend.sample("http_requests_total", method="GET", endpoint="/api/jobs", status_code="200") == 1
    hit = next(x for x in gateway.logs() if x.get("event") == "api_request")
    assert hit["correlation_id"] == "r-9" and hit["trace_id"] == TRACE


def test_the_browser_record_writes_loadgen_request_lines(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    record = Record(log, sample_size=2)
    calls = [{"method": "GET", "path": "/api/jobs", "status": 200, "request_id": f"r{i}", "trace_id": TRACE,
              "at": 100.0 + i} for i in range(3)] + [{"method": "POST", "path": "/api/ai/generate", "status": 0,
                                                      "request_id": "r9", "trace_id": TRACE, "at": 104.0}]
    record.visit(calls, ["generate", "register"])
    made = [MadeRequest.from_json(json.loads(line)) for line in log.read_text().splitlines()]
    assert [(m.journey, m.route, m.status, m.correlation_id) for m in made][-1] == ("browser", "/api/ai/generate",
                                                                                     0, "r9")
    assert len(made) == 4 and [r["correlation_id"] for r in record.sample] == ["r2", "r9"]
    assert record.stats() | {"page_error_examples": []} == {
        "event": "stopped", "visits": 1, "clicks": {"generate": 1, "register": 1}, "calls": 4, "failures": 1,
        "page_errors": 0, "page_error_examples": []}
    sampled = SampledRequest.from_json(record.sample[0], BROWSER_ENTRY)
    assert sampled.services() == ("frontend", "gateway", "backend") and sampled.trace_id == TRACE


def test_a_load_with_browsers_runs_the_browser_process_beside_locust() -> None:
    load = LoadRun(LoadProfile(users=1, browsers=2, workers=2), "http://gw", browser_url="http://fe")
    command = load.command(3)
    assert command[1:3] == ["-m", "harness.browsers"] and command[command.index("--users") + 1] == "2"
    assert command[command.index("--url") + 1] == "http://fe"
    worker = load.command(1)
    assert "harness.loadgen" in worker and worker[worker.index("--role") + 1] == "worker"
    assert load._runs_users() == [1, 2, 3] and load._controllers() == [0, 3]
    try:
        LoadRun(LoadProfile(browsers=1), "http://gw")
    except ObsdrillError as exc:
        assert "browsers need the frontend's URL" in str(exc)
    else:
        raise AssertionError("a load with browsers and no frontend URL was accepted")
    load.close()


def test_active_users_are_the_distinct_users_of_the_last_five_scaled_minutes(start: Start) -> None:
    frontend = start("frontend", env={TIME_FACTOR: "0.001"})  # the 5 min window is 0.3 s at this factor
    views = [{"name": "page_views_total", "value": 1, "labels": {"page": "/", "user_id": u}} for u in "aab"]
    frontend.call("POST", "/api/metrics", {"metrics": views})
    assert frontend.sample("frontend_active_users") == 2 and frontend.sample("page_views_total", page="/") == 3
    time.sleep(0.4)
    assert frontend.sample("frontend_active_users") == 0
