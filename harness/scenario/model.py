"""Frozen, typed scenario models (built only from schema-valid documents by harness.scenario.build).

Durations are seconds; ``None`` means ``auto``: the deadline is computed from the rendered config."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.assertions.errortracking import ErrorExpectation
from harness.assertions.expectations import (
    AlertExpectation,
    EmailExpectation,
    Labels,
    LogExpectation,
    NotificationExpectation,
    SlackExpectation,
    TraceExpectation,
    labels_match,
)
from harness.load import LoadProfile

__all__ = ["AlertExpectation", "EmailExpectation", "Expect", "Fault", "Labels", "LogExpectation", "MetricCheck",
           "NotificationExpectation", "Recovery", "Rollback", "Scenario", "SlackExpectation", "SteadyState",
           "TraceExpectation", "labels_match"]


@dataclass(frozen=True)
class Fault:
    fault: str
    service: str
    spec: dict[str, Any] = field(default_factory=dict, hash=False)
    after: float = 0.0
    duration: float | None = None  # cleared this long after it was set; None: until rollback
    ramp: float = 0.0  # time the signal needs to cross the threshold once the fault is on (bound term)
    require_reached: bool = False  # the fault state must say `reached`, else the scenario fails
    settle_within: float = 180.0

    def describe(self) -> str:
        when = f" after {self.after:g}s" if self.after else ""
        lasting = f" for {self.duration:g}s" if self.duration is not None else ""
        return f"{self.fault} on {self.service} {self.spec}{when}{lasting}"


@dataclass(frozen=True)
class MetricCheck:
    query: str
    within: float | None = None
    empty: bool = False  # the query must return no series (e.g. the error ratio is back under threshold)


@dataclass(frozen=True)
class BurnExpectation:
    """The burn rate of one objective (error ratio / budget ratio) measured from the fault to the check."""

    slo: str
    min_burn: float | None = None
    max_burn: float | None = None

    def describe(self) -> str:
        low = f"{self.min_burn:g}x <= " if self.min_burn is not None else ""
        high = f" <= {self.max_burn:g}x" if self.max_burn is not None else ""
        return f"{self.slo}: {low}burn{high}"


@dataclass(frozen=True)
class Expect:
    alerts: tuple[AlertExpectation, ...] = ()
    not_firing: tuple[str, ...] = ()
    no_other_alerts: bool = True
    observe: float = 0.0  # keep watching this long after the expected alerts fired
    metrics: tuple[MetricCheck, ...] = ()
    logs: LogExpectation | None = None
    traces: TraceExpectation | None = None
    notifications: tuple[NotificationExpectation, ...] = ()
    reconcile: bool | None = None  # the load's requests counted in every pillar; None: yes when there is a load
    error_budget: tuple[BurnExpectation, ...] = ()  # per SLO: the burn rate over the fault's time
    dashboards: bool = False  # every panel query of every shipped dashboard returns data (no Grafana needed)
    errors: tuple[ErrorExpectation, ...] = ()  # exception bursts the error tracker (Bugsink) must hold, grouped


@dataclass(frozen=True)
class SteadyState:
    hold: float = 10.0
    metrics: tuple[MetricCheck, ...] = ()
    no_alerts: bool = True


@dataclass(frozen=True)
class Rollback:
    heal: tuple[str, ...] = ()  # services restarted through the stack besides those a crash fault hit


@dataclass(frozen=True)
class Recovery:
    alerts_resolved: bool = True
    resolved_notification: bool = True
    within: float | None = None
    metrics: tuple[MetricCheck, ...] = ()
    only: tuple[str, ...] | None = None  # `alerts_resolved: [names]`: only these are waited for


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    method: tuple[Fault, ...]
    expect: Expect = Expect()
    description: str = ""
    tags: tuple[str, ...] = ()
    load: LoadProfile | None = None
    steady_state: SteadyState = SteadyState()
    rollback: Rollback = Rollback()
    recovery: Recovery = Recovery()
    background_alerts: tuple[str, ...] = ()  # always on (besides the config's): out of settle/no_other_alerts
    resources: tuple[str, ...] = ()  # shared resources it holds (harness/schedule.py); () = derived from method

    @property
    def alerts(self) -> tuple[AlertExpectation, ...]:
        return self.expect.alerts

    @property
    def no_other_alerts(self) -> bool:
        return self.expect.no_other_alerts

    def services(self) -> list[str]:
        """Services the method touches, in first-use order."""
        return list(dict.fromkeys(f.service for f in self.method))
