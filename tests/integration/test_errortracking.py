"""Error tracking on the real Bugsink of the session stack: a burst of one exception in a handler is one
issue with every event grouped into it; a different exception type in the same handler becomes a second,
new issue, and each new issue's alert reaches the harness's receiver."""

from __future__ import annotations

import pytest

from harness.assertions.errortracking import ALERT_KIND, ALERT_RECEIVER
from harness.assertions.wait import eventually
from harness.bounds import Bound
from harness.clients.bugsink import Issue
from harness.facade import Obsdrill
from tests.integration.helpers import send

pytestmark = pytest.mark.stack
BURST = 6


def _burst(obsdrill: Obsdrill, kind: str) -> None:
    """BURST requests to the backend's /api/jobs, each raising a real ``kind`` inside the handler."""
    obsdrill.service("backend").set_fault("exceptions", {"rate": 1.0, "type": kind, "endpoint": "/api/jobs"})
    try:
        assert [send(obsdrill, "backend", "GET", "/api/jobs").status for _ in range(BURST)] == [500] * BURST
    finally:
        obsdrill.stack.heal("backend")


def _issues(obsdrill: Obsdrill, count: int, events: int) -> list[Issue]:
    """The project's issues, once there are ``count`` of them holding ``events`` events together."""
    bugsink = obsdrill.stack.bugsink

    def ready() -> list[Issue] | None:
        found = bugsink.issues()
        return found if len(found) >= count and sum(i.events for i in found) >= events else None

    issues, _ = eventually(ready, Bound.of(30), f"{count} Bugsink issue(s) with {events} events",
                           lambda: "issues: " + ("; ".join(i.show() for i in bugsink.issues()) or "none"))
    return issues


def test_a_burst_is_one_issue_and_another_exception_a_new_one(obsdrill: Obsdrill) -> None:
    if not obsdrill.stack.has("bugsink"):
        pytest.skip("this stack runs no Bugsink (core stack)")
    _burst(obsdrill, "ValueError")
    [first] = _issues(obsdrill, 1, BURST)
    assert (first.type, first.events) == ("ValueError", BURST), first.show()
    _burst(obsdrill, "KeyError")
    issues = _issues(obsdrill, 2, 2 * BURST)
    assert sorted((i.type, i.events) for i in issues) == [("KeyError", BURST), ("ValueError", BURST)], \
        [i.show() for i in issues]
    assert next(i for i in issues if i.type == "ValueError").id == first.id  # the first one grew no further
    sink = obsdrill.stack.sink

    def alerted() -> set[str] | None:
        ids = {n.body.get("id") for n in sink.of_kind(ALERT_KIND, ALERT_RECEIVER) if isinstance(n.body, dict)}
        return ids if {i.id for i in issues} <= ids else None

    eventually(alerted, Bound.of(30), "Bugsink's new-issue alert (its webhook) for each issue at the receiver")
