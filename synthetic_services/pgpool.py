"""The real database pool: up to ``size`` psycopg2 connections to PostgreSQL (DATABASE_URL), opened on demand
and reused. Every request holds one while it runs (like dbpool.ConnectionPool, whose interface this is), the
handlers' queries run on it, and db_pool_saturation holds real sessions open and idle, so
database_connections_active (held + in flight) is what pg_stat_activity counts for the service's user. A
database that cannot be reached answers 503, naming it."""

from __future__ import annotations

import contextlib
import contextvars
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg2

from synthetic_services.dbpool import ACQUIRE_TIMEOUT_S, POOL_SIZE, PoolTimeout
from synthetic_services.server import HttpError

CONNECT_TIMEOUT_S = 2


class DatabaseUnavailable(HttpError):
    def __init__(self, detail: str) -> None:
        super().__init__(503, f"database: {detail}")


class PgPool:
    def __init__(self, dsn: str, schema: Sequence[str] = (), size: int = POOL_SIZE,
                 timeout_s: float = ACQUIRE_TIMEOUT_S, application: str = "service") -> None:
        self.dsn, self.size, self.timeout_s = dsn, size, timeout_s
        self._schema = tuple(schema)
        self._application = application
        self._idle: list[Any] = []
        self._held: list[Any] = []
        self._busy = 0
        self._cond = threading.Condition()
        self._current: contextvars.ContextVar[Any] = contextvars.ContextVar(f"pg-{id(self)}")

    @property
    def in_use(self) -> int:
        return len(self._held) + self._busy

    def _connect(self) -> Any:
        try:
            conn = psycopg2.connect(self.dsn, connect_timeout=CONNECT_TIMEOUT_S, application_name=self._application)
        except psycopg2.Error as exc:
            raise DatabaseUnavailable(f"cannot connect: {str(exc).strip()}") from None
        conn.autocommit = True
        with conn.cursor() as cur:  # the service's own tables, on every new session: a restarted (emptied)
            for statement in self._schema:  # database gets them back
                with contextlib.suppress(psycopg2.IntegrityError):  # a concurrent session created it just now
                    cur.execute(statement)
        return conn

    @contextmanager
    def connection(self) -> Iterator[None]:
        with self._cond:
            if not self._cond.wait_for(lambda: self.in_use < self.size, self.timeout_s):
                raise PoolTimeout(f"no free connection in the pool of {self.size} within {self.timeout_s:g}s "
                                  f"({len(self._held)} held idle, {self._busy} in use)")
            self._busy += 1
            conn = self._idle.pop() if self._idle else None
        try:
            conn = conn if conn is not None else self._connect()
            token = self._current.set(conn)
            try:
                yield
            finally:
                self._current.reset(token)
        finally:
            with self._cond:
                self._busy -= 1
                if conn is not None and not conn.closed:
                    self._idle.append(conn)
                self._cond.notify()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """``sql`` on the request's connection (rows of a SELECT, else [])."""
        conn = self._current.get(None)
        if conn is None:
            raise RuntimeError("PgPool.execute outside a request's connection()")
        try:
            with conn.cursor() as cur:
                cur.execute(sql, tuple(params))
                return list(cur.fetchall()) if cur.description else []
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
            conn.close()  # a broken session is not given back, nor the idle ones (the server went away)
            with self._cond:
                stale, self._idle = self._idle, []
            for other in stale:
                other.close()
            raise DatabaseUnavailable(f"query failed: {str(exc).strip()}") from None

    def sleep(self, seconds: float) -> None:
        """A slow query: the server sleeps (pg_sleep) on the request's connection, visible in pg_stat_activity."""
        self.execute("SELECT pg_sleep(%s)", (seconds,))

    def set_held(self, count: int) -> None:
        """Holds ``count`` real sessions open and idle (0 closes them)."""
        count = max(0, min(count, self.size))
        with self._cond:
            extra, self._held = self._held[count:], self._held[:count]
        for conn in extra:
            conn.close()
        opened = [self._connect() for _ in range(count - len(self._held))]
        with self._cond:
            self._held += opened
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            conns, self._idle, self._held = self._idle + self._held, [], []
        for conn in conns:
            conn.close()
