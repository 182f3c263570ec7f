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
from harness.platform import RESTART_FAULTS
from harness.scenario.model import Fault
from harness.scenario.stackapi import StackApi

_REACHED = ("reached", "filled", "already at or above percent")
_STOPPED = ("stopped", "failed", "error", "unsafe", "aborted")


def progress(state: Mapping[str, Any]) -> tuple[str, str]:
    """('reached' | 'stopped' | 'running', reason) of a fault state that reports progress: memory_growth's
    ``{"status": "growing" | "reached" | "stopped", "reason": ...}``, disk_fill's ``{"status": "filled"}`` or
    ``{"status": "stopped: <why>"}``."""
    raw = str(state.get("status") or state.get("state") or "")
    status = raw.lower()
    reason = str(state.get("reason") or state.get("stopped_reason") or state.get("error") or "")
    if state.get("reached") is True or status in _REACHED:
        return "reached", ""
    word, _, detail = raw.partition(":")
    if word.strip().lower() in _STOPPED or state.get("stopped") or (state.get("reached") is False and reason):
        return "stopped", reason or detail.strip() or f"status {status or 'stopped'}"
    return "running", reason


class FaultSchedule:
    def __init__(self, stack: StackApi, log: Callable[[str], None] = print, poll: float = 1.0) -> None:
        self.stack = stack
        self.log = log
        self.poll = poll
        self.started = time.monotonic()
        self.events: list[dict[str, Any]] = []
        self.errors: list[BaseException] = []
        self.touched: list[Fault] = []
        self._timers: list[threading.Timer] = []
        self._lock = threading.Lock()
        self._stopped = threading.Event()

    # timeline -----------------------------------------------------------------------------------
    def _event(self, action: str, fault: Fault, state: Any = None) -> None:
        with self._lock:
            self.events.append({"at_s": round(time.monotonic() - self.started, 1), "action": action,
                                "fault": fault.fault, "service": fault.service, "spec": fault.spec, "state": state})
        self.log(f"[obsdrill]   {action} {fault.describe()}")

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
        if fault.fault in RESTART_FAULTS:
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
        return done

    def _restore(self, name: str, restart: bool) -> str:
        if not restart:
            try:
                self.stack.service(name).clear_fault()
                return f"{name}: faults cleared"
            except Exception as exc:  # gone or hanging: restart it through the stack
                self.log(f"[obsdrill]   {name}: clearing faults failed ({exc}); restarting it")
        self.stack.heal(name)
        return f"{name}: restarted"
