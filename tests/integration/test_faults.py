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
from harness.bounds import Bound
from harness.clients.prometheus import PromClient
from harness.facade import Obsdrill
from tests.integration.helpers import send

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
    """The one sample of ``expr`` (waiting for it: each reset empties the TSDB, the next scrape refills it)."""
    samples, _ = eventually(lambda: prom.query(expr), Bound.of(15), f"a sample of {expr}")
    assert len(samples) == 1, f"{expr}: {[s.show() for s in samples]}"
    return samples[0].value


def total(obsdrill: Obsdrill, series: str) -> float:
    """What a counter's series add up to now (0 before the first is scraped)."""
    return value(obsdrill.prometheus, f"sum({series}) or vector(0)")


def counted(obsdrill: Obsdrill, series: str, before: float) -> float:
    """Waits until the series of a counter add up to more than ``before`` (its value before the request that
    should count); the new total."""
    return obsdrill.expect_query(f"sum({series}) > {before!r}")[0].value


def test_http_errors(obsdrill: Obsdrill) -> None:
    errors = 'http_requests_total{service="backend",status_code="503"}'
    served = 'http_requests_total{service="backend",endpoint="/api/status",status_code="200"}'
    before = total(obsdrill, errors)
    with fault(obsdrill, "backend", "http_errors", {"rate": 1.0, "status": 503}):
        assert send(obsdrill, "backend", "GET", "/api/status").status == 503
        counted(obsdrill, errors, before)
    before = total(obsdrill, served)
    assert send(obsdrill, "backend", "GET", "/api/status").status == 200
    counted(obsdrill, served, before)


def test_latency(obsdrill: Obsdrill) -> None:
    jobs = 'service="backend",endpoint="/api/jobs"'
    fast = f'http_request_duration_seconds_bucket{{{jobs},le="0.25"}}'
    slow = f"http_request_duration_seconds_count{{{jobs}}} - ignoring(le) {fast}"
    before = total(obsdrill, slow)
    with fault(obsdrill, "backend", "latency", {"ms": 400, "endpoint": "/api/jobs"}):
        started = time.monotonic()
        assert send(obsdrill, "backend", "GET", "/api/jobs").status == 200
        assert time.monotonic() - started >= 0.4
        counted(obsdrill, slow, before)
    before = total(obsdrill, fast)
    started = time.monotonic()
    send(obsdrill, "backend", "GET", "/api/jobs")
    assert time.monotonic() - started < 0.25
    counted(obsdrill, fast, before)


def test_crash_then_restart(obsdrill: Obsdrill) -> None:
    obsdrill.expect_query('up{job="recoloca-payments"} == 1')
    with fault(obsdrill, "payments", "crash", {}):
        obsdrill.expect_query('up{job="recoloca-payments"} == 0')
        assert not obsdrill.stack.containers["payments"].is_running()
    obsdrill.expect_query('up{job="recoloca-payments"} == 1')
    assert send(obsdrill, "payments", "POST", "/charge", {"amount": 1.0}).status == 200


def test_hang(obsdrill: Obsdrill) -> None:
    obsdrill.expect_query('up{job="recoloca-backend"} == 1')
    with fault(obsdrill, "backend", "hang", {"max_seconds": 120}):
        with pytest.raises(requests.Timeout):
            requests.get(obsdrill.stack.url("backend") + "/health", timeout=2)
        obsdrill.expect_query('up{job="recoloca-backend"} == 0')
    assert requests.get(obsdrill.stack.url("backend") + "/health", timeout=5).status_code == 200
    obsdrill.expect_query('up{job="recoloca-backend"} == 1')


def test_cpu_burn(obsdrill: Obsdrill) -> None:
    busy = '100 - avg(irate(node_cpu_seconds_total{mode="idle"}[5s])) * 100'
    obsdrill.expect_query(f"{busy} < 80", within=30)
    with fault(obsdrill, "backend", "cpu_burn", {"max_seconds": 60}):
        obsdrill.expect_query(f"{busy} > 90", within=30)
    obsdrill.expect_query(f"{busy} < 80", within=30)


def test_memory_growth(obsdrill: Obsdrill) -> None:
    """1 GiB made resident shows as a drop of host MemAvailable, and clearing gives it back. Both are measured
    against the value just before the change: the rest of the stack (a JVM warming up) moves it too, by up to
    ~0.3 GiB within the half minute after the clear on a busy CI host, so the return is judged at 0.5 GiB (the 1 GiB
    is unmapped at once on clear; CI once saw +0.72 GiB net after 30 s)."""
    available = "node_memory_MemAvailable_bytes"
    before = value(obsdrill.prometheus, available)
    with fault(obsdrill, "backend", "memory_growth", {"mib": 1024, "max_seconds": 120}):
        eventually(lambda: obsdrill.service("backend").faults()["memory_growth"]["progress"]["reached"], Bound.of(30),
                   "memory_growth reached 1024 MiB")
        obsdrill.expect_query(f"{available} < {before - 0.75 * GIB}", within=30)
        time.sleep(2 * obsdrill.stack.rendered().timing.scrape_interval)  # a scrape taken with all of it held
        during = value(obsdrill.prometheus, available)
    obsdrill.expect_query(f"{available} > {during + 0.5 * GIB}", within=30)


