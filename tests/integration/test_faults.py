"""Issue 4 on the real stack: every fault, switched on, changes the signal it should (seen by Prometheus
or at the API), and switched off returns to healthy. One test per fault."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests

from harness.assertions.wait import eventually
from harness.clients.prometheus import PromClient
from harness.facade import Obsdrill
from tests.integration.helpers import send, wait_samples

pytestmark = pytest.mark.stack
GIB = 1024**3


@contextmanager
def fault(obsdrill: Obsdrill, service: str, name: str, spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    state = obsdrill.service(service).set_fault(name, spec)
    try:
        yield state
    finally:
        obsdrill.stack.heal(service)
    assert obsdrill.service(service).faults() in ({}, []) or service == "gpu-sim"


def value(prom: PromClient, expr: str) -> float:
    samples = prom.query(expr)
    assert len(samples) == 1, f"{expr}: {[s.show() for s in samples]}"
    return samples[0].value


def test_http_errors(obsdrill: Obsdrill) -> None:
    with fault(obsdrill, "backend", "http_errors", {"rate": 1.0, "status": 503}):
        assert send(obsdrill, "backend", "GET", "/api/status").status == 503
        wait_samples(obsdrill.prometheus, 'http_requests_total{service="backend",status_code="503"} > 0')
    assert send(obsdrill, "backend", "GET", "/api/status").status == 200


def test_latency(obsdrill: Obsdrill) -> None:
    slow = ('http_request_duration_seconds_count{service="backend",endpoint="/api/jobs"} - ignoring(le) '
            'http_request_duration_seconds_bucket{service="backend",endpoint="/api/jobs",le="0.25"} > 0')
    with fault(obsdrill, "backend", "latency", {"ms": 400, "endpoint": "/api/jobs"}):
        started = time.monotonic()
        assert send(obsdrill, "backend", "GET", "/api/jobs").status == 200
        assert time.monotonic() - started >= 0.4
        wait_samples(obsdrill.prometheus, slow)
    started = time.monotonic()
    send(obsdrill, "backend", "GET", "/api/jobs")
    assert time.monotonic() - started < 0.25


def test_crash_then_restart(obsdrill: Obsdrill) -> None:
    with fault(obsdrill, "payments", "crash", {}):
        wait_samples(obsdrill.prometheus, 'up{job="recoloca-payments"} == 0')
        assert not obsdrill.stack.containers["payments"].is_running()
    wait_samples(obsdrill.prometheus, 'up{job="recoloca-payments"} == 1')
    assert send(obsdrill, "payments", "POST", "/charge", {"amount": 1.0}).status == 200


def test_hang(obsdrill: Obsdrill) -> None:
    with fault(obsdrill, "backend", "hang", {"max_seconds": 120}):
        with pytest.raises(requests.Timeout):
            requests.get(obsdrill.stack.url("backend") + "/health", timeout=2)
        wait_samples(obsdrill.prometheus, 'up{job="recoloca-backend"} == 0')
    assert requests.get(obsdrill.stack.url("backend") + "/health", timeout=5).status_code == 200
    wait_samples(obsdrill.prometheus, 'up{job="recoloca-backend"} == 1')


def test_cpu_burn(obsdrill: Obsdrill) -> None:
    busy = '100 - avg(irate(node_cpu_seconds_total{mode="idle"}[5s])) * 100'
    with fault(obsdrill, "backend", "cpu_burn", {"max_seconds": 60}):
        wait_samples(obsdrill.prometheus, f"{busy} > 90", within=30)
    wait_samples(obsdrill.prometheus, f"{busy} < 80", within=30)


def test_memory_growth(obsdrill: Obsdrill) -> None:
    """1 GiB made resident shows as a drop of host MemAvailable, and clearing gives it back. Both are measured
    against the value just before the change: the rest of the stack (a JVM warming up) moves it too."""
    available = "node_memory_MemAvailable_bytes"
    before = value(obsdrill.prometheus, available)
    with fault(obsdrill, "backend", "memory_growth", {"mib": 1024, "max_seconds": 120}):
        eventually(lambda: obsdrill.service("backend").faults()["memory_growth"]["status"] == "reached", 30,
                   "memory_growth reached 1024 MiB")
        wait_samples(obsdrill.prometheus, f"{available} < {before - 0.75 * GIB}", within=30)
        time.sleep(2 * obsdrill.stack.rendered().timing.scrape_interval)  # a scrape taken with all of it held
        during = value(obsdrill.prometheus, available)
    wait_samples(obsdrill.prometheus, f"{available} > {during + 0.75 * GIB}", within=30)


def test_downstream_unavailable(obsdrill: Obsdrill) -> None:
    with fault(obsdrill, "backend", "downstream_unavailable", {"target": "payments"}):
        assert send(obsdrill, "gateway", "POST", "/api/subscriptions", {"plan_type": "pro"}).status == 502
        wait_samples(obsdrill.prometheus,
                     'http_requests_total{service="backend",endpoint="/api/subscriptions",status_code="502"} > 0')
    assert send(obsdrill, "gateway", "POST", "/api/subscriptions", {"plan_type": "pro"}).status < 300


def test_queue_backup(obsdrill: Obsdrill) -> None:
    with fault(obsdrill, "cv-analyzer", "queue_backup", {"backlog": 150}):
        assert send(obsdrill, "gateway", "POST", "/api/cv/analyze", {"user_type": "free"}).status < 300
        wait_samples(obsdrill.prometheus, 'cv_analysis_queue_size{service="cv-analyzer"} > 100')
    wait_samples(obsdrill.prometheus, 'cv_analysis_queue_size{service="cv-analyzer"} == 0')


def test_payment_failures(obsdrill: Obsdrill) -> None:
    with fault(obsdrill, "payments", "payment_failures", {"rate": 1.0}):
        assert send(obsdrill, "gateway", "POST", "/api/subscriptions", {"plan_type": "pro"}).status == 402
        wait_samples(obsdrill.prometheus, 'payment_processing_total{status="failed"} > 0')
    assert send(obsdrill, "gateway", "POST", "/api/subscriptions", {"plan_type": "pro"}).status < 300


def test_ai_failures(obsdrill: Obsdrill) -> None:
    with fault(obsdrill, "ai-generation", "ai_failures", {"rate": 1.0}):
        sent = send(obsdrill, "gateway", "POST", "/api/ai/generate", {"model": "cv-writer", "prompt": "hi"})
        assert sent.status == 200 and sent.body["status"] == "failed"
        wait_samples(obsdrill.prometheus, 'ai_generations_total{status="failed"} > 0')
    sent = send(obsdrill, "gateway", "POST", "/api/ai/generate", {"model": "cv-writer", "prompt": "hi"})
    assert sent.status == 200 and sent.body["status"] == "success"


def test_disk_fill_on_the_size_limited_volume(obsdrill: Obsdrill) -> None:
    if obsdrill.stack.volume is None or obsdrill.stack.volume.mount is None:
        pytest.fail(f"no ext4 data volume in this run: {obsdrill.stack.volume}")
    free = ('node_filesystem_avail_bytes{mountpoint="/host/data",fstype="ext4"} / '
            'node_filesystem_size_bytes{mountpoint="/host/data",fstype="ext4"}')
    with fault(obsdrill, "cv-analyzer", "disk_fill", {"percent": 95}):
        wait_samples(obsdrill.prometheus, f"{free} < 0.10")
    wait_samples(obsdrill.prometheus, f"{free} > 0.90")


def test_db_pool_saturation(obsdrill: Obsdrill) -> None:
    with fault(obsdrill, "backend", "db_pool_saturation", {"held": 90}):
        wait_samples(obsdrill.prometheus, 'database_connections_active{service="backend"} >= 90')
    wait_samples(obsdrill.prometheus, 'database_connections_active{service="backend"} < 10')


@pytest.mark.parametrize(("name", "on", "off"), [
    ("overheat", 'DCGM_FI_DEV_GPU_TEMP{gpu="0"} > 85', 'DCGM_FI_DEV_GPU_TEMP{gpu="0"} < 80'),
    ("xid", 'DCGM_FI_DEV_XID_ERRORS{gpu="0"} > 0', 'DCGM_FI_DEV_XID_ERRORS{gpu="0"} == 0'),
    ("fb_exhaustion", 'DCGM_FI_DEV_FB_FREE{gpu="0"} < 64', 'DCGM_FI_DEV_FB_FREE{gpu="0"} > 1024'),
    ("gpu_lost", 'absent(DCGM_FI_DEV_GPU_TEMP{gpu="0"})', 'DCGM_FI_DEV_GPU_TEMP{gpu="0"}'),
])
def test_gpu_fault(obsdrill: Obsdrill, name: str, on: str, off: str) -> None:
    with fault(obsdrill, "gpu-sim", name, {"gpu": 0}):
        wait_samples(obsdrill.prometheus, on)
    wait_samples(obsdrill.prometheus, off)
