"""Frozen, typed scenario models (built only from schema-valid documents)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.load import LoadProfile


@dataclass(frozen=True)
class Fault:
    fault: str
    service: str
    spec: dict[str, Any] = field(default_factory=dict, hash=False)

    def describe(self) -> str:
        return f"{self.fault} on {self.service} {self.spec}"


@dataclass(frozen=True)
class AlertExpectation:
    name: str
    receiver: str
    labels: tuple[tuple[str, str], ...] = ()
    annotations_present: tuple[str, ...] = ()
    within: str = "auto"

    def label_dict(self) -> dict[str, str]:
        return dict(self.labels)


@dataclass(frozen=True)
class MetricCheck:
    query: str
    within: str = "auto"


@dataclass(frozen=True)
class SteadyState:
    hold: str = "10s"
    metrics: tuple[MetricCheck, ...] = ()
    no_alerts: bool = True


@dataclass(frozen=True)
class Recovery:
    alerts_resolved: bool = True
    resolved_notification: bool = True
    within: str = "auto"


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    method: tuple[Fault, ...]
    alerts: tuple[AlertExpectation, ...]
    description: str = ""
    tags: tuple[str, ...] = ()
    load: LoadProfile | None = None
    steady_state: SteadyState = SteadyState()
    no_other_alerts: bool = True
    recovery: Recovery = Recovery()
