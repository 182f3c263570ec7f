"""Notification assertions per receiver: email subject and recipients, Slack channel and title,
PagerDuty events, grouping (one firing notification per Alertmanager group) and runbook links on
critical alerts. A failure lists what every integration did receive."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from harness.assertions.expectations import AlertExpectation, NotificationExpectation
from harness.assertions.history import label_key, show_labels
from harness.assertions.wait import eventually
from harness.bounds import Bound
from harness.clients.sink import Notification, SinkClient
from harness.errors import ConfigError, ExpectationFailed
from harness.render import RenderedConfig
from harness.routing import Routing, alert_labels, names


@dataclass(frozen=True)
class Delivery:
    """One firing alert matching an expectation, as one receiver's recording tap got it."""

    receiver: str
    note: Notification
    alert: dict[str, Any]


@dataclass(frozen=True)
class RoutingVerdict:
    """Routing judged as Alertmanager routes: the expected receivers must all get the alert, whatever else
    also got it (``continue: true`` fans out); ``only`` adds "and nowhere else"."""

    exp: AlertExpectation
    first: dict[str, Delivery]  # receiver -> its first delivery

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(r for r in self.exp.receivers if r not in self.first)

    @property
    def elsewhere(self) -> tuple[str, ...]:
        return tuple(r for r in self.first if r not in self.exp.receivers)

    @property
    def complete(self) -> bool:
        return not self.missing

    def any_delivery(self) -> Delivery | None:
        return next(iter(self.first.values()), None)

    def problem(self, routed: tuple[str, ...] | None) -> str | None:
        """Why the expectation cannot hold any more, or None. ``routed``: Alertmanager's receivers for the
        delivered alert's labels (None when unknown: then only what the taps saw counts)."""
        exp = self.exp
        extra = tuple(dict.fromkeys([*self.elsewhere, *(r for r in routed or () if r not in exp.receivers)]))
        if exp.only and extra:
            return (f"{exp.name} was routed to {names(extra)} besides {names(exp.receivers)} "
                    f"(only: true: expected nowhere else)")
        never = [r for r in self.missing if routed is not None and r not in routed]
        if never and self.first:
            got = self.elsewhere or tuple(self.first)
            return f"{exp.name} was routed to {names(got)}, expected {', '.join(repr(r) for r in never)}"
        return None


def judge_routing(exp: AlertExpectation, deliveries: Sequence[Delivery]) -> RoutingVerdict:
    first: dict[str, Delivery] = {}
    for delivery in sorted(deliveries, key=lambda d: d.note.received_at):
        first.setdefault(delivery.receiver, delivery)
    return RoutingVerdict(exp, first)


def _email_problems(exp: NotificationExpectation, notes: Sequence[Notification]) -> list[str]:
    if exp.email is None:
        return []
    want = exp.email
    emails = [n for n in notes if n.kind == "email"]
    if any(n.subject == want.subject and (not want.to or set(n.recipients) == set(want.to)) for n in emails):
        return []
    to = f" to {', '.join(want.to)}" if want.to else ""
    return [f"{exp.receiver}: no email with subject {want.subject!r}{to}"]


def _slack_problems(exp: NotificationExpectation, notes: Sequence[Notification]) -> list[str]:
    if exp.slack is None:
        return []
    want = exp.slack
    slack = [n for n in notes if n.kind == "slack" and n.receiver == exp.receiver and isinstance(n.body, dict)]
    if any(n.body.get("channel") == want.channel and (want.title is None or n.slack_title() == want.title)
           for n in slack):
        return []
    title = f" titled {want.title!r}" if want.title is not None else ""
    return [f"{exp.receiver}: no Slack message to {want.channel}{title}"]


def _pagerduty_problems(exp: NotificationExpectation, notes: Sequence[Notification]) -> list[str]:
    events = [n for n in notes if n.kind == "pagerduty" and n.receiver == exp.receiver]
    if exp.pagerduty is True and not events:
        return [f"{exp.receiver}: no PagerDuty event"]
    if exp.pagerduty is False and events:
        return [f"{exp.receiver}: {len(events)} PagerDuty event(s), expected none"]
    return []


def _firing_taps(exp: NotificationExpectation, notes: Sequence[Notification]) -> list[Notification]:
    return [n for n in notes if n.kind == "tap" and n.receiver == exp.receiver and n.status == "firing"]


