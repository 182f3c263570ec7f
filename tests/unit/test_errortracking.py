"""Error tracking without a tracker: the exceptions fault raises a real exception in the handler (500, logged
with its stack), a service without SENTRY_DSN sends nothing, and the check of a stored event names what the
event lacks."""

from __future__ import annotations

from typing import Any

from harness.assertions.errortracking import ErrorExpectation, event_problems
from harness.clients.bugsink import Issue
from synthetic_services.errortracking import ErrorTracker
from tests.conftest import Start

TRACE = "0af7651916cd43dd8448eb211c80319c"
EXP = ErrorExpectation("ValueError", "backend", min_events=5)


def test_the_exceptions_fault_raises_in_the_handler_of_its_endpoint(start: Start) -> None:
    backend = start("backend")
    backend.fault("exceptions", {"rate": 1.0, "type": "KeyError", "endpoint": "/api/jobs"})
    assert backend.call("GET", "/api/jobs").status_code == 500
    assert backend.call("GET", "/api/status").status_code == 200  # another endpoint is untouched
    line = next(x for x in backend.logs() if x.get("event") == "error")
    assert line["error_type"] == "KeyError" and "raise_for" in line["stack"] and "sentry_event_id" not in line
    assert backend.sample("http_requests_total", method="GET", endpoint="/api/jobs", status_code="500") == 1


def test_no_dsn_no_error_tracking() -> None:
    tracker = ErrorTracker("backend", "1.0.0", {})
    assert not tracker.enabled and tracker.capture(ValueError("x"), "GET", "http://b/x", {}) is None


def _event(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "environment": "obsdrill-r1", "release": "backend@1.0.0", "request": {"url": "http://backend/api/jobs"},
        "contexts": {"trace": {"trace_id": TRACE}},
        "exception": {"values": [{"type": "ValueError", "stacktrace": {"frames": [{"function": "raise_for"}]}}]}}
    return {**event, **overrides}


def test_an_event_without_what_the_burst_carries_is_named() -> None:
    assert event_problems(_event(), EXP, "obsdrill-r1") == []
    problems = event_problems(_event(release="gateway@1.0.0", request={}, contexts={},
                                     exception={"values": [{"type": "ValueError"}]}), EXP, "obsdrill-r2")
    assert problems == ["environment 'obsdrill-r1', not 'obsdrill-r2'",
                        "release 'gateway@1.0.0', not backend@<version>", "no stack trace", "no request data (url)",
                        "no trace id in contexts.trace ('')"]


def test_issues_are_read_with_their_releases() -> None:
    issue = Issue.from_json({"id": "u1", "friendly_id": "RECOLOCA-1", "calculated_type": "ValueError",
                             "calculated_value": "could not serve /api/jobs", "digested_event_count": 6,
                             "events_at": ["backend@1.0.0"]})
    assert issue.releases == ("backend@1.0.0",) and issue.show() == (
        "RECOLOCA-1 ValueError: could not serve /api/jobs (6 events)")


def test_the_runs_dsn_in_the_network_and_at_a_published_port() -> None:
    from harness.components.bugsink import ErrorTracking

    tracking = ErrorTracking.for_run("r1")
    assert tracking == ErrorTracking.for_run("r1") and len(tracking.token) == 40 and len(tracking.key) == 32
    assert tracking.dsn == f"http://{tracking.key}@bugsink:8000/1"
    assert tracking.dsn_at("http://127.0.0.1:41234") == f"http://{tracking.key}@127.0.0.1:41234/1"
    env = tracking.container_env("http://bugsink:8000", "http://sink:8080/bugsink/new-issue")
    assert (env["BUGSINK_TOKEN"], env["BUGSINK_PROJECT_KEY"]) == (tracking.token, tracking.key)
