"""The data of each expected alert's timeline picture, gathered as the scenario runs and emitted once at its
end as an :class:`~harness.events.AlertTimeline` (the picture itself is harness/reporting/timeline.py):
the rule's PromQL left-hand side over the scenario (query_range) against its threshold, the fault windows,
the alert's states (AlertHistory), the notifications and the fire/resolve deadlines."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping
from dataclasses import dataclass

import promql_parser
import requests
from prometheus_api_client import PrometheusApiClientException

from harness.assertions.alerts import AlertWatch
from harness.config import AlertRule
from harness.events import AlertTimeline, BoundComputed, Event, Events, FaultCleared, FaultInjected, Series
from harness.scenario.model import AlertExpectation, Scenario

COMPARISONS = (">", "<", ">=", "<=", "==", "!=")
LEAD = 30.0  # seconds of the steady state shown before the injection
POINTS = 300  # about this many points per series


@dataclass(frozen=True)
class Split:
    """A rule's expression split at its top-level comparison with a number: ``query op threshold``."""

    query: str
    op: str
    threshold: float | None


def split(expr: str) -> Split:
    """``lhs > 0.05`` -> (lhs, '>', 0.05) through the promql-parser AST; anything else: (expr, '', None)."""
    node = promql_parser.parse(expr)
    if isinstance(node, promql_parser.BinaryExpr) and str(node.op) in COMPARISONS:
        if isinstance(node.rhs, promql_parser.NumberLiteral):
            return Split(str(node.lhs), str(node.op), float(node.rhs.val))
        if isinstance(node.lhs, promql_parser.NumberLiteral):
            return Split(str(node.rhs), str(node.op), float(node.lhs.val))
    return Split(expr, "", None)


def _shown(labels: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) + "}"


class TimelineRecorder:
    """Subscribes to the fault and deadline events of one scenario; :meth:`emit` sends the timelines."""

    def __init__(self, events: Events, watch: AlertWatch) -> None:
        self.events = events
        self.watch = watch
        self.origin: float | None = None
        self.faults: list[tuple[float, float | None, str]] = []
        self.deadlines: dict[str, list[tuple[str, float]]] = {}
        self.done = False  # after emit: the registry outlives the scenario, later events are not ours
        events.subscribe(self.handle, FaultInjected, FaultCleared, BoundComputed)

    def handle(self, event: Event) -> None:
        if self.done:
            return
        now = time.time()
        if isinstance(event, FaultInjected) and event.action == "injected":
            self.origin = now if self.origin is None else self.origin
            self.faults.append((now, None, f"{event.fault} on {event.service}"))
        elif isinstance(event, FaultCleared):
            what = f"{event.fault} on {event.service}"
            self.faults = [(s, now if e is None and w == what else e, w) for s, e, w in self.faults]
        elif isinstance(event, BoundComputed) and event.alert:
            # the bound counts from the watch's clock, restarted at the injection and at the rollback
            self.deadlines.setdefault(event.alert, []).append(
                (event.kind, self.watch.history.started_wall + event.bound.seconds))

    def emit(self, scenario: Scenario, rules: Mapping[str, AlertRule]) -> None:
        """One AlertTimeline per expected alert; a Prometheus that cannot answer leaves a line instead."""
        self.done = True
        if self.origin is None:
            return
        for exp in scenario.alerts:
            rule = rules.get(exp.name)
            if rule is None:
                continue
            try:
                self.events.emit(self.timeline(exp, rule, self.origin))
            except (requests.RequestException, PrometheusApiClientException, ValueError) as exc:
                self.events.say(f"no timeline picture of {exp.describe()}: {exc}")

    def timeline(self, exp: AlertExpectation, rule: AlertRule, origin: float) -> AlertTimeline:
        parts = split(rule.expr)
        history = self.watch.history
        wall = history.started_wall  # the history's times are relative to its (last restarted) clock
        states = [(wall + t, state) for key, steps in history.alerts.get(exp.name, {}).items()
                  if exp.matches(dict(key)) for t, state in steps]
        notes = [(n.received_at, n.receiver, n.status) for n in self.watch.sink.taps()
                 if n.received_at >= origin - LEAD and any(exp.matches(a.get("labels", {})) for a in n.alerts())]
        return AlertTimeline(exp.describe(), parts.query, parts.op, parts.threshold, origin,
                             self.series(exp, parts.query, origin - LEAD), tuple(self.faults), tuple(sorted(states)),
                             tuple(sorted(notes)), tuple(self.deadlines.get(exp.describe(), ())))

    def series(self, exp: AlertExpectation, query: str, start: float) -> tuple[Series, ...]:
        """The query's series since ``start`` that carry none of the expected labels with another value."""
        end = time.time()
        step = max(1.0, (end - start) / POINTS)
        rows = self.watch.prom.api.custom_query_range(
            query, start_time=dt.datetime.fromtimestamp(start), end_time=dt.datetime.fromtimestamp(end),
            step=f"{step:.3f}")  # seconds as a float: Prometheus 2.x rejects "1.000s"
        out = []
        for row in rows:
            labels = dict(row.get("metric", {}))
            if all(labels.get(k, v) == v for k, v in exp.labels):
                values = row.get("values", [])
                out.append(Series(_shown(labels), tuple(float(t) for t, _ in values),
                                  tuple(float(v) for _, v in values)))
        return tuple(out)
