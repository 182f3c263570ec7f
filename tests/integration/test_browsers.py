"""Real headless Chromium (Debian's, driven by Playwright: harness/browsers.py) on the frontend's page, the
platform's services served in-process: what the browsers did equals what the page reported, metric by metric,
each page error Chromium saw is one frontend_errors_total and one ERROR log line of recoloca-frontend, and each
successful call of the tracking plan one GA4 and one Mixpanel event at the sink's protocol endpoints."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from harness.assertions.analytics import assert_analytics
from harness.bounds import Bound
from harness.clients.sink import SinkClient
from harness.load import MadeRequest, free_port
from harness.platform import GA4_MEASUREMENT_ID, MIXPANEL_TOKEN
from harness.system import ensure_chromium
from synthetic_services.envvars import TIME_FACTOR
from tests.conftest import Running, Start

pytestmark = pytest.mark.slow


def _stack(start: Start) -> Running:
    payments = start("payments")
    cv, ai = start("cv-analyzer"), start("ai-generation", payments=payments)
    backend = start("backend", cv_analyzer=cv, ai_generation=ai, payments=payments)
    gateway = start("gateway", backend=backend)
    return start("frontend", env={TIME_FACTOR: "0.1"}, gateway=gateway)


@pytest.fixture
def sink() -> Iterator[SinkClient]:
    """The harness's receiver endpoints as a process (its GA4 and Mixpanel stand-ins answer the browsers)."""
    port, smtp = free_port(), free_port()
    proc = subprocess.Popen([sys.executable, "-m", "synthetic_services", "sink", "--port", str(port),
                             "--smtp-port", str(smtp)], stdout=subprocess.DEVNULL)
    client = SinkClient(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                client.analytics()
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and proc.poll() is None, "the sink did not start"
                time.sleep(0.2)
        yield client
    finally:
        proc.terminate()
        proc.wait(10)


def _browse(frontend: Running, tmp_path: Path, seconds: float, analytics: str) -> dict[str, object]:
    log = tmp_path / "browser-requests.jsonl"
    proc = subprocess.run([sys.executable, "-m", "harness.browsers", "--url", frontend.url, "--users", "2",
                           "--max-seconds", str(seconds), "--request-log", str(log), "--chromium",
                           ensure_chromium(install=False), "--analytics-url", analytics], capture_output=True,
                          text=True, timeout=seconds + 90, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = [json.loads(x) for x in proc.stdout.splitlines() if x.startswith("{")]
    assert lines[0]["event"] == "started" and lines[-1]["event"] == "stopped"
    stats = dict(lines[-1])
    stats["made"] = [MadeRequest.from_json(json.loads(x)) for x in log.read_text().splitlines()]
    return stats


def _settled(frontend: Running, metric: str, want: float, **labels: str) -> float:
    """The sample once the page's last beacons arrived (they are sent as the page is left)."""
    deadline = time.monotonic() + 10
    while (value := frontend.sample(metric, **labels)) != want and time.monotonic() < deadline:
        time.sleep(0.2)
    return value


def test_what_the_browsers_did_is_what_the_page_reported(start: Start, sink: SinkClient, tmp_path: Path) -> None:
    frontend = _stack(start)
    frontend.fault("js_errors", {"rate": 0.5, "action": "generate"})
    stats = _browse(frontend, tmp_path, seconds=12, analytics=sink.url)
    visits, clicks, errors = int(stats["visits"]), dict(stats["clicks"]), int(stats["page_errors"])  # type: ignore[call-overload, arg-type]
    made: list[MadeRequest] = stats["made"]  # type: ignore[assignment]
    assert visits >= 4 and errors >= 1 and stats["failures"] == 0, stats
    assert _settled(frontend, "page_views_total", visits, page="/") >= visits  # a visit cut short by the stop
    for action, n in clicks.items():
        assert _settled(frontend, "user_actions_total", n, action=action, component="nav") >= n
    assert _settled(frontend, "frontend_errors_total", errors, error_type="TypeError", component="global") == errors
    jobs = sum(1 for r in made if r.route == "/api/jobs")
    assert frontend.sample("api_calls_total", endpoint="/api/jobs", method="GET", status="200") >= jobs == visits
    generated = sum(1 for r in made if r.route == "/api/ai/generate")
    assert generated == clicks["generate"] - errors  # a broken click never calls the API
    assert frontend.sample("page_load_time_ms_count") >= visits
    assert frontend.sample("http_requests_total", method="POST", endpoint="/api/ai/generate",
                           status_code="200") == generated  # the frontend forwarded every call it was asked for
    browser = [x for x in frontend.logs() if x.get("source") == "browser"]
    failed = [x for x in browser if x["event"] == "frontend_error"]
    assert len(failed) == errors and {x["level"] for x in failed} == {"ERROR"}
    assert all(x["service"] == "recoloca-frontend" and x["session_id"] and x["user_id"].startswith("web-")
               and "TypeError" in x["stack"] for x in failed)
    calls = {x["correlation_id"] for x in browser if x["event"] == "api_call"}
    assert {r.correlation_id for r in made} <= calls  # every API call the driver saw was logged by the page
    # each successful call of the tracking plan reached GA4's and Mixpanel's protocol endpoints once
    table = assert_analytics(sink, made, Bound.of(10))
    assert table.expected["generate_creative"] == generated and table.expected["sign_up"] == clicks["register"]
    got = sink.analytics()
    assert {e["measurement_id"] for e in got if e["provider"] == "ga4"} == {GA4_MEASUREMENT_ID}
    assert {e["properties"]["token"] for e in got if e["provider"] == "mixpanel"} == {MIXPANEL_TOKEN}
