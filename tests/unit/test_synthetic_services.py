"""Each fault's observable effect on services served in-process on loopback (metrics, status codes, logs)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from opentelemetry.trace import SpanKind, StatusCode

from synthetic_services import dbpool
from synthetic_services.faults.base import APPLIED
from synthetic_services.faults.disk import FILL_NAME, DiskFill
from tests.conftest import Start


def wait_for(check: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_http_errors_fail_that_share_and_show_in_requests_total(start: Start) -> None:
    backend = start("backend")
    assert backend.fault("http_errors", {"rate": 0.5, "status": 503}) == {"rate": 0.5, "status": 503,
                                                                          "endpoint": None, "progress": APPLIED}
    codes = [backend.call("GET", "/api/status").status_code for _ in range(10)]
    assert codes.count(503) == 5 and codes.count(200) == 5
    assert backend.sample("http_requests_total", method="GET", endpoint="/api/status", status_code="503") == 5
    assert backend.clear() == {}
    assert {backend.call("GET", "/api/status").status_code for _ in range(5)} == {200}
    errors = [line for line in backend.logs() if line.get("status_code") == 503]
    assert len(errors) == 5 and errors[0]["level"] == "ERROR" and errors[0]["event"] == "api_request"


def test_latency_shows_in_the_duration_histogram_of_its_endpoint_only(start: Start) -> None:
    backend = start("backend")
    backend.fault("latency", {"ms": 300, "endpoint": "/api/status"})
    began = time.perf_counter()
    assert backend.call("GET", "/api/status").status_code == 200
    assert time.perf_counter() - began >= 0.3
    backend.call("GET", "/api/jobs")
    bucket = "http_request_duration_seconds_bucket"
    assert backend.sample(bucket, method="GET", endpoint="/api/status", le="0.25") == 0
    assert backend.sample(bucket, method="GET", endpoint="/api/status", le="0.5") == 1
    assert backend.sample(bucket, method="GET", endpoint="/api/jobs", le="0.25") == 1
    assert backend.sample(bucket, method="GET", endpoint="/api/jobs", le="10.0") == 1  # HighResponseTime's buckets


def test_hang_blocks_every_route_but_admin_until_cleared_or_expired(start: Start) -> None:
    payments = start("payments")
    payments.fault("hang", {"max_seconds": 30})
    answers: list[int] = []
    scrape = threading.Thread(target=lambda: answers.append(payments.call("GET", "/metrics").status_code))
    scrape.start()
    scrape.join(0.4)
    assert scrape.is_alive() and answers == []
    wait_for(lambda: payments.call("GET", "/admin/faults").json()["faults"]["hang"]["blocked"] == 1)
    payments.clear("hang")
    scrape.join(5)
    assert answers == [200]
    payments.fault("hang", {"max_seconds": 0.3})
    began = time.perf_counter()
    assert payments.call("GET", "/health").status_code == 200
    assert 0.25 <= time.perf_counter() - began < 3 and payments.clear() == {}


def test_queue_backup_grows_the_queue_without_latency_or_errors(start: Start) -> None:
    cv = start("cv-analyzer")
    healthy = cv.call("POST", "/analyze", {"user_type": "premium"})
    assert healthy.status_code == 200 and 40 <= healthy.json()["score"] <= 98
    assert cv.fault("queue_backup", {"backlog": 150}) == {"backlog": 150, "paused": True, "queue_size": 150,
                                                         "progress": APPLIED}
    assert cv.sample("cv_analysis_queue_size") == 150
    began = time.perf_counter()
    queued = [cv.call("POST", "/analyze", {"user_type": "free"}) for _ in range(3)]
    assert time.perf_counter() - began < 1.5 and {r.status_code for r in queued} == {202}  # no 1 s waits
    assert queued[0].json()["status"] == "queued" and cv.sample("cv_analysis_queue_size") == 153
    cv.clear()
    wait_for(lambda: cv.sample("cv_analysis_queue_size") == 0)
    wait_for(lambda: cv.sample("cv_analyses_total", status="success", user_type="free") == 3)
    assert cv.sample("http_requests_total", method="POST", endpoint="/analyze", status_code="202") == 3
    assert cv.sample("cv_analysis_duration_seconds_count") == 4


def test_analysis_failures_fail_that_share_in_band_and_log_an_error(start: Start) -> None:
    cv = start("cv-analyzer")
    cv.fault("analysis_failures", {"rate": 0.5})
    answers = [cv.call("POST", "/analyze", {"user_type": "free"}) for _ in range(4)]
    assert {a.status_code for a in answers} == {200}  # in band: the SLO's bad events, not HTTP errors
    assert sorted(a.json()["status"] for a in answers) == ["completed", "completed", "failed", "failed"]
    assert cv.sample("cv_analyses_total", status="failed", user_type="free") == 2
    assert cv.sample("cv_analyses_total", status="success", user_type="free") == 2
    line = next(x for x in cv.logs() if x.get("event") == "cv_analysis" and x["status"] == "failed")
    assert line["level"] == "ERROR" and line["error_type"] == "CVParseError" and line.get("score") is None
    cv.clear()
    assert cv.call("POST", "/analyze", {"user_type": "free"}).json()["status"] == "completed"


def test_payment_failures_decline_with_402_and_count_failed(start: Start) -> None:
    payments = start("payments")
    backend = start("backend", payments=payments)
    payments.fault("payment_failures", {"rate": 0.5, "reason": "insufficient_funds"})
    answers = [backend.call("POST", "/api/subscriptions", {"plan_type": "premium"}) for _ in range(4)]
    assert sorted(a.status_code for a in answers) == [201, 201, 402, 402]
    declined = next(a.json() for a in answers if a.status_code == 402)
    assert declined["payment"] == {"status": "declined", "reason": "insufficient_funds", "amount": 19.99}
    assert payments.sample("payment_processing_total", status="failed") == 2
    assert payments.sample("payment_processing_total", status="success") == 2
    assert backend.sample("subscription_events_total", event_type="payment_failed", plan_type="premium") == 2
    line = next(x for x in payments.logs() if x.get("event") == "payment" and x["status"] == "failed")
    assert line["reason"] == "insufficient_funds" and line["amount"] == 19.99 and line["level"] == "WARNING"


def test_ai_failures_answer_in_band_and_are_not_charged(start: Start) -> None:
    payments = start("payments")
    ai = start("ai-generation", payments=payments)
    ok = ai.call("POST", "/generate", {"model": "cv-writer", "prompt": "x"})
    assert ok.status_code == 200 and ok.json()["status"] == "success"
    ai.fault("ai_failures", {"rate": 1.0})
    failed = ai.call("POST", "/generate", {"model": "cv-writer", "prompt": "x"})
    assert failed.status_code == 200 and failed.json()["status"] == "failed" and not failed.json()["charged"]
    assert ai.sample("ai_generations_total", model="cv-writer", status="failed") == 1
    assert ai.sample("ai_generations_total", model="cv-writer", status="success") == 1
    assert payments.sample("payment_processing_total", status="success") == 1  # only the successful one
    event = [x for x in ai.logs() if x.get("event") == "ai_model_invocation"][-1]
    assert event["status"] == "failed" and event["model"] == "cv-writer" and event["gpu"] in (0, 1)


def test_db_pool_saturation_holds_connections_and_exhausts_the_pool(
        start: Start, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbpool, "ACQUIRE_TIMEOUT_S", 0.2)
    backend = start("backend")
    assert backend.fault("db_pool_saturation", {"held": 90}) == {"held": 90, "in_use": 90, "pool_size": 100,
                                                                "progress": APPLIED}
    assert backend.sample("database_connections_active") == 90
    backend.fault("latency", {"ms": 400, "endpoint": "/api/status"})
    slow = threading.Thread(target=backend.call, args=("GET", "/api/status"))
    slow.start()
    wait_for(lambda: backend.sample("database_connections_active") == 91)
    slow.join()
    backend.fault("db_pool_saturation", {"held": 100})
    exhausted = backend.call("GET", "/api/jobs")
    assert exhausted.status_code == 503 and "no free connection" in exhausted.json()["error"]
    backend.clear()
    assert backend.sample("database_connections_active") == 0 and backend.call("GET", "/api/jobs").ok


def test_downstream_unavailable_makes_the_caller_answer_502(start: Start) -> None:
    payments = start("payments")
    backend = start("backend", payments=payments)
    gateway = start("gateway", backend=backend)
    bad = gateway.call("PUT", "/admin/faults/downstream_unavailable", {"target": "payments"})
    assert bad.status_code == 400 and "downstream_unavailable.target: expected one of backend" in bad.json()["error"]
    backend.fault("downstream_unavailable", {"target": "payments"})
    answer = gateway.call("POST", "/api/subscriptions", {"plan_type": "basic"})
    assert answer.status_code == 502
    assert backend.sample("http_requests_total", method="POST", endpoint="/api/subscriptions", status_code="502") == 1
    assert payments.sample("http_requests_total", method="POST", endpoint="/charge", status_code="200") == 0
    error = next(x for x in backend.logs() if x.get("event") == "error")
    assert error["error_type"] == "DownstreamError" and "Connection refused" in error["error_message"]
    client = next(s for s in backend.spans.get_finished_spans() if s.kind == SpanKind.CLIENT)
    assert client.name == "POST payments /charge" and client.status.status_code == StatusCode.ERROR
    backend.clear()
    gateway.fault("downstream_unavailable")
    assert gateway.call("GET", "/api/status").status_code == 502
    gateway.clear()
    assert gateway.call("POST", "/api/subscriptions", {"plan_type": "basic"}).status_code == 201


def test_disk_fill_needs_a_volume_and_fills_one(start: Start, tmp_path: Path) -> None:
    cv = start("cv-analyzer")
    refused = cv.call("POST", "/admin/faults/disk_fill", {"path": str(tmp_path)})
    assert refused.status_code == 400 and f"disk_fill.path: {tmp_path} is not a mount point" in refused.json()["error"]
    assert "/data does not exist" in cv.call("POST", "/admin/faults/disk_fill", {}).json()["error"]
    volume = tmp_path / "volume"
    volume.mkdir()
    stats = os.statvfs(volume)
    cv.app.faults.offer("disk_fill", lambda raw, ctx: DiskFill(raw, ctx, require_mount=False))
    target = min(99.9, (1 - stats.f_bavail / stats.f_blocks) * 100 + 0.004)  # ~0.004 % more than now
    state = cv.fault("disk_fill", {"path": str(volume), "percent": target})
    assert state["status"] == "filled" and (volume / FILL_NAME).stat().st_size == state["bytes"] > 0
    cv.clear()
    assert not (volume / FILL_NAME).exists()


def _nice_and_cpu(pid: int) -> tuple[int, int]:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[16]), int(fields[11]) + int(fields[12])  # nice, utime + stime


@pytest.mark.slow
def test_cpu_burn_runs_niced_processes_that_end_by_themselves(start: Start) -> None:
    payments = start("payments")
    too_many = payments.call("PUT", "/admin/faults/cpu_burn", {"workers": 1000})
    assert too_many.status_code == 400 and "cpu_burn.workers" in too_many.json()["error"]
    state = payments.fault("cpu_burn", {"workers": 1, "max_seconds": 2})
    (pid,) = state["pids"]
    nice, cpu_before = _nice_and_cpu(pid)
    assert nice == 19
    wait_for(lambda: _nice_and_cpu(pid)[1] > cpu_before, timeout=1.5)  # busy (niced: slow on a busy host)
    wait_for(lambda: not Path(f"/proc/{pid}").exists(), timeout=4)
    assert payments.clear() == {}
    (pid,) = payments.fault("cpu_burn", {"workers": 1, "max_seconds": 60})["pids"]
    payments.clear("cpu_burn")
    assert not Path(f"/proc/{pid}").exists()


def _rss_mib() -> float:
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def test_memory_growth_is_resident_and_freed_on_clear(start: Start) -> None:
    payments = start("payments")
    before = _rss_mib()
    payments.fault("memory_growth", {"mib": 64, "step_mib": 16, "min_available_mib": 0})
    wait_for(lambda: payments.call("GET", "/admin/faults").json()["faults"]["memory_growth"]["status"] == "reached")
    state = payments.call("GET", "/admin/faults").json()["faults"]["memory_growth"]
    assert state["allocated_mib"] == 64 and state["reason"] == "reached"
    assert _rss_mib() - before >= 60
    payments.clear()
    assert _rss_mib() - before < 16


def test_admin_api_shape_and_errors(start: Start) -> None:
    cv = start("cv-analyzer")
    listing = cv.call("GET", "/admin/faults").json()
    assert listing["service"] == "cv-analyzer" and listing["faults"] == {}
    assert set(listing["offered"]) == {"http_errors", "latency", "crash", "hang", "cpu_burn", "memory_growth",
                                       "exceptions", "queue_backup", "analysis_failures", "disk_fill"}
    unknown = cv.call("POST", "/admin/faults/payment_failures", {"rate": 1})
    assert unknown.status_code == 400
    assert "offered: analysis_failures, cpu_burn, crash, disk_fill" in unknown.json()["error"]
    assert cv.call("POST", "/admin/faults/latency", None).status_code == 400  # ms is required
    broken = requests.post(cv.url + "/admin/faults/latency", data=b"{nope", timeout=5)
    assert broken.status_code == 400 and broken.json()["error"].startswith("spec: invalid JSON")
    assert cv.call("GET", "/admin/other").status_code == 404
    changes = [x for x in cv.logs() if x.get("event") == "fault_change"]
    assert changes == []  # rejected specs change nothing
