"""The method of a scenario: faults switched on (optionally `after` a delay), cleared again after their
`duration`, and all rolled back at the end whatever happened. Faults that report progress can be required
to reach their target (`require_reached`); one that stops short fails the scenario with its own reason.

Delayed injections and timed clears run on timer threads; their errors are kept and raised by
:meth:`FaultSchedule.raise_errors` on the scenario's thread (Allure is only used there)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from harness.errors import ExpectationFailed, ObsdrillError
from harness.events import Events, FaultCleared, FaultInjected, Message
from harness.platform import RESTART_FAULTS
from harness.scenario.model import Fault
from harness.scenario.stackapi import StackApi
from harness.stackfaults import INSTANT, STACK_FAULTS, is_stack_fault


def progress(state: Mapping[str, Any]) -> tuple[str, str]:
    """('reached' | 'stopped' | 'running', reason) from the ``progress`` field every fault state declares:
    ``{"reached": bool, "stopped": "<why it ended short>" or "", "value", "target", "unit"}``."""
    declared = state.get("progress")
    if not isinstance(declared, Mapping) or not isinstance(declared.get("reached"), bool):
        raise ExpectationFailed(f"fault state has no `progress` field with a boolean `reached` "
                                f"(docs/platform.md): {dict(state)}")
    if declared["reached"]:
        return "reached", ""
    stopped = str(declared.get("stopped") or "")
    if stopped:
        return "stopped", stopped
    value, target = declared.get("value"), declared.get("target")
    unit = str(declared.get("unit") or "")
    return "running", f"at {value}{unit} of {target}{unit}" if value is not None and target is not None else ""


class FaultSchedule:
    def __init__(self, stack: StackApi, events: Events | None = None, poll: float = 1.0) -> None:
        self.stack = stack
        self.events = events or Events()
        self.poll = poll
        self.started = time.monotonic()
        self.timeline: list[dict[str, Any]] = []
        self.errors: list[BaseException] = []
        self.touched: list[Fault] = []
        self._timers: list[threading.Timer] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._cleared: set[tuple[str, str]] = set()

    # timeline -----------------------------------------------------------------------------------
    def _event(self, action: str, fault: Fault, state: Any = None) -> None:
        at = round(time.monotonic() - self.started, 1)
        with self._lock:
            self.timeline.append({"at_s": at, "action": action, "fault": fault.fault, "service": fault.service,
                                  "spec": fault.spec, "state": state})
            if action not in ("injected", "reached"):
                self._cleared.add((fault.fault, fault.service))
        kind = FaultInjected if action in ("injected", "reached") else FaultCleared
        self.events.emit(kind(fault.fault, fault.service, fault.describe(), at, action, state))

    def _rolled_back(self) -> None:
        """A FaultCleared ('rolled back') for every injected fault its duration did not clear."""
        at = round(time.monotonic() - self.started, 1)
        with self._lock:
            left = [f for f in self.touched if (f.fault, f.service) not in self._cleared]
            self._cleared.update((f.fault, f.service) for f in left)
        for fault in left:
            self.events.emit(FaultCleared(fault.fault, fault.service, fault.describe(), at, "rolled back"))

    def _later(self, delay: float, fn: Callable[[Fault], None], fault: Fault) -> None:
        def guarded() -> None:
            if self._stopped.is_set():
                return
            try:
                fn(fault)
            except BaseException as exc:
                with self._lock:
                    self.errors.append(exc)

        timer = threading.Timer(delay, guarded)
        timer.daemon = True
        self._timers.append(timer)
        timer.start()

    # method -------------------------------------------------------------------------------------
    def start(self, faults: Sequence[Fault]) -> None:
        """Inject the immediate faults now (errors raise here), schedule the delayed ones."""
        self.started = time.monotonic()
        for fault in sorted(faults, key=lambda f: f.after):
            if fault.after > 0:
                self._later(fault.after, self.inject, fault)
            else:
                self.inject(fault)

    def inject(self, fault: Fault) -> None:
        with self._lock:
            self.touched.append(fault)
        if is_stack_fault(fault.fault):  # a fault on the stack's own component (harness/stackfaults.py)
            state = self.stack.stack_fault(fault.service, fault.fault, fault.spec)
        else:
            state = self.stack.service(fault.service).set_fault(fault.fault, fault.spec)
        self._event("injected", fault, state)
        if fault.require_reached:
            self.settle(fault)
        if fault.duration is not None:
            self._later(fault.duration, self.clear, fault)

    def settle(self, fault: Fault) -> dict[str, Any]:
        """Wait until the fault state says `reached`; fail with the state's reason when it stopped short."""
        deadline = time.monotonic() + fault.settle_within
        state: dict[str, Any] = {}
        while not self._stopped.is_set():
            faults = self.stack.service(fault.service).faults()
            if fault.fault not in faults:
                raise ExpectationFailed(f"{fault.fault} on {fault.service} is no longer active before reaching its "
                                        f"target; active faults: {faults}")
            state = dict(faults[fault.fault])
            verdict, reason = progress(state)
            if verdict == "reached":
                self._event("reached", fault, state)
                return state
            if verdict == "stopped":
                raise ExpectationFailed(f"{fault.fault} on {fault.service} could not reach its target safely: "
                                        f"{reason}\n  fault spec: {fault.spec}\n  fault state: {state}")
            if time.monotonic() > deadline:
                raise ExpectationFailed(f"{fault.fault} on {fault.service} did not reach its target within "
                                        f"{fault.settle_within:g}s (settle_within)\n  fault state: {state}")
            time.sleep(self.poll)
        return state

    def clear(self, fault: Fault) -> None:
        if is_stack_fault(fault.fault):
            self._event("cleared", fault, self.stack.clear_stack_fault(fault.service, fault.fault))
        elif fault.fault in RESTART_FAULTS:
            self.stack.heal(fault.service)
            self._event("healed (restarted)", fault)
        else:
            self._event("cleared", fault, self.stack.service(fault.service).clear_fault(fault.fault))

    def raise_errors(self) -> None:
        with self._lock:
            errors = list(self.errors)
        if errors:
            raise errors[0]

    # rollback -----------------------------------------------------------------------------------
    def stop(self) -> None:
        self._stopped.set()
        for timer in self._timers:
            timer.cancel()

    def rollback(self, services: Sequence[str], heal: Sequence[str] = ()) -> list[str]:
        """Stop the schedule, clear every fault of ``services``, restart crashed ones and ``heal``.
        Every service is attempted; the errors are raised together at the end."""
        self.stop()
        crashed = {f.service for f in self.touched if f.fault in RESTART_FAULTS} | set(heal)
        done, failures = [], []
        for name in dict.fromkeys([*services, *heal]):
            try:
                done.append(self._restore(name, name in crashed))
            except Exception as exc:
                failures.append(f"{name}: {exc}")
        if failures:
            raise ObsdrillError("rollback failed: " + "; ".join(failures))
        self._rolled_back()
        return done

    def _restore(self, name: str, restart: bool) -> str:
        if name in STACK_FAULTS:  # a stack component: undo its own faults (a restart needs no undoing)
            for fault in STACK_FAULTS[name]:
                if fault not in INSTANT:
                    self.stack.clear_stack_fault(name, fault)
            return f"{name}: stack faults cleared"
        if not restart:
            try:
                self.stack.service(name).clear_fault()
                return f"{name}: faults cleared"
            except Exception as exc:  # gone or hanging: restart it through the stack
                self.events.emit(Message(f"{name}: clearing faults failed ({exc}); restarting it"))
        self.stack.heal(name)
        return f"{name}: restarted"
