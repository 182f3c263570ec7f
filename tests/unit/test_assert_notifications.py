"""Notification assertions per receiver: email subject/recipients, Slack channel/title, PagerDuty,
one notification per group, runbook links on critical alerts."""

from __future__ import annotations

import time

import pytest

from harness.assertions.expectations import EmailExpectation, NotificationExpectation, SlackExpectation
from harness.assertions.notifications import assert_notifications, negative_problems, positive_problems
from harness.bounds import Bound
from harness.clients.sink import Notification, SinkClient
from harness.errors import ExpectationFailed
from tests.unit.fake_http import FakeSink, labels, serve

CRITICAL = NotificationExpectation(
    "critical-alerts", EmailExpectation("[CRITICAL] HighErrorRate", ("devops@recoloca.ai", "cto@recoloca.ai")),
    SlackExpectation("#alerts-critical", "Critical Alert: HighErrorRate"), pagerduty=False, per_group=1,
    runbook_url=True)


def _tap(status: str, group: str, *alerts: dict) -> Notification:
    body = {"status": status, "groupKey": group, "alerts": [{"status": status, **a} for a in alerts]}
    return Notification("tap", "critical-alerts", time.time(), body)


def _delivered() -> list[Notification]:
    alert = labels("HighErrorRate", severity="critical", service="backend")
    alert["annotations"]["runbook_url"] = "https://runbooks.recoloca.ai/high-error-rate"
    return [_tap("firing", "g1", alert),
            Notification("email", "", time.time(), "text", "[CRITICAL] HighErrorRate",
                         ("devops@recoloca.ai", "cto@recoloca.ai")),
            Notification("slack", "critical-alerts", time.time(),
                         {"channel": "#alerts-critical", "attachments": [{"title": "Critical Alert: HighErrorRate"}]})]


def test_everything_as_expected_has_no_problem() -> None:
    notes = _delivered()
    assert positive_problems(CRITICAL, notes) == [] and negative_problems(CRITICAL, notes) == []


def test_wrong_recipients_title_and_missing_integrations_are_named() -> None:
    notes = _delivered()
    notes[1] = Notification("email", "", time.time(), "text", "[CRITICAL] HighErrorRate", ("devops@recoloca.ai",))
    notes[2] = Notification("slack", "critical-alerts", time.time(),
                            {"channel": "#alerts-critical", "attachments": [{"title": "Warning: HighErrorRate"}]})
    assert positive_problems(CRITICAL, notes) == [
        "critical-alerts: no email with subject '[CRITICAL] HighErrorRate' to devops@recoloca.ai, cto@recoloca.ai",
        "critical-alerts: no Slack message to #alerts-critical titled 'Critical Alert: HighErrorRate'"]
    assert positive_problems(CRITICAL, []) [-1] == "critical-alerts: no firing notification at all"


def test_grouping_pagerduty_and_runbook_problems() -> None:
    notes = _delivered()
    no_runbook = labels("ServiceDown", severity="critical", job="recoloca-payments")
    notes += [_tap("firing", "g1", labels("HighErrorRate", severity="critical", service="backend")),
              _tap("firing", "g2", no_runbook),
              Notification("pagerduty", "critical-alerts", time.time(), {"event_action": "trigger"})]
    problems = negative_problems(CRITICAL, notes)
    assert "critical-alerts: 1 PagerDuty event(s), expected none" in problems
    grouped = next(p for p in problems if "group g1 got 2 firing notifications, expected one per group" in p)
    assert grouped.startswith("critical-alerts: group g1")
    assert "\n    notification 2: grouped by nothing (one group): HighErrorRate{service=backend, severity=critical}" \
        in grouped.replace('"', "")
    assert any(p.startswith("critical-alerts: critical alert ServiceDown") and "no runbook_url" in p
               for p in problems)


def test_per_group_waits_for_as_many_firing_notifications_as_it_says_and_no_more() -> None:
    """A restarted Alertmanager has lost its notification log: per_group 2 is the page and the one it sends
    again for the alert Prometheus re-sent."""
    again = _tap("firing", "g1", labels("HighErrorRate", severity="critical", service="backend"))
    twice = NotificationExpectation("critical-alerts", per_group=2)
    assert positive_problems(twice, _delivered()) == [
        "critical-alerts: group g1 got 1 of its 2 firing notifications so far"]
    assert positive_problems(twice, [*_delivered(), again]) == []
    assert negative_problems(twice, [*_delivered(), again]) == []
    [problem] = negative_problems(twice, [*_delivered(), again, again])
    assert problem.startswith("critical-alerts: group g1 got 3 firing notifications, expected 2 per group")


def test_a_split_group_says_which_alerts_came_together_and_by_what() -> None:
    """group_by narrowed to [alertname]: two notifications of one group key say their group labels."""
    first = _tap("firing", "g1", labels("HighErrorRate", severity="critical", service="backend"),
                 labels("HighErrorRate", severity="critical", service="gateway"))
    second = _tap("firing", "g1", labels("HighErrorRate", severity="critical", service="payments"))
    for note in (first, second):
        note.body["groupLabels"] = {"alertname": "HighErrorRate"}
    problem = next(p for p in negative_problems(CRITICAL, [first, second]) if "group g1" in p).replace('"', "")
    assert problem.splitlines()[1:] == [
        "    notification 1: grouped by alertname=HighErrorRate: HighErrorRate{service=backend, severity=critical}, "
        "HighErrorRate{service=gateway, severity=critical}",
        "    notification 2: grouped by alertname=HighErrorRate: HighErrorRate{service=payments, severity=critical}"]


def test_assert_notifications_waits_then_lists_what_arrived() -> None:
    sink = FakeSink()
    with serve(sink.routes()) as url:
        client = SinkClient(url)
        sink.add("email", subject="[CRITICAL] Other", rcpt_tos=["devops@recoloca.ai"], body="x")
        with pytest.raises(ExpectationFailed) as failure:
            assert_notifications(client, CRITICAL, Bound.of(0.3), since=0)
        text = str(failure.value)
        assert "notifications of receiver critical-alerts (bound 0.3s = within 0.3s): not seen after waiting" in text
        assert "email to devops@recoloca.ai subject '[CRITICAL] Other'" in text
        sink.records.clear()
        sink.tap("critical-alerts", "firing", {**labels("HighErrorRate", severity="critical"),
                                               "annotations": {"runbook_url": "u"}})
        sink.add("email", subject="[CRITICAL] HighErrorRate", rcpt_tos=["cto@recoloca.ai", "devops@recoloca.ai"])
        sink.add("slack", "critical-alerts", {"channel": "#alerts-critical",
                                              "attachments": [{"title": "Critical Alert: HighErrorRate"}]})
        assert len(assert_notifications(client, CRITICAL, Bound.of(2), since=0)) == 3