def test_downstream_unavailable(obsdrill: Obsdrill) -> None:
    subscriptions = 'http_requests_total{service="backend",endpoint="/api/subscriptions",status_code=%s}'
    before = total(obsdrill, subscriptions % '"502"')
    with fault(obsdrill, "backend", "downstream_unavailable", {"target": "payments"}):
        assert send(obsdrill, "gateway", "POST", "/api/subscriptions", {"plan_type": "pro"}).status == 502
        counted(obsdrill, subscriptions % '"502"', before)
    before = total(obsdrill, subscriptions % '~"2.."')
    assert send(obsdrill, "gateway", "POST", "/api/subscriptions", {"plan_type": "pro"}).status < 300
    counted(obsdrill, subscriptions % '~"2.."', before)


def test_queue_backup(obsdrill: Obsdrill) -> None:
    obsdrill.expect_query('cv_analysis_queue_size{service="cv-analyzer"} == 0')
    with fault(obsdrill, "cv-analyzer", "queue_backup", {"backlog": 150}):
        assert send(obsdrill, "gateway", "POST", "/api/cv/analyze", {"user_type": "free"}).status < 300
        obsdrill.expect_query('cv_analysis_queue_size{service="cv-analyzer"} > 100')
    obsdrill.expect_query('cv_analysis_queue_size{service="cv-analyzer"} == 0')


def test_payment_failures(obsdrill: Obsdrill) -> None:
    before = total(obsdrill, 'payment_processing_total{status="failed"}')
    with fault(obsdrill, "payments", "payment_failures", {"rate": 1.0}):
        assert send(obsdrill, "gateway", "POST", "/api/subscriptions", {"plan_type": "pro"}).status == 402
        counted(obsdrill, 'payment_processing_total{status="failed"}', before)
    before = total(obsdrill, 'payment_processing_total{status="success"}')
    assert send(obsdrill, "gateway", "POST", "/api/subscriptions", {"plan_type": "pro"}).status < 300
    counted(obsdrill, 'payment_processing_total{status="success"}', before)


def test_ai_failures(obsdrill: Obsdrill) -> None:
    before = total(obsdrill, 'ai_generations_total{status="failed"}')
    with fault(obsdrill, "ai-generation", "ai_failures", {"rate": 1.0}):
        sent = send(obsdrill, "gateway", "POST", "/api/ai/generate", {"model": "cv-writer", "prompt": "hi"})
        assert sent.status == 200 and sent.body["status"] == "failed"
        counted(obsdrill, 'ai_generations_total{status="failed"}', before)
    before = total(obsdrill, 'ai_generations_total{status="success"}')
    sent = send(obsdrill, "gateway", "POST", "/api/ai/generate", {"model": "cv-writer", "prompt": "hi"})
    assert sent.status == 200 and sent.body["status"] == "success"
    counted(obsdrill, 'ai_generations_total{status="success"}', before)


def test_disk_fill_on_the_size_limited_volume(obsdrill: Obsdrill) -> None:
    if obsdrill.stack.volume is None or obsdrill.stack.volume.mount is None:
        pytest.fail(f"no ext4 data volume in this run: {obsdrill.stack.volume}")
    free = ('node_filesystem_avail_bytes{mountpoint="/data",fstype="ext4"} / '
            'node_filesystem_size_bytes{mountpoint="/data",fstype="ext4"}')
    obsdrill.expect_query(f"{free} > 0.90")
    with fault(obsdrill, "cv-analyzer", "disk_fill", {"percent": 95}):
        obsdrill.expect_query(f"{free} < 0.10")
    obsdrill.expect_query(f"{free} > 0.90")


def test_db_pool_saturation(obsdrill: Obsdrill) -> None:
    obsdrill.expect_query('database_connections_active{service="backend"} < 10')
    with fault(obsdrill, "backend", "db_pool_saturation", {"held": 90}):
        obsdrill.expect_query('database_connections_active{service="backend"} >= 90')
    obsdrill.expect_query('database_connections_active{service="backend"} < 10')


@pytest.mark.parametrize(("name", "on", "off"), [
    ("overheat", 'DCGM_FI_DEV_GPU_TEMP{gpu="0"} > 85', 'DCGM_FI_DEV_GPU_TEMP{gpu="0"} < 80'),
    ("xid", 'DCGM_FI_DEV_XID_ERRORS{gpu="0"} > 0', 'DCGM_FI_DEV_XID_ERRORS{gpu="0"} == 0'),
    ("fb_exhaustion", 'DCGM_FI_DEV_FB_FREE{gpu="0"} < 64', 'DCGM_FI_DEV_FB_FREE{gpu="0"} > 1024'),
    ("gpu_lost", 'absent(DCGM_FI_DEV_GPU_TEMP{gpu="0"})', 'DCGM_FI_DEV_GPU_TEMP{gpu="0"}'),
])
def test_gpu_fault(obsdrill: Obsdrill, name: str, on: str, off: str) -> None:
    obsdrill.expect_query(off)
    with fault(obsdrill, "gpu-sim", name, {"gpu": 0}):
        obsdrill.expect_query(on)
    obsdrill.expect_query(off)
