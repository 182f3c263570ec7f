"""Faults of one service's own work: downstream_unavailable, queue_backup, payment_failures, ai_failures,
analysis_failures, js_errors,
db_pool_saturation, db_slow_queries. The service passes the resource the fault acts on (its queue, its pool)."""

from __future__ import annotations

from typing import Any, Protocol

from synthetic_services.faults.base import FaultContext, PassiveFault, RateCounter
from synthetic_services.faults.spec import REQUIRED, Spec


class Backlogged(Protocol):
    capacity: int

    def pause(self, paused: bool) -> None: ...

    def add_backlog(self, count: int) -> int: ...

    def purge_backlog(self) -> int: ...

    def __len__(self) -> int: ...


class Holdable(Protocol):
    size: int

    def set_held(self, count: int) -> None: ...

    @property
    def in_use(self) -> int: ...


class DownstreamUnavailable(PassiveFault):
    """Calls to ``target`` fail as if the connection was refused (the caller answers 502)."""

    def __init__(self, raw: Any, ctx: FaultContext) -> None:
        spec = Spec("downstream_unavailable", raw, ("target",))
        default = ctx.downstreams[0] if len(ctx.downstreams) == 1 else REQUIRED
        self.target = spec.string("target", default, ctx.downstreams)

    def state(self) -> dict[str, Any]:
        return {"target": self.target}


class QueueBackup(PassiveFault):
    """The worker stops consuming (``paused``) and ``backlog`` synthetic items are queued; clearing resumes the
    worker and drops the synthetic items still queued."""

    def __init__(self, raw: Any, ctx: FaultContext, queue: Backlogged) -> None:
        spec = Spec("queue_backup", raw, ("backlog", "paused"))
        self.backlog = spec.integer("backlog", 0, low=0, high=queue.capacity)
        self.paused = spec.boolean("paused", True)
        self._queue = queue

    def start(self) -> None:
        self._queue.pause(self.paused)
        self._queue.add_backlog(self.backlog)

    def stop(self) -> None:
        super().stop()
        self._queue.purge_backlog()
        self._queue.pause(False)

    def state(self) -> dict[str, Any]:
        return {"backlog": self.backlog, "paused": self.paused, "queue_size": len(self._queue)}


class PaymentFailures(PassiveFault):
    """``rate`` of the charges are declined with ``reason`` (402)."""

    def __init__(self, raw: Any, ctx: FaultContext) -> None:
        spec = Spec("payment_failures", raw, ("rate", "reason"))
        self.rate = spec.rate()
        self.reason = spec.string("reason", "card_declined")
        self._counter = RateCounter(self.rate)

    def decline(self) -> str | None:
        return self.reason if self._counter.hit() else None

    def state(self) -> dict[str, Any]:
        return {"rate": self.rate, "reason": self.reason}


class ShareFails(PassiveFault):
    """``rate`` of the service's own operations fail; ``NAME`` is the fault's name."""

    NAME = ""

    def __init__(self, raw: Any, ctx: FaultContext) -> None:
        spec = Spec(self.NAME, raw, ("rate",))
        self.rate = spec.rate()
        self._counter = RateCounter(self.rate)

    def fails(self) -> bool:
        return self._counter.hit()

    def state(self) -> dict[str, Any]:
        return {"rate": self.rate}


class AiFailures(ShareFails):
    """``rate`` of the model invocations fail (answered in band: 200 ``{"status": "failed"}``)."""

    NAME = "ai_failures"


class AnalysisFailures(ShareFails):
    """``rate`` of the CV analyses fail (the job completes with ``{"status": "failed"}``, logged as an error)."""

    NAME = "analysis_failures"


class JsErrors(PassiveFault):
    """The page served while this is on throws a real TypeError on ``rate`` of the clicks on ``action``'s button
    (frontend; the page reads the fault when it loads)."""

    ACTIONS = ("register", "analyze", "generate", "subscribe")

    def __init__(self, raw: Any, ctx: FaultContext) -> None:
        spec = Spec("js_errors", raw, ("rate", "action"))
        self.rate = spec.rate()
        self.action = spec.string("action", "generate", self.ACTIONS)

    def state(self) -> dict[str, Any]:
        return {"rate": self.rate, "action": self.action}


class PoolSaturation(PassiveFault):
    """``held`` database pool connections are taken and kept idle."""

    def __init__(self, raw: Any, ctx: FaultContext, pool: Holdable) -> None:
        spec = Spec("db_pool_saturation", raw, ("held",))
        self.held = spec.integer("held", 90, low=0, high=pool.size)
        self._pool = pool

    def start(self) -> None:
        self._pool.set_held(self.held)

    def stop(self) -> None:
        super().stop()
        self._pool.set_held(0)

    def state(self) -> dict[str, Any]:
        return {"held": self.held, "in_use": self._pool.in_use, "pool_size": self._pool.size}


class SlowQueries(PassiveFault):
    """Each database query waits ``ms`` in the database server first (pg_sleep on the request's connection)."""

    def __init__(self, raw: Any, ctx: FaultContext) -> None:
        spec = Spec("db_slow_queries", raw, ("ms",))
        self.ms = spec.number("ms", 1000, low=0, low_open=True, high=60_000)

    def state(self) -> dict[str, Any]:
        return {"ms": self.ms}
