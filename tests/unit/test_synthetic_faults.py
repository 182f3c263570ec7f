"""Fault specs, the fault registry and the pure parts of the host faults (no HTTP, no processes)."""

from __future__ import annotations

import os
import random
import re
import statistics
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from synthetic_services.faults import COMMON, FaultContext, FaultError, FaultState
from synthetic_services.faults.base import APPLIED, RateCounter, progress
from synthetic_services.faults.business import DownstreamUnavailable
from synthetic_services.faults.disk import FILL_NAME, DiskFill, is_mount_point
from synthetic_services.faults.memory import MIB, MemoryGrowth
from synthetic_services.faults.request import Hang, Latency

CTX = FaultContext("backend", endpoints=lambda: ["/api/jobs", "/api/status"], downstreams=("payments", "cv-analyzer"))


@pytest.mark.parametrize(("fault", "spec", "message"), [
    ("latency", {"ms": "x"}, "latency.ms: expected a number >= 0, got 'x'"),
    ("latency", {}, "latency.ms: required"),
    ("latency", {"ms": 5, "distribution": "gauss"},
     "latency.distribution: expected one of fixed, uniform, exponential"),
    ("latency", {"ms": 5, "rate": 0}, "latency.rate: expected a number in (0, 1], got 0"),
    ("latency", {"ms": 5, "endpoint": "/nope"}, "latency.endpoint: expected one of /api/jobs, /api/status"),
    ("latency", {"ms": 5, "speed": 1}, "latency.speed: unknown field"),
    ("http_errors", {"rate": True}, "http_errors.rate: expected a number in (0, 1], got True"),
    ("http_errors", {"rate": 0.5, "status": 200}, "http_errors.status: expected an integer in [400, 599], got 200"),
    ("hang", {"max_seconds": 0}, "hang.max_seconds: expected a number > 0, got 0"),
    ("crash", {"exit_code": 300}, "crash.exit_code: expected an integer in [0, 255], got 300"),
    ("cpu_burn", {"workers": 0}, "cpu_burn.workers: expected an integer in [1, "),
    ("memory_growth", {}, "memory_growth.target_used_percent: give exactly one of target_used_percent or mib"),
    ("memory_growth", {"mib": 64, "target_used_percent": 90}, "give exactly one"),
    ("memory_growth", {"target_used_percent": 101}, "memory_growth.target_used_percent: expected a number in (0, 100]"),
    ("http_errors", [1, 2], "http_errors: expected a JSON object as spec"),
])
def test_bad_specs_answer_an_error_naming_the_field(fault: str, spec: Any, message: str) -> None:
    with pytest.raises(FaultError) as caught:
        FaultState(CTX).set(fault, spec)
    assert message in str(caught.value)


def test_unknown_fault_lists_what_the_service_offers() -> None:
    faults = FaultState(CTX)
    with pytest.raises(FaultError, match=r"'meteor' is not offered by backend; offered: cpu_burn, crash, "
                                         r"exceptions, hang, http_errors, latency, memory_growth"):
        faults.set("meteor", {})
    with pytest.raises(FaultError, match="queue_backup' is not offered"):
        faults.clear("queue_backup")


def test_downstream_target_must_be_a_downstream_of_this_service() -> None:
    faults = FaultState(CTX, {**COMMON, "downstream_unavailable": DownstreamUnavailable})
    with pytest.raises(FaultError, match=r"downstream_unavailable\.target: expected one of payments, cv-analyzer"):
        faults.set("downstream_unavailable", {"target": "gateway"})
    with pytest.raises(FaultError, match=r"downstream_unavailable\.target: required"):
        faults.set("downstream_unavailable", {})
    single = FaultState(FaultContext("gateway", downstreams=("backend",)), {"x": DownstreamUnavailable})
    assert single.set("x", {}) == {"x": {"target": "backend", "progress": APPLIED}}


def test_set_replaces_clear_reverts_and_state_is_reported() -> None:
    faults = FaultState(CTX)
    faults.set("latency", {"ms": 10})
    state = faults.set("latency", {"ms": 20, "distribution": "uniform", "endpoint": "/api/jobs"})
    assert state == {"latency": {"ms": 20.0, "jitter_ms": 0.0, "distribution": "uniform", "rate": 1.0,
                                 "endpoint": "/api/jobs", "progress": APPLIED}}
    assert faults.set("hang", {"max_seconds": 30})["hang"]["max_seconds"] == 30
    assert faults.clear("latency").keys() == {"hang"}
    hang = faults.get("hang", Hang)
    assert hang is not None and faults.get("hang", Latency) is None
    assert faults.clear() == {} and not hang.active and faults.get("hang", Hang) is None


def test_rate_counter_is_exact_and_spread() -> None:
    counter = RateCounter(0.25)
    picks = [counter.hit() for _ in range(16)]
    assert picks.count(True) == 4 and picks[:4].count(True) == 1


