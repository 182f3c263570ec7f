"""The backend's database connection pool (100 connections): every request holds one while it runs; the
db_pool_saturation fault holds some idle. database_connections_active = held + in flight."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from synthetic_services.server import HttpError

POOL_SIZE = 100
ACQUIRE_TIMEOUT_S = 2.0


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

    def set_held(self, count: int) -> None:
        """Holds ``count`` connections idle (0 releases them)."""
        with self._cond:
            self._held = max(0, min(count, self.size))
            self._cond.notify_all()
