"""Runtime-switchable, reversible faults of one service. Each fault reports its state, with its ``progress``
(:func:`~synthetic_services.faults.base.progress`); clearing all of them restores the healthy state."""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import Any, TypeVar

from synthetic_services.faults.base import Builder, Fault, FaultContext
from synthetic_services.faults.cpu import CpuBurn
from synthetic_services.faults.memory import MemoryGrowth
from synthetic_services.faults.request import Crash, Exceptions, Hang, HttpErrors, Latency
from synthetic_services.faults.spec import FaultError

__all__ = ["COMMON", "Fault", "FaultContext", "FaultError", "FaultState"]

COMMON: dict[str, Builder] = {"http_errors": HttpErrors, "latency": Latency, "crash": Crash, "hang": Hang,
                              "cpu_burn": CpuBurn, "memory_growth": MemoryGrowth, "exceptions": Exceptions}
F = TypeVar("F")


def report(fault: Fault) -> dict[str, Any]:
    """The state a fault reports: its own fields plus the declared ``progress``."""
    return {**fault.state(), "progress": fault.progress()}


class FaultState:
    """The faults one service offers and the ones active now. Thread-safe; reads on the request path take no
    lock."""

    def __init__(self, ctx: FaultContext | None = None, builders: Mapping[str, Builder] | None = None) -> None:
        self.ctx = ctx or FaultContext(service="service")
        self._builders: dict[str, Builder] = dict(COMMON if builders is None else builders)
        self._active: dict[str, Fault] = {}
        self._admin = threading.Lock()

    def offer(self, name: str, builder: Builder) -> None:
        self._builders[name] = builder

    @property
    def offered(self) -> list[str]:
        return sorted(self._builders)

    def _check(self, name: str) -> Builder:
        if name not in self._builders:
            raise FaultError(f"fault {name!r} is not offered by {self.ctx.service}; "
                             f"offered: {', '.join(self.offered)}")
        return self._builders[name]

    def set(self, name: str, spec: Any) -> dict[str, Any]:
        fault = self._check(name)(spec, self.ctx)  # validates the spec before anything changes
        with self._admin:
            old = self._active.pop(name, None)
            if old is not None:
                old.stop()
            try:
                fault.start()
            except BaseException:
                fault.stop()  # release whatever it got before failing
                raise
            self._active[name] = fault
        self._log("set", name, report(fault))
        return self.describe()

    def clear(self, name: str | None = None) -> dict[str, Any]:
        if name is not None:
            self._check(name)
        with self._admin:
            names = list(self._active) if name is None else [name]
            stopped = [(n, self._active.pop(n)) for n in names if n in self._active]
            for _, fault in stopped:
                fault.stop()
        for fault_name, _ in stopped:
            self._log("clear", fault_name, {})
        return self.describe()

    def get(self, name: str, kind: type[F]) -> F | None:
        """The active fault ``name`` if it is a ``kind``, else None."""
        fault = self._active.get(name)
        if fault is None or not fault.active or not isinstance(fault, kind):
            return None
        return fault

    def describe(self) -> dict[str, Any]:
        with self._admin:
            ended = [name for name, fault in self._active.items() if not fault.active]
            for name in ended:
                self._active.pop(name).stop()
            current = dict(self._active)
        for name in ended:
            self._log("expired", name, {})
        return {name: report(fault) for name, fault in current.items()}

    def error_status(self, endpoint: str) -> int | None:
        fault = self.get("http_errors", HttpErrors)
        return fault.hit(endpoint) if fault else None

    def _log(self, action: str, name: str, state: dict[str, Any]) -> None:
        self.ctx.log.warning(f"fault {name} {action}", extra={
            "event": "fault_change", "fault": name, "action": action, "fault_state": json.dumps(state)})