def test_latency_distributions() -> None:
    random.seed(7)

    def draws(spec: dict[str, Any]) -> list[float]:
        fault = Latency(spec, CTX)
        return [fault.draw_ms() for _ in range(4000)]

    assert set(draws({"ms": 100})) == {100.0}
    jittered = draws({"ms": 100, "jitter_ms": 20})
    assert min(jittered) >= 80 and max(jittered) <= 120 and len(set(jittered)) > 100
    uniform = draws({"ms": 100, "distribution": "uniform"})
    assert min(uniform) >= 0 and max(uniform) <= 200 and 95 < statistics.mean(uniform) < 105
    expo = draws({"ms": 100, "distribution": "exponential"})
    assert 90 < statistics.mean(expo) < 110 and max(expo) > 400


def test_memory_growth_steps_stop_at_target_floor_or_cgroup() -> None:
    total = 16384 * MIB
    by_target = MemoryGrowth({"target_used_percent": 50, "step_mib": 256, "min_available_mib": 1024}, CTX)
    assert by_target.next_step(total, 12000 * MIB, None) == (256 * MIB, "")  # 3808 MiB to go
    assert by_target.next_step(total, 8292 * MIB, None) == (100 * MIB, "")  # the last, partial step
    assert by_target.next_step(total, 8000 * MIB, None) == (0, "reached")
    floor = MemoryGrowth({"target_used_percent": 99, "min_available_mib": 4096}, CTX)
    assert floor.next_step(total, 4200 * MIB, None) == (104 * MIB, "")
    size, why = floor.next_step(total, 4096 * MIB, None)
    assert size == 0 and why.startswith("min_available_mib: host has 4096 MiB available, floor 4096")
    assert floor.next_step(total, 9000 * MIB, 0)[1].startswith("cgroup memory limit")
    by_mib = MemoryGrowth({"mib": 300, "step_mib": 256, "min_available_mib": 0}, CTX)
    by_mib.allocated = 256 * MIB
    assert by_mib.next_step(total, 9000 * MIB, 10**12) == (44 * MIB, "")


class FakeVolume:
    """statvfs of a 100 MiB volume with 50 MiB used by others plus whatever lies in ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, _: str) -> Any:
        used = 50 * MIB + sum(f.stat().st_size for f in self.path.iterdir())
        return SimpleNamespace(f_blocks=100 * 256, f_bavail=(100 * MIB - used) // 4096, f_frsize=4096)


def test_disk_fill_fills_the_volume_to_percent_and_deletes_on_clear(tmp_path: Path) -> None:
    faults = FaultState(CTX, {"disk_fill": lambda raw, ctx: DiskFill(raw, ctx, require_mount=False,
                                                                       statvfs=FakeVolume(tmp_path))})
    state = faults.set("disk_fill", {"percent": 60, "path": str(tmp_path)})["disk_fill"]
    assert (tmp_path / FILL_NAME).stat().st_size == 10 * MIB
    assert state == {"percent": 60.0, "path": str(tmp_path), "file": str(tmp_path / FILL_NAME),
                     "bytes": 10 * MIB, "status": "filled", "used_percent": 60.0,
                     "progress": progress(True, 60.0, 60.0, "%")}
    again = faults.set("disk_fill", {"percent": 40, "path": str(tmp_path)})["disk_fill"]
    assert again["status"] == "already at or above percent" and again["progress"]["reached"] is True
    assert faults.clear() == {} and list(tmp_path.iterdir()) == []


def test_disk_fill_refuses_a_path_that_is_no_volume(tmp_path: Path) -> None:
    faults = FaultState(CTX, {"disk_fill": DiskFill})
    with pytest.raises(FaultError, match=re.escape(f"disk_fill.path: {tmp_path} is not a mount point")):
        faults.set("disk_fill", {"path": str(tmp_path)})
    with pytest.raises(FaultError, match=r"disk_fill\.path: /no/such/dir does not exist"):
        faults.set("disk_fill", {"path": "/no/such/dir"})
    assert is_mount_point("/") and not is_mount_point(str(tmp_path)) and os.listdir(tmp_path) == []


def test_memory_growth_declares_its_progress_towards_the_target() -> None:
    by_mib = MemoryGrowth({"mib": 300, "min_available_mib": 0}, CTX)
    assert by_mib.progress() == progress(False, 0, 300, "MiB")
    by_mib.allocated, by_mib.status = 300 * MIB, "reached"
    assert by_mib.progress() == progress(True, 300, 300, "MiB")
    by_mib.status, by_mib.reason = "stopped", "cgroup memory limit: the container's memory.max is nearly reached"
    assert by_mib.progress()["stopped"].startswith("cgroup memory limit") and not by_mib.progress()["reached"]
    by_percent = MemoryGrowth({"target_used_percent": 80}, CTX).progress()
    assert by_percent["target"] == 80 and by_percent["unit"] == "%" and 0 <= by_percent["value"] <= 100
    assert FaultState(CTX).set("cpu_burn", {"workers": 1, "max_seconds": 0.2})["cpu_burn"]["progress"] == APPLIED


def test_disk_fill_that_runs_out_of_space_says_why_in_its_progress(tmp_path: Path) -> None:
    fill = DiskFill({"percent": 60, "path": str(tmp_path)}, CTX, require_mount=False, statvfs=FakeVolume(tmp_path))
    assert fill.progress()["reached"] is False and fill.progress()["stopped"] == ""
    fill.stopped, fill.status = "No space left on device", "stopped: No space left on device"
    assert fill.progress() == progress(False, 50.0, 60.0, "%", "No space left on device")
