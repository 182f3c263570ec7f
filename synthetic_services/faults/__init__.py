"""Runtime-switchable, reversible faults of one service. Each fault reports its state."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any


class FaultError(ValueError):
    """A fault request that cannot be applied; the message names the field."""


@dataclass
class HttpErrors:
    rate: float
    status: int = 500
    endpoint: str | None = None  # None: every endpoint
    _seen: int = 0

    def hit(self, endpoint: str) -> int | None:
        """Status to fail this request with, or None. Deterministic: exactly ``rate`` of the requests."""
        if self.endpoint and endpoint != self.endpoint:
            return None
        before = int(self._seen * self.rate)
        self._seen += 1
        return self.status if int(self._seen * self.rate) > before else None


def _http_errors(spec: dict[str, Any]) -> HttpErrors:
    rate = spec.get("rate")
    if not isinstance(rate, int | float) or not 0 < rate <= 1:
        raise FaultError(f"http_errors.rate: expected a number in (0, 1], got {rate!r}")
    status = spec.get("status", 500)
    if not isinstance(status, int) or not 400 <= status <= 599:
        raise FaultError(f"http_errors.status: expected an HTTP error status 400..599, got {status!r}")
    return HttpErrors(rate=float(rate), status=status, endpoint=spec.get("endpoint"))


class FaultState:
    """Thread-safe registry of the active faults of one service."""

    builders = {"http_errors": _http_errors}

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: dict[str, Any] = {}

    def set(self, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        if name not in self.builders:
            raise FaultError(f"unknown fault {name!r}; known: {', '.join(sorted(self.builders))}")
        fault = self.builders[name](spec)
        with self._lock:
            self._active[name] = fault
        return self.describe()

    def clear(self, name: str | None = None) -> dict[str, Any]:
        with self._lock:
            if name is None:
                self._active.clear()
            else:
                self._active.pop(name, None)
        return self.describe()

    def get(self, name: str) -> Any:
        with self._lock:
            return self._active.get(name)

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {name: {k: v for k, v in asdict(f).items() if not k.startswith("_")}
                    for name, f in self._active.items()}

    def error_status(self, endpoint: str) -> int | None:
        with self._lock:
            fault = self._active.get("http_errors")
            return fault.hit(endpoint) if fault else None
