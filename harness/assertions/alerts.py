"""Alert assertions: watch Prometheus's rules (state, health, alerts per label set) and what the receivers
got; expectations match an alert by name AND labels (one rule can fire for several services). The watch
polls; the :class:`~harness.assertions.history.AlertHistory` keeps the state changes. Failures show the
state history, the rule's evaluation error, the near misses and which receivers got what."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.assertions.expectations import AlertExpectation
from harness.assertions.history import AlertHistory, label_key, show_labels
from harness.assertions.metrics import near_misses
from harness.assertions.notifications import Delivery, RoutingVerdict, judge_routing
from harness.bounds import Bound
from harness.clients import Notification, PromClient, SinkClient
from harness.clients.prometheus import RuleStatus
from harness.config import AlertRule
from harness.errors import ExpectationFailed
from harness.routing import Routing, names


@dataclass(frozen=True)
class FireResult:
    name: str
    firing_after: float | None
    notified_after: float
    bound: Bound
    notification: dict[str, Any]
    labels: dict[str, str] = field(default_factory=dict)


def _delivered(note: Notification, exp: AlertExpectation, status: str) -> dict[str, Any] | None:
    """The alert of ``note`` that matches ``exp`` with ``status`` (firing/resolved), if any."""
    for alert in note.alerts():
        if alert.get("status", note.status) == status and exp.matches(alert.get("labels", {})):
            return dict(alert)
    return None


def receivers_text(notes: Sequence[Notification], since: float) -> str:
    """What the receivers got, each with its labels and time relative to ``since`` (wall clock)."""
    got = [f"    {n.show()} {' '.join(show_labels(label_key(a.get('labels', {}))) for a in n.alerts())} "
           f"at {n.received_at - since:+.1f}s" for n in notes]
    return "  receivers got:\n" + ("\n".join(got) if got else "    (nothing)")


def rule_error(history: AlertHistory, name: str) -> str:
    error = history.last_error(name)
    return f"  rule {name} failed to evaluate: {error}\n" if error else ""


def check_labels(exp: AlertExpectation, firing: Sequence[Mapping[str, str]], history: AlertHistory) -> None:
    """An alert of this rule that matches every expected label but severity (or has no other expected
    label) fires with other values: the rule's labels are wrong, fail now."""
    identity = tuple((k, v) for k, v in exp.labels if k != "severity")
    for labels in firing:
        if exp.matches(labels) or not all(labels.get(k) == v for k, v in identity):
            continue
        wrong = {k: (v, labels.get(k)) for k, v in exp.labels if labels.get(k) != v}
        detail = ", ".join(f"{k}={got!r} (expected {want!r})" for k, (want, got) in wrong.items())
        raise ExpectationFailed(f"{exp.name} fired with wrong labels: {detail}\n"
                                f"  labels of the firing alert: {dict(labels)}\n"
                                f"  state history: {history.text(exp.name)}")


def check_annotations(exp: AlertExpectation, note: Notification, alert: Mapping[str, Any]) -> None:
    """The notification carries the expected annotations (its receiver is judged by the routing verdict)."""
    annotations = alert.get("annotations", {})
    missing = [a for a in exp.annotations_present if not annotations.get(a)]
    if missing:
        raise ExpectationFailed(f"{exp.name} notification to {note.receiver} lacks annotation(s) "
                                f"{', '.join(missing)}; it has {sorted(annotations)}")


