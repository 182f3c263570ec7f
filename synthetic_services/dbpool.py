"""The in-process stand-in for the database pool (100 connections), used when no DATABASE_URL is set (the
stack always sets one: synthetic_services/pgpool.py is the real pool, synthetic_services/database.py picks
one): every request holds one while it runs; the db_pool_saturation fault holds some idle.
database_connections_active = held + in flight. The pool's size, its acquire timeout and the timeout's error
are defined here for both."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from synthetic_services.server import HttpError

POOL_SIZE = 100
ACQUIRE_TIMEOUT_S = 2.0
QUERY_S = (0.001, 0.004)  # what one simulated query takes


class PoolTimeout(HttpError):
    """No connection became free within the acquire timeout (answered 503)."""

    def __init__(self, message: str) -> None:
        super().__init__(503, f"database: {message}")


class ConnectionPool:
    def __init__(self, size: int = POOL_SIZE, timeout_s: float | None = None) -> None:
        self.size = size
        self.timeout_s = ACQUIRE_TIMEOUT_S if timeout_s is None else timeout_s
        self._held = 0
        self._busy = 0
        self._cond = threading.Condition()

    @property
    def in_use(self) -> int:
        return self._held + self._busy

    @contextmanager
    def connection(self) -> Iterator[None]:
        with self._cond:
            if not self._cond.wait_for(lambda: self._held + self._busy < self.size, self.timeout_s):
                raise PoolTimeout(f"no free connection in the pool of {self.size} within {self.timeout_s:g}s "
                                  f"({self._held} held idle, {self._busy} in use)")
            self._busy += 1
        try:
            yield
        finally:
            with self._cond:
                self._busy -= 1
                self._cond.notify()

    def execute(self, sql: str, params: Sequence[object] = ()) -> list[tuple[object, ...]]:
        """A simulated query: a few milliseconds, no rows."""
        time.sleep(random.uniform(*QUERY_S))
        return []

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def close(self) -> None:
        pass

    def set_held(self, count: int) -> None:
        """Holds ``count`` connections idle (0 releases them)."""
        with self._cond:
            self._held = max(0, min(count, self.size))
            self._cond.notify_all()
