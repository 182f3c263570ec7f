"""The Locust load worker as a real process against a local fake gateway: journeys with weights, a fresh
X-Correlation-ID and the user's X-User-ID on every request, a bounded sample with trace ids, stats."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from harness.load import LoadProfile, LoadRun, SampledRequest
from harness.loadgen import Sampler, trace_id_of
from harness.platform import route_services

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
def gateway() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []
    lock = threading.Lock()

    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                seen.append({"method": self.command, "path": self.path, "body": json.loads(body or b"null"),
                             "correlation": self.headers.get("X-Correlation-ID"),
                             "user": self.headers.get("X-User-ID")})
            status = 402 if self.path == "/api/subscriptions" else 200
            payload = b'{"ok": true}'
            self.send_response(status)
            self.send_header("X-Correlation-ID", self.headers.get("X-Correlation-ID", ""))
            self.send_header("traceparent", f"00-{TRACE}-00f067aa0ba902b7-01")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_trace_id_comes_from_the_response_traceparent() -> None:
    assert trace_id_of({"traceparent": f"00-{TRACE}-00f067aa0ba902b7-01"}) == TRACE
    assert trace_id_of({"traceresponse": f"00-{TRACE.upper()}-00f067aa0ba902b7-01"}) == TRACE
    assert trace_id_of({}) == "" and trace_id_of({"traceparent": "garbage"}) == ""


def test_sampler_keeps_the_latest_requests_per_journey(tmp_path: Any) -> None:
    class Response:
        status_code = 200
        headers = {"X-Correlation-ID": "c"}

    sampler = Sampler(size=2, spacing=0.0)
    for _ in range(5):
        sampler.add("browse", "GET", "/api/status", "c", Response())
    sampler.write(tmp_path / "s.json")
    data = json.loads((tmp_path / "s.json").read_text())
    assert len(data["browse"]) == 2 and data["subscribe"] == []
    spread = Sampler(size=20, spacing=60.0)  # a busy journey is sampled at most once per `spacing`
    for _ in range(5):
        spread.add("browse", "GET", "/api/status", "c", Response())
    assert len(spread.rows["browse"]) == 1


def test_sampled_request_knows_the_services_of_its_route() -> None:
    assert route_services("/api/ai/generate") == ("gateway", "backend", "ai-generation", "payments")
    assert route_services("/api/status", entry="backend") == ("backend",)
    request = SampledRequest.from_json({"journey": "subscribe", "method": "POST", "path": "/api/subscriptions",
                                        "correlation_id": "c", "status": 402})
    assert not request.ok and request.services() == ("gateway", "backend", "payments")


@pytest.mark.slow
def test_worker_runs_weighted_journeys_with_fresh_ids(gateway: tuple[str, list[dict[str, Any]]]) -> None:
    url, seen = gateway
    profile = LoadProfile(users=2, spawn_rate=10, wait_min=0.05, wait_max=0.1, target="gateway",
                          journeys=(("browse", 1), ("subscribe", 1), ("register", 0)))
    with LoadRun(profile, url, sample_size=5) as load:
        deadline = time.monotonic() + 20
        while len(load.sample()) < 6 and time.monotonic() < deadline:
            time.sleep(0.3)
        sample = load.sample()
        stats = load.stop()
    paths = {s["path"] for s in seen}
    assert paths == {"/api/status", "/api/jobs", "/api/subscriptions"}  # register has weight 0
    correlations = [s["correlation"] for s in seen]
    assert all(correlations) and len(set(correlations)) == len(correlations)
    assert all(s["user"] and s["user"].startswith("user-") for s in seen)
    assert {s["body"]["plan_type"] for s in seen if s["path"] == "/api/subscriptions"} <= {"basic", "premium"}
    assert {r.journey for r in sample} == {"browse", "subscribe"}
    assert all(r.trace_id == TRACE and r.correlation_id in correlations for r in sample)
    assert len([r for r in sample if r.journey == "browse"]) <= 5
    assert stats["requests"] > 0 and stats["failures"] == 0  # a 402 decline is a business outcome
    assert set(stats["journeys"]) == {"browse", "subscribe"}


@pytest.mark.slow
def test_a_started_load_used_as_a_context_manager_is_one_worker(gateway: tuple[str, list[dict[str, Any]]]) -> None:
    url, _ = gateway
    profile = LoadProfile(users=1, spawn_rate=10, wait_min=0.1, wait_max=0.2, target="gateway",
                          journeys=(("browse", 1),))
    run = LoadRun(profile, url).start()  # as Obsdrill.load() hands it out
    [worker] = run._procs
    with run as same:
        assert same is run and run._procs == [worker]  # not a second worker
    assert worker.poll() is not None  # stopped on exit


def _wait_for(predicate: Any, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.2)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [0, 2])
def test_every_request_is_logged_and_a_pause_leaves_none_in_flight(
        gateway: tuple[str, list[dict[str, Any]]], workers: int) -> None:
    """Local and distributed (a master and two Locust workers): the request logs of the processes that run
    users hold exactly the requests the gateway saw; after pause() no request arrives until resume()."""
    url, seen = gateway
    profile = LoadProfile(users=4, spawn_rate=20, wait_min=0.01, wait_max=0.02, target="gateway",
                          journeys=(("browse", 1), ("register", 1)), workers=workers)
    with LoadRun(profile, url, sample_size=5) as load:
        _wait_for(lambda: len(load.requests()) >= 40)
        paused_at = load.pause()
        made, arrived = load.requests(), len(seen)
        time.sleep(1.0)
        assert len(seen) == arrived and len(load.requests()) == len(made)  # nothing in flight, none new
        assert all(r.at <= paused_at for r in made)
        assert {r.journey for r in load.sample()} == {"browse", "register"}  # merged over the workers
        load.resume()
        _wait_for(lambda: len(seen) > arrived)
        assert len(seen) > arrived
        stats = load.stop()
    assert sorted(r.correlation_id for r in made) == sorted(s["correlation"] for s in seen[:arrived])
    assert {(r.journey, r.method, r.route, r.status) for r in made} <= {
        ("browse", "GET", "/api/status", 200), ("browse", "GET", "/api/jobs", 200),
        ("register", "POST", "/api/auth/register", 200), ("register", "POST", "/api/auth/login", 200)}
    assert stats["requests"] >= len(made) and stats["failures"] == 0
