"""Error tracking checked on the real tracker (Bugsink, read through its API): an exception burst of one type in
one service is one issue with at least N events (the tracker grouped them), no more issues of that type; the
latest event carries the run's environment, the service's release, a stack trace down to the frame that
raised, the request it was serving and a trace id that Jaeger holds with a span of that service; and the
tracker's new-issue alert for it reached the harness's receiver."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from harness.assertions.wait import eventually
from harness.bounds import Bound
from harness.clients.bugsink import BugsinkClient, Issue
from harness.clients.jaeger import JaegerClient
from harness.clients.sink import SinkClient
from harness.errors import ExpectationFailed

TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
ALERT_KIND, ALERT_RECEIVER = "bugsink", "new-issue"


@dataclass(frozen=True)
class ErrorExpectation:
    type: str  # the exception's type
    service: str
    min_events: int = 1
    issues: int = 1  # how many issues of that type and service (1: the burst was grouped)
    new_issue_alert: bool = True
    trace_in_jaeger: bool = True  # a page's error carries the browser SDK's own trace id, which no backend saw

    def describe(self) -> str:
        return f"{self.type} in {self.service}: {self.issues} issue(s), >= {self.min_events} event(s)"


def issues_of(client: BugsinkClient, exp: ErrorExpectation) -> list[Issue]:
    return [i for i in client.issues() if i.type == exp.type and any(r.startswith(f"{exp.service}@")
                                                                       for r in i.releases)]


def event_problems(data: dict[str, Any], exp: ErrorExpectation, environment: str) -> list[str]:
    """What the stored event lacks of what an event of this burst must carry."""
    problems = []
    if data.get("environment") != environment:
        problems.append(f"environment {data.get('environment')!r}, not {environment!r}")
    if not str(data.get("release") or "").startswith(f"{exp.service}@"):
        problems.append(f"release {data.get('release')!r}, not {exp.service}@<version>")
    values = (data.get("exception") or {}).get("values") or [{}]
    frames = (values[-1].get("stacktrace") or {}).get("frames") or []
    if not frames:
        problems.append("no stack trace")
    if not (data.get("request") or {}).get("url"):
        problems.append("no request data (url)")
    trace_id = str(((data.get("contexts") or {}).get("trace") or {}).get("trace_id") or "")
    if not TRACE_ID.match(trace_id):
        problems.append(f"no trace id in contexts.trace ({trace_id!r})")
    return problems


def _grouped(client: BugsinkClient, exp: ErrorExpectation, bound: Bound) -> Issue:
    """The one issue the burst became, once it holds at least min_events events."""
    seen: list[list[Issue]] = [[]]

    def grouped() -> list[Issue] | None:
        seen[0] = issues_of(client, exp)
        return seen[0] if len(seen[0]) >= exp.issues and sum(i.events for i in seen[0]) >= exp.min_events else None

    found, _ = eventually(grouped, bound, f"Bugsink holds {exp.describe()}",
                          lambda: "issues of that type: " + ("; ".join(i.show() for i in seen[0]) or "none") +
                          "\nall issues: " + ("; ".join(i.show() for i in client.issues()) or "none"))
    if len(found) != exp.issues:
        raise ExpectationFailed(f"{exp.describe()}: Bugsink split the burst into {len(found)} issues: "
                                + "; ".join(i.show() for i in found))
    return found[0]


def _joined(jaeger: JaegerClient, trace_id: str, issue: Issue, exp: ErrorExpectation, bound: Bound) -> str:
    trace, _ = eventually(lambda: jaeger.trace(trace_id), bound,
                          f"Jaeger holds the trace {trace_id} of {issue.friendly_id}'s event")
    if exp.service not in trace.services():
        raise ExpectationFailed(f"the trace {trace_id} of {issue.friendly_id}'s event has no span of "
                                f"{exp.service}: {trace.services()}")
    return f"Jaeger: trace {trace_id} through {', '.join(trace.services())}"


def _alerted(sink: SinkClient, issue: Issue, bound: Bound) -> str:
    alerts, _ = eventually(lambda: [n for n in sink.of_kind(ALERT_KIND, ALERT_RECEIVER)
                                    if isinstance(n.body, dict) and n.body.get("id") == issue.id], bound,
                           f"Bugsink's new-issue alert for {issue.friendly_id} reached the receiver")
    return f"new-issue alert: {alerts[0].body.get('alert_reason')} {alerts[0].body.get('title')}"


def assert_error_tracked(client: BugsinkClient, jaeger: JaegerClient | None, sink: SinkClient,
                         exp: ErrorExpectation, environment: str, bound: Bound) -> tuple[list[str], Issue]:
    """Waits until the tracker holds the burst as expected; the lines that show it (for the report) and the
    issue."""
    issue = _grouped(client, exp, bound)
    data = dict(client.event(str(client.events(issue.id)[0]["id"])).get("data") or {})
    problems = event_problems(data, exp, environment)
    if problems:
        raise ExpectationFailed(f"{exp.describe()}: the event of {issue.friendly_id} " + "; ".join(problems))
    trace_id, request = str(data["contexts"]["trace"]["trace_id"]), data["request"]
    lines = [f"{issue.show()}, release {data.get('release')}, environment {data.get('environment')}",
             f"latest event {data.get('event_id')}: {request.get('method')} {request['url']}, trace {trace_id}"]
    if jaeger is not None and exp.trace_in_jaeger:
        lines.append(_joined(jaeger, trace_id, issue, exp, bound))
    if exp.new_issue_alert:
        lines.append(_alerted(sink, issue, bound))
    return lines, issue
