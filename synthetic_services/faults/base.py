"""What every fault is: built from a validated spec, started, described, stopped; plus shared helpers."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

DEFAULT_MAX_SECONDS = 600.0


def progress(reached: bool, value: float | None = None, target: float | None = None, unit: str = "",
             stopped: str = "") -> dict[str, Any]:
    """The ``progress`` field every fault state declares (one shape, docs/platform.md): ``reached`` once the
    fault is fully applied, ``stopped`` the reason it ended short of its target ('' while it has not),
    ``value``/``target``/``unit`` where the fault ramps towards a target."""
    return {"reached": reached, "stopped": stopped, "value": value, "target": target, "unit": unit}


APPLIED = progress(True)  # a fault that is fully applied the moment it starts


class Fault(Protocol):
    """A runtime fault. ``start`` applies it, ``stop`` reverts it completely (idempotent), ``state`` reports it,
    ``progress`` says how far it got (:func:`progress`), ``active`` turns False once it ended by itself
    (``max_seconds``)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...

    def state(self) -> dict[str, Any]: ...

    def progress(self) -> dict[str, Any]: ...

    @property
    def active(self) -> bool: ...


@dataclass
class FaultContext:
    """What a fault may know about the service it is applied to."""

    service: str
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("recoloca.faults"))
    endpoints: Callable[[], list[str]] = list
    downstreams: tuple[str, ...] = ()


Builder = Callable[[Any, FaultContext], Fault]


class PassiveFault:
    """A fault that only changes request handling: nothing to start or stop."""

    active = True

    def start(self) -> None:
        return

    def stop(self) -> None:
        self.active = False

    def state(self) -> dict[str, Any]:
        return {}

    def progress(self) -> dict[str, Any]:
        return dict(APPLIED)


class RateCounter:
    """Picks exactly ``rate`` of the calls, evenly spread (deterministic, thread-safe)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._seen = 0
        self._lock = threading.Lock()

    def hit(self) -> bool:
        with self._lock:
            before = int(self._seen * self.rate)
            self._seen += 1
            return int(self._seen * self.rate) > before


class Expiry:
    """Calls ``on_expire`` after ``seconds`` unless cancelled; a daemon timer, so it never blocks exit."""

    def __init__(self, seconds: float, on_expire: Callable[[], None]) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self._on_expire = on_expire
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def start(self) -> None:
        self.deadline = time.monotonic() + self.seconds
        self._timer.start()

    def _fire(self) -> None:
        self.expired = True
        self._on_expire()

    def cancel(self) -> None:
        self._timer.cancel()

    def remaining(self) -> float:
        return max(0.0, round(self.deadline - time.monotonic(), 1))
