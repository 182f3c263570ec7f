"""result.json: one file per run (rewritten as each scenario finishes) with every scenario's verdict and
failure message, per expected alert when it fired, was notified and resolved against its bound (term by
term), and per fault when it was injected and cleared."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from harness.bounds import Bound
from harness.events import (
    AlertCertified,
    AlertFired,
    AlertResolved,
    BoundComputed,
    BudgetConsumed,
    Event,
    Events,
    FaultCleared,
    FaultInjected,
    Reconciled,
    ScenarioFinished,
    ScenarioStarted,
)


def _bound(bound: Bound) -> dict[str, Any]:
    return {"seconds": round(bound.seconds, 1), "terms": bound.terms(), "explain": bound.explain()}


def _round(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


class ResultFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        self.scenarios: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def subscribe(self, events: Events) -> None:
        events.subscribe(self.handle, ScenarioStarted, ScenarioFinished, BoundComputed, AlertFired, AlertResolved,
                         FaultInjected, FaultCleared, AlertCertified, Reconciled, BudgetConsumed)

    def _alert(self, name: str) -> dict[str, Any]:
        alerts: dict[str, dict[str, Any]] = self.scenarios[-1]["alerts"]
        return alerts.setdefault(name, {"fired_after_s": None, "notified_after_s": None, "resolved_after_s": None})

    def _fault(self, event: FaultInjected | FaultCleared) -> dict[str, Any]:
        faults: list[dict[str, Any]] = self.scenarios[-1]["faults"]
        for row in faults:
            if (row["fault"], row["service"]) == (event.fault, event.service) and row["cleared_at_s"] is None:
                return row
        row = {"fault": event.fault, "service": event.service, "describe": event.describe, "injected_at_s": None,
               "reached_at_s": None, "cleared_at_s": None, "cleared_by": None}
        faults.append(row)
        return row

    def handle(self, event: Event) -> None:
        with self._lock:
            if isinstance(event, ScenarioStarted):
                self.scenarios.append({"scenario": event.scenario, "time_factor": event.time_factor,
                                       "passed": None, "failure": "", "seconds": None, "alerts": {}, "faults": [],
                                       "certificate": {}})
            elif not self.scenarios:
                return
            elif isinstance(event, ScenarioFinished):
                self.scenarios[-1].update(passed=event.passed, failure=event.failure, seconds=round(event.seconds, 1))
                self.write()
            else:
                self._record(event)

    def _record(self, event: Event) -> None:
        if isinstance(event, BoundComputed) and event.alert:
            self._alert(event.alert)[f"{event.kind}_bound"] = _bound(event.bound)
        elif isinstance(event, AlertFired):
            self._alert(event.alert).update(receiver=event.receiver, fired_after_s=_round(event.firing_after),
                                            notified_after_s=_round(event.notified_after))
        elif isinstance(event, AlertResolved):
            self._alert(event.alert)["resolved_after_s"] = _round(event.after)
        elif isinstance(event, FaultInjected):
            key = "reached_at_s" if event.action == "reached" else "injected_at_s"
            self._fault(event)[key] = event.at_s
        elif isinstance(event, FaultCleared):
            self._fault(event).update(cleared_at_s=event.at_s, cleared_by=event.action)
        elif isinstance(event, AlertCertified):
            self.scenarios[-1]["certificate"][event.alert] = {"holds": event.holds, "detail": event.detail,
                                                               "promtool_s": round(event.seconds, 1)}
        elif isinstance(event, Reconciled):
            self.scenarios[-1]["reconciliation"] = event.table
        elif isinstance(event, BudgetConsumed):
            self.scenarios[-1]["error_budget"] = list(event.objectives)

    def content(self) -> dict[str, Any]:
        return {"started": self.started, "scenarios": self.scenarios}

    def write(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.content(), indent=2, default=str) + "\n")
        tmp.replace(self.path)
