"""Notification assertions per receiver: email subject and recipients, Slack channel and title,
PagerDuty events, grouping (one firing notification per Alertmanager group) and runbook links on
critical alerts. A failure lists what every integration did receive."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from harness.assertions.wait import eventually
from harness.bounds import Bound
from harness.clients.sink import Notification, SinkClient
from harness.errors import ExpectationFailed
from harness.scenario.model import NotificationExpectation


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
    if not _firing_taps(exp, notes):
        problems.append(f"{exp.receiver}: no firing notification at all")
    return problems


def negative_problems(exp: NotificationExpectation, notes: Sequence[Notification]) -> list[str]:
    """What arrived and must not have (checked once everything expected is there)."""
    problems = _pagerduty_problems(exp, notes) if exp.pagerduty is False else []
    taps = _firing_taps(exp, notes)
    if exp.one_per_group:
        counts = Counter(n.group_key for n in taps)
        problems += [f"{exp.receiver}: group {key} got {count} firing notifications, expected one per group"
                     for key, count in counts.items() if count > 1]
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


def assert_notifications(sink: SinkClient, exp: NotificationExpectation, within: Bound,
                         since: float) -> list[Notification]:
    """Wait until every expected integration of ``exp.receiver`` got its message, then check grouping,
    PagerDuty absence and runbook links. ``since``: wall-clock start of the scenario."""
    latest: list[Notification] = []

    def arrived() -> list[Notification] | None:
        latest[:] = [n for n in sink.all() if n.received_at >= since]
        return None if positive_problems(exp, latest) else list(latest)

    def near_miss() -> str:
        return "  " + "\n  ".join(positive_problems(exp, latest)) + "\n" + received_text(latest, since)

    notes, _ = eventually(arrived, within, f"notifications of receiver {exp.receiver}", near_miss)
    problems = negative_problems(exp, notes)
    if problems:
        raise ExpectationFailed("notifications of receiver " + exp.receiver + ":\n  " + "\n  ".join(problems)
                                + "\n" + received_text(notes, since))
    return notes
