"""What a scenario run measured (timings against their bounds, payloads, load)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.assertions.alerts import FireResult
from harness.bounds import Bound
from harness.events import BoundComputed, Events


@dataclass
class ScenarioResult:
    scenario: str
    time_factor: float
    fired: list[FireResult] = field(default_factory=list)
    resolved: dict[str, dict[str, Any]] = field(default_factory=dict)
    bounds: dict[str, Bound] = field(default_factory=dict)
    faults: list[dict[str, Any]] = field(default_factory=list)
    load: dict[str, Any] = field(default_factory=dict)
    logs: list[dict[str, Any]] = field(default_factory=list)
    traces: list[dict[str, Any]] = field(default_factory=list)
    service_graph: list[str] = field(default_factory=list)
    error_budget: list[dict[str, Any]] = field(default_factory=list)  # per objective (harness/slo/budget.py)
    seconds: float = 0.0
    events: Events | None = field(default=None, repr=False, compare=False)

    def bound(self, what: str, bound: Bound, alert: str = "", kind: str = "") -> Bound:
        """Record (emit, and return) the deadline of one check, term by term, for the report; ``alert`` and
        ``kind`` ('fire' | 'resolve') when it is an expected alert's."""
        self.bounds[what] = bound
        if self.events is not None:
            self.events.emit(BoundComputed(what, bound, alert, kind))
        return bound

    def summary(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "time_factor": self.time_factor, "seconds": round(self.seconds, 1),
                "fired": [{"alert": f.name, "labels": f.labels,
                           "firing_after_s": f.firing_after and round(f.firing_after, 1),
                           "notified_after_s": round(f.notified_after, 1), "bound_s": round(f.bound.seconds, 1),
                           "bound": f.bound.explain()} for f in self.fired],
                "resolved": self.resolved,
                "bounds": {what: {"seconds": round(b.seconds, 1), "terms": b.terms(), "explain": b.explain()}
                           for what, b in self.bounds.items()},
                "faults": self.faults, "load": self.load, "service_graph": self.service_graph,
                "error_budget": self.error_budget}
