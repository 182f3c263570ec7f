"""Faults on the request path of every service: http_errors, latency, hang, crash."""

from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Callable
from typing import Any

from synthetic_services.faults.base import (
    APPLIED,
    DEFAULT_MAX_SECONDS,
    Expiry,
    FaultContext,
    PassiveFault,
    RateCounter,
)
from synthetic_services.faults.spec import Spec

CRASH_DELAY_S = 0.2
DISTRIBUTIONS = ("fixed", "uniform", "exponential")


def _endpoint(spec: Spec, ctx: FaultContext) -> str | None:
    return spec.optional_string("endpoint", ctx.endpoints() or None)


class HttpErrors(PassiveFault):
    """``rate`` of the requests (to ``endpoint``, or all) answer ``status``."""

    def __init__(self, raw: Any, ctx: FaultContext) -> None:
        spec = Spec("http_errors", raw, ("rate", "status", "endpoint"))
        self.rate = spec.rate()
        self.status = spec.integer("status", 500, low=400, high=599)
        self.endpoint = _endpoint(spec, ctx)
        self._counter = RateCounter(self.rate)

    def hit(self, endpoint: str) -> int | None:
        """Status to fail this request with, or None."""
        if self.endpoint and endpoint != self.endpoint:
            return None
        return self.status if self._counter.hit() else None

    def state(self) -> dict[str, Any]:
        return {"rate": self.rate, "status": self.status, "endpoint": self.endpoint}


class Exceptions(PassiveFault):
    """``rate`` of the requests (to ``endpoint``, or all) raise a real ``type`` exception inside the handler: the
    service answers 500, logs it with its stack and reports it to the error tracker (one issue per type and
    endpoint: the message names the endpoint, nothing that varies)."""

    TYPES: dict[str, type[Exception]] = {"ValueError": ValueError, "KeyError": KeyError,
                                         "RuntimeError": RuntimeError, "ZeroDivisionError": ZeroDivisionError}

    def __init__(self, raw: Any, ctx: FaultContext) -> None:
        spec = Spec("exceptions", raw, ("rate", "type", "endpoint"))
        self.rate = spec.rate()
        self.type = spec.string("type", "ValueError", self.TYPES)
        self.endpoint = _endpoint(spec, ctx)
        self._counter = RateCounter(self.rate)

    def raise_for(self, endpoint: str) -> None:
        """Raises on ``rate`` of this endpoint's requests (the exceptions fault's burst)."""
        if (not self.endpoint or endpoint == self.endpoint) and self._counter.hit():
            raise self.TYPES[self.type](f"could not serve {endpoint}: invoice total is missing")

    def state(self) -> dict[str, Any]:
        return {"rate": self.rate, "type": self.type, "endpoint": self.endpoint}


class Latency(PassiveFault):
    """Adds a delay to ``rate`` of the requests: ``fixed`` = ms, ``uniform`` = U(0, 2 ms), ``exponential`` = mean
    ms; each plus U(-jitter_ms, +jitter_ms), never below 0. Clearing the fault releases waiting requests."""

    def __init__(self, raw: Any, ctx: FaultContext) -> None:
        spec = Spec("latency", raw, ("ms", "jitter_ms", "distribution", "rate", "endpoint"))
        self.ms = spec.number("ms", low=0)
        self.jitter_ms = spec.number("jitter_ms", 0, low=0)
        self.distribution = spec.string("distribution", "fixed", DISTRIBUTIONS)
        self.rate = spec.rate("rate", 1.0)
        self.endpoint = _endpoint(spec, ctx)
        self._counter = RateCounter(self.rate)
        self._cleared = threading.Event()

    def draw_ms(self) -> float:
        base = {"fixed": self.ms, "uniform": random.uniform(0, 2 * self.ms),
                "exponential": random.expovariate(1 / self.ms) if self.ms > 0 else 0.0}[self.distribution]
        return max(0.0, base + random.uniform(-self.jitter_ms, self.jitter_ms))

    def delay(self, endpoint: str) -> float:
        """Sleeps the drawn delay if this request is picked; returns the seconds slept (at most)."""
        if (self.endpoint and endpoint != self.endpoint) or not self._counter.hit():
            return 0.0
        seconds = self.draw_ms() / 1000
        self._cleared.wait(seconds)
        return seconds

    def stop(self) -> None:
        super().stop()
        self._cleared.set()

    def state(self) -> dict[str, Any]:
        return {"ms": self.ms, "jitter_ms": self.jitter_ms, "distribution": self.distribution, "rate": self.rate,
                "endpoint": self.endpoint}


class Hang:
    """Every route but /admin/* blocks until the fault is cleared or ``max_seconds`` pass."""

    def __init__(self, raw: Any, ctx: FaultContext) -> None:
        spec = Spec("hang", raw, ("max_seconds",))
        self.max_seconds = spec.number("max_seconds", DEFAULT_MAX_SECONDS, low=0, low_open=True)
        self._released = threading.Event()
        self._expiry = Expiry(self.max_seconds, self._released.set)
        self._blocked = 0
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return not self._released.is_set()

    def start(self) -> None:
        self._expiry.start()

    def stop(self) -> None:
        self._expiry.cancel()
        self._released.set()

    def wait(self) -> None:
        with self._lock:
            self._blocked += 1
        try:
            self._released.wait()
        finally:
            with self._lock:
                self._blocked -= 1

    def state(self) -> dict[str, Any]:
        return {"max_seconds": self.max_seconds, "expires_in_s": self._expiry.remaining(), "blocked": self._blocked}

    def progress(self) -> dict[str, Any]:
        return dict(APPLIED)


class Crash(PassiveFault):
    """Answers the admin call, then the process exits with ``exit_code`` (no cleanup, like a crash)."""

    def __init__(self, raw: Any, ctx: FaultContext, exit: Callable[[int], Any] = os._exit) -> None:
        spec = Spec("crash", raw, ("exit_code",))
        self.exit_code = spec.integer("exit_code", 1, low=0, high=255)
        self._exit = exit
        self._log = ctx.log

    def start(self) -> None:
        timer = threading.Timer(CRASH_DELAY_S, self._crash)
        timer.daemon = True
        timer.start()

    def _crash(self) -> None:
        self._log.critical("crashing on request", extra={"event": "fault_change", "fault": "crash",
                                                          "action": "crash", "exit_code": self.exit_code})
        for handler in [*self._log.handlers, *logging.getLogger().handlers]:
            handler.flush()
        self._exit(self.exit_code)

    def state(self) -> dict[str, Any]:
        return {"exit_code": self.exit_code, "exiting_in_s": CRASH_DELAY_S}