def positive_problems(exp: NotificationExpectation, notes: Sequence[Notification]) -> list[str]:
    """What has not arrived yet (worth waiting for)."""
    problems = _email_problems(exp, notes) + _slack_problems(exp, notes)
    if exp.pagerduty is True:
        problems += _pagerduty_problems(exp, notes)
    taps = _firing_taps(exp, notes)
    if not taps:
        problems.append(f"{exp.receiver}: no firing notification at all")
    if exp.per_group is not None and exp.per_group > 1:
        problems += [f"{exp.receiver}: group {key} got {count} of its {exp.per_group} firing notifications so far"
                     for key, count in Counter(n.group_key for n in taps).items() if count < exp.per_group]
    return problems


def negative_problems(exp: NotificationExpectation, notes: Sequence[Notification]) -> list[str]:
    """What arrived and must not have (checked once everything expected is there)."""
    problems = _pagerduty_problems(exp, notes) if exp.pagerduty is False else []
    taps = _firing_taps(exp, notes)
    if exp.per_group is not None:
        most = "one" if exp.per_group == 1 else str(exp.per_group)
        counts = Counter(n.group_key for n in taps)
        problems += [f"{exp.receiver}: group {key} got {count} firing notifications, expected {most} per group"
                     + grouped_text([n for n in taps if n.group_key == key])
                     for key, count in counts.items() if count > exp.per_group]
    if exp.runbook_url:
        for note in taps:
            for alert in note.firing_alerts():
                labels, annotations = alert.get("labels", {}), alert.get("annotations", {})
                if labels.get("severity") == "critical" and not annotations.get("runbook_url"):
                    problems.append(f"{exp.receiver}: critical alert {labels.get('alertname')} {labels} has no "
                                    f"runbook_url annotation (annotations: {sorted(annotations)})")
    return problems


def received_text(notes: Sequence[Notification], since: float) -> str:
    lines = [f"    {n.show()} at {n.received_at - since:+.1f}s" for n in notes]
    return "  integrations got:\n" + ("\n".join(lines) if lines else "    (nothing)")


def grouped_text(notes: Sequence[Notification]) -> str:
    """Which alerts arrived together in each notification, and the group_by labels that made the group."""
    lines = []
    for i, note in enumerate(notes, 1):
        alerts = ", ".join(a.get("labels", {}).get("alertname", "?") + show_labels(label_key(_own(a)))
                           for a in note.firing_alerts())
        grouped = ", ".join(f"{k}={v}" for k, v in sorted(note.group_labels.items())) or "nothing (one group)"
        lines.append(f"\n    notification {i}: grouped by {grouped}: {alerts or '(no firing alert)'}")
    return "".join(lines)


def _own(alert: dict[str, Any]) -> dict[str, str]:
    """An alert's labels without its name (shown beside it)."""
    return {k: v for k, v in alert.get("labels", {}).items() if k != "alertname"}


def assert_notifications(sink: SinkClient, exp: NotificationExpectation, within: Bound,
                         since: float, routing: Routing | None = None) -> list[Notification]:
    """Wait until every expected integration of ``exp.receiver`` got its message, then check grouping,
    PagerDuty absence and runbook links. ``since``: wall-clock start of the scenario. ``routing``: what
    Alertmanager's integrations reported goes into the failure (a template that did not render)."""
    latest: list[Notification] = []

    def arrived() -> list[Notification] | None:
        latest[:] = [n for n in sink.all() if n.received_at >= since]
        return None if positive_problems(exp, latest) else list(latest)

    def near_miss() -> str:
        said = routing.integrations_text() if routing is not None else ""
        return "  " + "\n  ".join(positive_problems(exp, latest)) + "\n" + said + received_text(latest, since)

    notes, _ = eventually(arrived, within, f"notifications of receiver {exp.receiver}", near_miss)
    problems = negative_problems(exp, notes)
    if problems:
        raise ExpectationFailed("notifications of receiver " + exp.receiver + ":\n  " + "\n  ".join(problems)
                                + "\n" + received_text(notes, since))
    return notes


def predicted(alerts: Sequence[AlertExpectation], config: RenderedConfig, routing: Routing,
              log: Callable[[str], None]) -> list[str]:
    """Before any fault: where Alertmanager will send each expected alert's labels (logged, and returned
    for the report); a route that cannot reach the expected receivers is said now."""
    lines = []
    for exp in alerts:
        try:
            rule = config.rule(exp.name)
        except ConfigError:
            rule = None
        labels = alert_labels(exp.name, rule, exp.labels, config.external_labels)
        routes = routing.receivers(labels)
        line = routing.explain(labels)
        if routes is not None and not set(exp.receivers) <= set(routes):
            line += f" (the scenario expects {names(exp.receivers)}: labels from the expression may still route it)"
        log(f"  {line}")
        lines.append(line)
    return lines
