"""Faults on the stack's own components (issue 13.2, harness/stackfaults.py): validated like the services'
faults, applied through the stack by the schedule, cleared after their duration and at rollback."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from harness.scenario.check import validate
from harness.scenario.method import FaultSchedule
from harness.scenario.model import Fault
from harness.settings import project_root


class StackWithComponents:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str]] = []

    def stack_fault(self, component: str, fault: str, spec: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("stack_fault", component, fault))
        return {"failing": True}

    def clear_stack_fault(self, component: str, fault: str) -> dict[str, Any]:
        self.calls.append(("clear_stack_fault", component, fault))
        return {"refused": 3}

    def service(self, name: str) -> Any:
        raise AssertionError(f"{name} is a stack component, not a service")


def test_receiver_errors_go_through_the_stack_and_clear_after_their_duration() -> None:
    stack = StackWithComponents()
    schedule = FaultSchedule(stack)  # type: ignore[arg-type]
    schedule.start([Fault("receiver_errors", "sink", {"status": 503}, duration=0.1)])
    time.sleep(0.4)
    schedule.raise_errors()
    assert stack.calls == [("stack_fault", "sink", "receiver_errors"), ("clear_stack_fault", "sink", "receiver_errors")]
    assert [e["action"] for e in schedule.timeline] == ["injected", "cleared"]


def test_rollback_undoes_stack_faults_and_a_restart_needs_nothing() -> None:
    stack = StackWithComponents()
    schedule = FaultSchedule(stack)  # type: ignore[arg-type]
    schedule.start([Fault("restart", "alertmanager"), Fault("receiver_errors", "sink", {})])
    done = schedule.rollback(["alertmanager", "sink"])
    assert done == ["alertmanager: stack faults cleared", "sink: stack faults cleared"]
    assert stack.calls == [("stack_fault", "alertmanager", "restart"), ("stack_fault", "sink", "receiver_errors"),
                           ("clear_stack_fault", "sink", "receiver_errors")]


SCENARIO = """
name: s
method: [{fault: FAULT, service: SERVICE, with: WITH}]
expect:
  alerts: [{name: ServiceDown, receiver: critical-alerts}]
"""


def _problems(tmp_path: Path, fault: str, service: str, spec: str) -> list[str]:
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.replace("FAULT", fault).replace("SERVICE", service).replace("WITH", spec))
    return [p.split(": ", 1)[1] for p in validate([path], project_root() / "stack").problems]


def test_stack_faults_are_validated_like_service_faults(tmp_path: Path) -> None:
    assert _problems(tmp_path, "receiver_errors", "sink", "{status: 503}") == []
    assert _problems(tmp_path, "restart", "prometheus", "{}") == []
    assert _problems(tmp_path, "receiver_errors", "sink", "{status: 200}") == [
        "method[0].with.status: 200 is less than the minimum of 500"]
    assert _problems(tmp_path, "restart", "sink", "{}") == [
        "method[0].fault: 'restart' is not offered by sink (it offers receiver_errors)"]
    assert _problems(tmp_path, "receiver_errors", "sink", "{rate: 1}") == [
        "method[0].with: rate not a parameter of receiver_errors (status)"]
