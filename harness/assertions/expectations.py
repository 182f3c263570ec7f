"""What a scenario expects of the alerts, notifications, logs and traces: the assertions own these types;
harness.scenario builds them from YAML and re-exports them with its model."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

Labels = tuple[tuple[str, str], ...]


def labels_match(want: Labels, have: Mapping[str, str]) -> bool:
    return all(have.get(k) == v for k, v in want)


@dataclass(frozen=True)
class AlertExpectation:
    name: str
    receiver: str
    labels: Labels = ()
    annotations_present: tuple[str, ...] = ()
    within: float | None = None
    also: tuple[str, ...] = ()  # further receivers that must get it too (`receivers:`; `continue: true` fan-out)
    only: bool = False  # and no receiver besides these
    budget: float | None = None  # paging budget: the longest acceptable REAL-TIME delay fault -> notification

    @property
    def receivers(self) -> tuple[str, ...]:
        return (self.receiver, *self.also)

    def label_dict(self) -> dict[str, str]:
        return dict(self.labels)

    def matches(self, labels: Mapping[str, str]) -> bool:
        return labels.get("alertname", self.name) == self.name and labels_match(self.labels, labels)

    def held(self, sent: frozenset[str]) -> AlertExpectation:
        """This expectation as Prometheus's own alert API can judge it: without the labels in ``sent``,
        which Prometheus adds only on the way to Alertmanager (external labels, alert relabeling)."""
        if not sent:
            return self
        return replace(self, labels=tuple((k, v) for k, v in self.labels if k not in sent))

    def describe(self) -> str:
        shown = ",".join(f"{k}={v}" for k, v in self.labels)
        return f"{self.name}{{{shown}}}" if shown else self.name


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
    per_group: int | None = None  # each group gets exactly this many firing notifications (one_per_group: 1)
    runbook_url: bool = False  # every critical alert it got carries a runbook_url annotation
    within: float | None = None
