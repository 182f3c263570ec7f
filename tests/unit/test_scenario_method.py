"""The method: immediate and delayed faults, timed clears, `require_reached`, and a rollback that always
clears every fault and restarts crashed services (fake stack recording what it was asked)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from harness.errors import ExpectationFailed, ObsdrillError
from harness.scenario.method import FaultSchedule, progress
from harness.scenario.model import Fault
from synthetic_services.faults.base import progress as declared


class FakeService:
    def __init__(self, name: str, stack: FakeStack) -> None:
        self.name, self.stack = name, stack

    def set_fault(self, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        self.stack.calls.append(("set", self.name, name))
        self.stack.faults.setdefault(self.name, {})[name] = dict(spec)
        return {"service": self.name, "faults": self.stack.faults[self.name]}

    def clear_fault(self, name: str | None = None) -> dict[str, Any]:
        if self.name in self.stack.down:
            raise ObsdrillError(f"{self.name}: connection refused")
        self.stack.calls.append(("clear", self.name, name))
        return {}

    def faults(self) -> dict[str, Any]:
        return self.stack.states.get(self.name, self.stack.faults.get(self.name, {}))


class FakeStack:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None]] = []
        self.faults: dict[str, dict[str, Any]] = {}
        self.states: dict[str, dict[str, Any]] = {}
        self.down: set[str] = set()

    def service(self, name: str) -> FakeService:
        return FakeService(name, self)

    def heal(self, name: str) -> None:
        self.calls.append(("heal", name, None))
        self.down.discard(name)


def _schedule(stack: FakeStack) -> FaultSchedule:
    return FaultSchedule(stack, poll=0.05)  # type: ignore[arg-type]


def test_delayed_fault_is_injected_later_and_cleared_after_its_duration() -> None:
    stack = FakeStack()
    schedule = _schedule(stack)
    schedule.start([Fault("latency", "backend", {"ms": 5}, after=0.2, duration=0.2),
                    Fault("http_errors", "gateway", {"rate": 0.1})])
    assert stack.calls == [("set", "gateway", "http_errors")]
    time.sleep(0.7)
    assert stack.calls[1:] == [("set", "backend", "latency"), ("clear", "backend", "latency")]
    assert [e["action"] for e in schedule.timeline] == ["injected", "injected", "cleared"]
    schedule.raise_errors()


def test_rollback_clears_every_service_and_restarts_crashed_ones() -> None:
    stack = FakeStack()
    schedule = _schedule(stack)
    schedule.start([Fault("crash", "payments"), Fault("http_errors", "backend", {"rate": 0.2}),
                    Fault("latency", "cv-analyzer", {"ms": 1}, after=30)])
    stack.down = {"payments", "gateway"}
    done = schedule.rollback(["payments", "backend", "cv-analyzer", "gateway"])
    assert done == ["payments: restarted", "backend: faults cleared", "cv-analyzer: faults cleared",
                    "gateway: restarted"]
    assert ("set", "cv-analyzer", "latency") not in stack.calls  # the pending injection was cancelled


def test_rollback_attempts_every_service_then_reports_failures() -> None:
    stack = FakeStack()

    def broken_heal(name: str) -> None:
        raise ObsdrillError("container gone")

    stack.heal = broken_heal  # type: ignore[method-assign]
    stack.down = {"payments"}
    schedule = _schedule(stack)
    with pytest.raises(ObsdrillError, match="rollback failed: payments: container gone"):
        schedule.rollback(["payments", "backend"])
    assert ("clear", "backend", None) in stack.calls


def test_memory_growth_that_stops_short_fails_with_its_reason() -> None:
    stack = FakeStack()
    stack.states["backend"] = {"memory_growth": {"progress": declared(
        False, 80.0, 89, "%", "min_available_mib: host has 1400 MiB available, floor 1536")}}
    fault = Fault("memory_growth", "backend", {"target_used_percent": 89, "min_available_mib": 1536},
                  require_reached=True, settle_within=5)
    with pytest.raises(ExpectationFailed) as failure:
        _schedule(stack).start([fault])
    assert ("memory_growth on backend could not reach its target safely: min_available_mib: host has 1400 MiB "
            "available, floor 1536") in str(failure.value)


def test_require_reached_waits_for_the_state() -> None:
    stack = FakeStack()
    stack.states["backend"] = {"memory_growth": {"progress": declared(False, 2, 10, "MiB")}}
    fault = Fault("memory_growth", "backend", {"mib": 10}, require_reached=True, settle_within=0.3)
    with pytest.raises(ExpectationFailed, match=r"did not reach its target within 0\.3s"):
        _schedule(stack).start([fault])
    stack.states["backend"] = {"memory_growth": {"progress": declared(True, 10, 10, "MiB")}}
    schedule = _schedule(stack)
    schedule.start([fault])
    assert schedule.timeline[-1]["action"] == "reached"


def test_errors_of_delayed_faults_surface_on_the_scenario_thread() -> None:
    stack = FakeStack()
    stack.states["backend"] = {}
    schedule = _schedule(stack)
    schedule.start([Fault("memory_growth", "backend", {"mib": 1}, after=0.05, require_reached=True)])
    time.sleep(0.3)
    with pytest.raises(ExpectationFailed, match="no longer active before reaching its target"):
        schedule.raise_errors()


@pytest.mark.parametrize(("state", "verdict"), [
    ({"progress": declared(False, 100, 512, "MiB")}, ("running", "at 100MiB of 512MiB")),
    ({"progress": declared(False)}, ("running", "")),
    ({"progress": declared(True, 95.0, 95.0, "%")}, ("reached", "")),
    ({"progress": declared(True)}, ("reached", "")),
    ({"progress": declared(False, 70.0, 95.0, "%", "No space left on device")}, ("stopped", "No space left on device")),
    ({"status": "reached", "progress": declared(False, 1, 2, "MiB")}, ("running", "at 1MiB of 2MiB")),
])
def test_progress_reads_only_the_declared_field(state: dict[str, Any], verdict: tuple[str, str]) -> None:
    assert progress(state) == verdict


@pytest.mark.parametrize("state", [{"status": "reached"}, {"progress": {"reached": "yes"}}, {"progress": None}])
def test_a_state_without_declared_progress_is_an_error(state: dict[str, Any]) -> None:
    with pytest.raises(ExpectationFailed, match="no `progress` field"):
        progress(state)
