"""The context of the request being served (correlation id, user id), carried in a contextvar so every log
line and downstream call made while serving it can read it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

CORRELATION_HEADER = "X-Correlation-ID"
USER_HEADER = "X-User-ID"


@dataclass(frozen=True)
class RequestContext:
    correlation_id: str
    user_id: str | None = None


_CURRENT: ContextVar[RequestContext | None] = ContextVar("synthetic_services_request", default=None)


def current() -> RequestContext | None:
    return _CURRENT.get()


@contextmanager
def bound(ctx: RequestContext) -> Iterator[RequestContext]:
    """Makes ``ctx`` the current request context for the block."""
    token = _CURRENT.set(ctx)
    try:
        yield ctx
    finally:
        _CURRENT.reset(token)