class AlertWatch:
    """Polls Prometheus's rules and the receivers' taps; every state change goes to ``history``."""

    def __init__(self, prom: PromClient, sink: SinkClient, history: AlertHistory | None = None,
                 interval: float = 0.5, routing: Routing | None = None,
                 background: frozenset[str] = frozenset(), sent_labels: frozenset[str] = frozenset()) -> None:
        self.routing = routing  # Alertmanager's own routing and integration errors, for the failures
        self.background = background  # always-on alerts: never "unexpected"
        self.sent_labels = sent_labels  # on the alerts Alertmanager gets, never in Prometheus's own (held)
        self.prom = prom
        self.sink = sink
        self.history = history or AlertHistory()
        self.interval = interval
        self.rules: list[RuleStatus] = []

    def restart_clock(self) -> None:
        self.history.restart_clock()

    def poll(self) -> dict[str, str]:
        """alertname -> inactive/pending/firing; every transition (rule and alert) goes to the history."""
        self.rules = self.prom.rules()
        self.history.record(self.rules)
        return {rule.name: rule.state for rule in self.rules}

    def notifications(self) -> list[Notification]:
        """Taps (one per notification a receiver was sent) since the clock started."""
        return [n for n in self.sink.taps() if n.received_at >= self.history.started_wall - 1]

    def active(self, exp: AlertExpectation) -> list[str]:
        """States of the alerts matching ``exp`` that the rule manager holds now (pending/firing)."""
        held = self.held(exp)
        return [a.state for r in self.rules if r.name == exp.name for a in r.alerts if held.matches(a.labels)]

    def held(self, exp: AlertExpectation) -> AlertExpectation:
        """``exp`` as Prometheus's alert API shows alerts (without the labels set only on sending)."""
        return exp.held(self.sent_labels)

    def receivers_text(self) -> str:
        return receivers_text(self.notifications(), self.history.started_wall)

    def _firing_since(self, exp: AlertExpectation, rule: AlertRule) -> float | None:
        """When an alert matching ``exp`` began firing, on the scenario clock: its activeAt (when the rule
        manager saw it pending first) plus the rule's `for`, so an alert first looked at by a later check (after
        another alert's wait) is not dated by that check; None while none fires."""
        held = self.held(exp)
        began = [s for r in self.rules if r.name == exp.name for a in r.alerts
                 if a.state == "firing" and held.matches(a.labels) and (s := a.active_since) is not None]
        return min(began) + rule.for_seconds - self.history.started_wall if began else None

    def wait_fired(self, exp: AlertExpectation, rule: AlertRule, bound: Bound) -> FireResult:
        """Wait until an alert matching ``exp`` reached ``exp.receiver``; fail fast on wrong labels or
        a wrong receiver, and with the near misses when the bound passes."""
        firing_at: float | None = None
        while True:
            self.poll()
            elapsed = self.history.elapsed()
            if firing_at is None:
                firing_at = self._firing_since(exp, rule)
            check_labels(self.held(exp), [a.labels for r in self.rules if r.name == exp.name for a in r.alerts
                               if a.state == "firing"], self.history)
            verdict = self._routing_verdict(exp)
            if verdict.complete:
                for delivery in verdict.first.values():
                    check_annotations(exp, delivery.note, delivery.alert)
                first = verdict.first[exp.receiver]
                latest = max(verdict.first[r].note.received_at for r in exp.receivers)
                return FireResult(exp.name, firing_at, latest - self.history.started_wall, bound, first.note.body,
                                  dict(first.alert.get("labels", {})))
            if elapsed > bound.seconds:
                raise ExpectationFailed(self._not_fired(exp, rule, bound, elapsed))
            time.sleep(self.interval)

    def _routing_verdict(self, exp: AlertExpectation) -> RoutingVerdict:
        """Judged as Alertmanager routes (notifications.RoutingVerdict); fails as soon as Alertmanager's own
        routing of the delivered labels shows the expectation cannot hold."""
        verdict = judge_routing(exp, [Delivery(n.receiver, n, alert) for n in self.notifications()
                                      if (alert := _delivered(n, exp, "firing")) is not None])
        delivered = verdict.any_delivery()
        if delivered is None or (verdict.complete and not exp.only):
            return verdict
        labels = dict(delivered.alert.get("labels", {}))
        problem = verdict.problem(self.routing.receivers(labels) if self.routing else None)
        if problem:
            raise ExpectationFailed(f"{problem}\n  alert labels: {labels}\n{self._routing_text(labels)}"
                                    f"{self.receivers_text()}")
        return verdict

    def _routing_text(self, labels: Mapping[str, str]) -> str:
        if self.routing is None:
            return ""
        return (f"  {self.routing.explain(labels)}\n{self.routing.suppression_text(labels)}"
                f"{self.routing.integrations_text()}")

    def _not_fired(self, exp: AlertExpectation, rule: AlertRule, bound: Bound, waited: float) -> str:
        others = self.history.other_label_sets(exp.name, self.held(exp).matches)
        seen = ("\n  other label sets of " + exp.name + ":\n    " + "\n    ".join(others)) if others else ""
        labels = {**dict(rule.labels), **exp.label_dict(), "alertname": exp.name}
        return (f"{exp.name} did not reach {names(exp.receivers)} within the bound {bound.explain()}"
                f" (waited {waited:.1f}s)\n  expected labels: {exp.label_dict()}\n"
                f"{rule_error(self.history, exp.name)}"
                f"  rule {rule.name} ({rule.file}): for {rule.for_seconds:g}s, labels {dict(rule.labels)}\n"
                f"  state history: {self.history.text(exp.name, exp.matches)}{seen}\n"
                f"{near_misses(self.prom, rule.expr)}\n{self._routing_text(labels)}{self.receivers_text()}")

    def wait_resolved(self, exp: AlertExpectation, bound: Bound, notification: bool) -> float:
        """Seconds (on the current clock) until no alert matches ``exp`` and, if ``notification``, the
        resolved notification reached ``exp.receiver``."""
        while True:
            self.poll()
            active = self.active(exp)
            resolved_note = all(any(n.receiver == r and _delivered(n, exp, "resolved") for n in self.notifications())
                                for r in exp.receivers)
            elapsed = self.history.elapsed()
            if not active and (resolved_note or not notification):
                return elapsed
            if elapsed > bound.seconds:
                raise ExpectationFailed(
                    f"{exp.name} did not resolve within {bound.explain()} (waited {elapsed:.1f}s): alerts still "
                    f"{active or 'inactive'}, resolved notification to {', '.join(exp.receivers)}: "
                    f"{'yes' if resolved_note else 'no'}\n{rule_error(self.history, exp.name)}"
                    f"  state history: {self.history.text(exp.name, exp.matches)}\n{self.receivers_text()}")
            time.sleep(self.interval)

    def _fired(self, unwanted: Callable[[str, Mapping[str, str]], bool],
               unwanted_held: Callable[[str, Mapping[str, str]], bool] | None = None) -> list[str]:
        return [text for _, text in self._fired_named(unwanted, unwanted_held)]

    def _fired_named(self, unwanted: Callable[[str, Mapping[str, str]], bool],
                     unwanted_held: Callable[[str, Mapping[str, str]], bool] | None = None) -> list[tuple[str, str]]:
        """(alertname, what happened): ``unwanted`` judges the alerts Alertmanager got, ``unwanted_held``
        (default: the same) those Prometheus holds."""
        self.poll()
        held = unwanted_held or unwanted
        found = [(name, f"{name}{show_labels(key)} fired: {self.history.steps_text(steps)}")
                 for name, key, steps in self.history.fired_since(0.0)
                 if name not in self.background and held(name, dict(key))]
        found += [(name, f"notification {n.show()} {show_labels(label_key(a.get('labels', {})))}")
                  for n in self.notifications() for a in n.firing_alerts()
                  if (name := a.get("labels", {}).get("alertname", "?")) not in self.background
                  and unwanted(name, a.get("labels", {}))]
        return found

    def unexplained(self, expected: set[str]) -> list[tuple[str, str]]:
        """(alertname, what happened) of every alert not named in ``expected`` that fired or was notified
        since the clock started."""
        return self._fired_named(lambda name, labels: name not in expected)

    def others(self, expected: Sequence[AlertExpectation]) -> list[str]:
        """Alerts matching none of ``expected`` that fired or were notified since the clock started (by bare
        names: ``unexplained``)."""
        held = [self.held(e) for e in expected]
        return self._fired(lambda name, labels: not any(e.name == name and e.matches(labels) for e in expected),
                           lambda name, labels: not any(e.name == name and e.matches(labels) for e in held))

    def fired_of(self, names: Sequence[str]) -> list[str]:
        """Alerts named in ``names`` that fired or were notified since the clock started."""
        return self._fired(lambda name, labels: name in names)
