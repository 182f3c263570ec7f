"""Assertion library: eventually-style waits whose failures show near misses (used by scenarios and
by users' own pytest tests): metrics, alerts (by name and labels, with rule health), notifications per
receiver, correlated logs and joined traces."""

from harness.assertions.alerts import AlertWatch, FireResult
from harness.assertions.history import AlertHistory
from harness.assertions.logs import assert_logs_correlated
from harness.assertions.metrics import assert_query_eventually, near_misses
from harness.assertions.notifications import assert_notifications
from harness.assertions.traces import assert_one_trace_per_request, assert_service_graph
from harness.assertions.wait import eventually

__all__ = ["AlertHistory", "AlertWatch", "FireResult", "assert_logs_correlated", "assert_notifications",
           "assert_one_trace_per_request", "assert_query_eventually", "assert_service_graph", "eventually",
           "near_misses"]
