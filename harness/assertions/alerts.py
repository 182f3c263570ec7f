"""Alert assertions: watch Prometheus's rule states and what the receivers got, keep each alert's state
history, and fail with it (plus which receivers got what) when an expectation does not hold."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from harness.assertions.metrics import near_misses
from harness.bounds import Bound
from harness.clients import Notification, PromClient, SinkClient
from harness.config import AlertRule
from harness.errors import ExpectationFailed
from harness.scenario.model import AlertExpectation


@dataclass(frozen=True)
class FireResult:
    name: str
    firing_after: float | None
    notified_after: float
    bound: Bound
    notification: dict[str, Any]


@dataclass
class AlertWatch:
    prom: PromClient
    sink: SinkClient
    started: float = field(default_factory=time.monotonic)
    started_wall: float = field(default_factory=time.time)
    history: dict[str, list[tuple[float, str]]] = field(default_factory=dict)

    def restart_clock(self) -> None:
        """Times become relative to now (the injection); earlier history turns negative."""
        shift = time.monotonic() - self.started
        self.history = {k: [(t - shift, state) for t, state in v] for k, v in self.history.items()}
        self.started, self.started_wall = time.monotonic(), time.time()

    def poll(self) -> dict[str, str]:
        """alertname -> inactive/pending/firing; transitions are appended to the history."""
        states = self.prom.rule_states()
        now = time.monotonic() - self.started
        for name, state in states.items():
            past = self.history.setdefault(name, [])
            if not past or past[-1][1] != state:
                past.append((now, state))
        return states

    def notifications(self) -> list[Notification]:
        return [n for n in self.sink.taps() if n.received_at >= self.started_wall - 1]

    def history_text(self, name: str) -> str:
        steps = self.history.get(name, [])
        return " -> ".join(f"{state}@{t:+.1f}s" for t, state in steps) or "(never seen by the rule manager)"

    def receivers_text(self) -> str:
        got = [f"    {n.show()} at {n.received_at - self.started_wall:.1f}s" for n in self.notifications()]
        return "  receivers got:\n" + ("\n".join(got) if got else "    (nothing)")

    def wait_fired(self, exp: AlertExpectation, rule: AlertRule, bound: Bound) -> FireResult:
        firing_at: float | None = None
        while True:
            states = self.poll()
            elapsed = time.monotonic() - self.started
            if states.get(exp.name) == "firing" and firing_at is None:
                firing_at = elapsed
                self._check_labels(exp)
            for note in self.notifications():
                if exp.name in note.alertnames() and note.status == "firing":
                    self._check_receiver(exp, note, bound)
                    self._check_payload(exp, note)
                    return FireResult(exp.name, firing_at, note.received_at - self.started_wall, bound,
                                      note.body)
            if elapsed > bound.seconds:
                raise ExpectationFailed(self._not_fired(exp, rule, bound, elapsed))
            time.sleep(0.5)

    def _check_labels(self, exp: AlertExpectation) -> None:
        for alert in self.prom.alerts():
            if alert.name != exp.name or alert.state != "firing":
                continue
            wrong = {k: (v, alert.labels.get(k)) for k, v in exp.labels if alert.labels.get(k) != v}
            if wrong:
                detail = ", ".join(f"{k}={got!r} (expected {want!r})" for k, (want, got) in wrong.items())
                raise ExpectationFailed(f"{exp.name} fired with wrong labels: {detail}\n"
                                        f"  labels of the firing alert: {alert.labels}\n"
                                        f"  state history: {self.history_text(exp.name)}")

    def _check_receiver(self, exp: AlertExpectation, note: Notification, bound: Bound) -> None:
        if note.receiver != exp.receiver:
            labels = note.alerts()[0].get("labels", {}) if note.alerts() else {}
            raise ExpectationFailed(
                f"{exp.name} was routed to receiver {note.receiver!r}, expected {exp.receiver!r}\n"
                f"  alert labels: {labels}\n{self.receivers_text()}")

    def _check_payload(self, exp: AlertExpectation, note: Notification) -> None:
        for alert in note.alerts():
            if alert.get("labels", {}).get("alertname") != exp.name:
                continue
            wrong = {k: v for k, v in exp.labels if alert.get("labels", {}).get(k) != v}
            if wrong:
                raise ExpectationFailed(f"{exp.name} reached {note.receiver} with labels {alert.get('labels')}, "
                                        f"expected {dict(exp.labels)}")
            missing = [a for a in exp.annotations_present if not alert.get("annotations", {}).get(a)]
            if missing:
                raise ExpectationFailed(f"{exp.name} notification lacks annotation(s) {', '.join(missing)}; "
                                        f"it has {sorted(alert.get('annotations', {}))}")

    def _not_fired(self, exp: AlertExpectation, rule: AlertRule, bound: Bound, waited: float) -> str:
        return (f"{exp.name} did not reach receiver {exp.receiver!r} within the bound {bound.explain()}"
                f" (waited {waited:.1f}s)\n  rule {rule.name} ({rule.file}): for {rule.for_seconds:g}s, labels "
                f"{dict(rule.labels)}\n  state history: {self.history_text(exp.name)}\n"
                f"{near_misses(self.prom, rule.expr)}\n{self.receivers_text()}")

    def wait_resolved(self, exp: AlertExpectation, bound: Bound, notification: bool) -> float:
        self.restart_clock()
        while True:
            state = self.poll().get(exp.name, "inactive")
            resolved_note = any(exp.name in n.alertnames() and n.status == "resolved"
                                and n.receiver == exp.receiver for n in self.notifications())
            elapsed = time.monotonic() - self.started
            if state == "inactive" and (resolved_note or not notification):
                return elapsed
            if elapsed > bound.seconds:
                raise ExpectationFailed(
                    f"{exp.name} did not resolve within {bound.explain()} (waited {elapsed:.1f}s): rule state "
                    f"{state}, resolved notification to {exp.receiver}: {'yes' if resolved_note else 'no'}\n"
                    f"  state history: {self.history_text(exp.name)}\n{self.receivers_text()}")
            time.sleep(0.5)

    def others(self, expected: set[str]) -> list[str]:
        """Alerts outside ``expected`` that fire now or were notified since the clock started."""
        found = [f"{name} is {state} (history {self.history_text(name)})"
                 for name, state in self.poll().items() if name not in expected and state == "firing"]
        found += [f"notification {n.show()}" for n in self.notifications()
                  if n.status == "firing" and set(n.alertnames()) - expected]
        return found
