"""Frozen, typed scenario models (built only from schema-valid documents by harness.scenario.build).

Durations are seconds; ``None`` means ``auto``: the deadline is computed from the rendered config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.load import LoadProfile

Labels = tuple[tuple[str, str], ...]


def labels_match(want: Labels, have: Mapping[str, str]) -> bool:
    return all(have.get(k) == v for k, v in want)


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
class AlertExpectation:
    name: str
    receiver: str
    labels: Labels = ()
    annotations_present: tuple[str, ...] = ()
    within: float | None = None
    also: tuple[str, ...] = ()  # further receivers that must get it too (`receivers:`; `continue: true` fan-out)
    only: bool = False  # and no receiver besides these

    @property
    def receivers(self) -> tuple[str, ...]:
        return (self.receiver, *self.also)

    def label_dict(self) -> dict[str, str]:
        return dict(self.labels)

    def matches(self, labels: Mapping[str, str]) -> bool:
        return labels.get("alertname", self.name) == self.name and labels_match(self.labels, labels)

    def describe(self) -> str:
        shown = ",".join(f"{k}={v}" for k, v in self.labels)
        return f"{self.name}{{{shown}}}" if shown else self.name


@dataclass(frozen=True)
class MetricCheck:
    query: str
    within: float | None = None
    empty: bool = False  # the query must return no series (e.g. the error ratio is back under threshold)


@dataclass(frozen=True)
class LogExpectation:
    correlated: bool = True
    sample: int = 10
    within: float | None = None


@dataclass(frozen=True)
class TraceExpectation:
    one_trace_per_request: bool = False
    service_graph: tuple[tuple[str, str], ...] | None = None
    sample: int = 10
    within: float | None = None


@dataclass(frozen=True)
class EmailExpectation:
    subject: str
    to: tuple[str, ...] = ()


@dataclass(frozen=True)
class SlackExpectation:
    channel: str
    title: str | None = None


@dataclass(frozen=True)
class NotificationExpectation:
    receiver: str
    email: EmailExpectation | None = None
    slack: SlackExpectation | None = None
    pagerduty: bool | None = None  # True: at least one event; False: none
    one_per_group: bool = False
    runbook_url: bool = False  # every critical alert it got carries a runbook_url annotation
    within: float | None = None


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

    @property
    def alerts(self) -> tuple[AlertExpectation, ...]:
        return self.expect.alerts

    @property
    def no_other_alerts(self) -> bool:
        return self.expect.no_other_alerts

    def services(self) -> list[str]:
        """Services the method touches, in first-use order."""
        return list(dict.fromkeys(f.service for f in self.method))
