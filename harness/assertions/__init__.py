"""Assertion library: eventually-style waits whose failures show near misses (used by scenarios and
by users' own pytest tests)."""

from harness.assertions.alerts import AlertWatch
from harness.assertions.metrics import assert_query_eventually
from harness.assertions.wait import eventually

__all__ = ["AlertWatch", "assert_query_eventually", "eventually"]
