"""Schema-valid scenario documents -> frozen models. Durations become seconds (``auto`` becomes None)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness import durations
from harness.assertions.errortracking import ErrorExpectation
from harness.load import DEFAULT_JOURNEYS, LoadProfile
from harness.scenario.model import (
    AlertExpectation,
    BurnExpectation,
    EmailExpectation,
    Expect,
    Fault,
    LogExpectation,
    MetricCheck,
    NotificationExpectation,
    Recovery,
    Rollback,
    Scenario,
    SlackExpectation,
    SteadyState,
    TraceExpectation,
)


def seconds(value: Any, where: str) -> float | None:
    """Seconds of a scenario duration; None for absent or ``auto``."""
    if value is None or value == "auto":
        return None
    return durations.parse(value, where)


def _fixed(value: Any, default: float, where: str) -> float:
    parsed = seconds(value, where)
    return default if parsed is None else parsed


def _labels(doc: dict[str, Any] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in (doc or {}).items()))


def _fault(doc: dict[str, Any], where: str) -> Fault:
    return Fault(doc["fault"], doc["service"], dict(doc.get("with") or {}),
                 after=_fixed(doc.get("after"), 0.0, f"{where}.after"),
                 duration=seconds(doc.get("duration"), f"{where}.duration"),
                 ramp=_fixed(doc.get("ramp"), 0.0, f"{where}.ramp"),
                 require_reached=bool(doc.get("require_reached", False)),
                 settle_within=_fixed(doc.get("settle_within"), 180.0, f"{where}.settle_within"))


def _queries(docs: list[dict[str, Any]] | None, where: str) -> tuple[MetricCheck, ...]:
    return tuple(MetricCheck(d["query"], seconds(d.get("within"), f"{where}[{i}].within"), bool(d.get("empty")))
                 for i, d in enumerate(docs or []))


def _alert(doc: dict[str, Any], where: str) -> AlertExpectation:
    receivers = [doc["receiver"]] if "receiver" in doc else list(doc["receivers"])
    return AlertExpectation(doc["name"], receivers[0], _labels(doc.get("labels")),
                            tuple(doc.get("annotations_present", [])), seconds(doc.get("within"), f"{where}.within"),
                            also=tuple(receivers[1:]), only=bool(doc.get("only", False)),
                            budget=seconds(doc.get("budget"), f"{where}.budget"))


def _notification(doc: dict[str, Any], where: str) -> NotificationExpectation:
    email, slack = doc.get("email"), doc.get("slack")
    return NotificationExpectation(
        receiver=doc["receiver"],
        email=EmailExpectation(email["subject"], tuple(email.get("to", []))) if email else None,
        slack=SlackExpectation(slack["channel"], slack.get("title")) if slack else None,
        pagerduty=doc.get("pagerduty"), per_group=doc.get("per_group", 1 if doc.get("one_per_group") else None),
        runbook_url=bool(doc.get("runbook_url", False)), within=seconds(doc.get("within"), f"{where}.within"))


def _expect(doc: dict[str, Any]) -> Expect:
    logs, traces = doc.get("logs"), doc.get("traces")
    graph = traces.get("service_graph") if traces else None
    return Expect(
        alerts=tuple(_alert(a, f"expect.alerts[{i}]") for i, a in enumerate(doc.get("alerts", []))),
        not_firing=tuple(doc.get("not_firing", [])), no_other_alerts=doc.get("no_other_alerts", True),
        reconcile=doc.get("reconcile"), dashboards=bool(doc.get("dashboards", False)),
        errors=tuple(ErrorExpectation(e["type"], e["service"], e.get("min_events", 1), e.get("issues", 1),
                                      e.get("new_issue_alert", True), e.get("trace_in_jaeger", True))
               for e in doc.get("errors", [])),
        error_budget=tuple(BurnExpectation(str(name), b.get("min_burn"), b.get("max_burn"))
                           for name, b in (doc.get("error_budget") or {}).items()),
        observe=_fixed(doc.get("observe"), 0.0, "expect.observe"),
        metrics=_queries(doc.get("metrics"), "expect.metrics"),
        logs=None if logs is None else LogExpectation(
            logs.get("correlated", True), logs.get("sample", 10), seconds(logs.get("within"), "expect.logs.within")),
        traces=None if traces is None else TraceExpectation(
            traces.get("one_trace_per_request", False),
            None if graph is None else tuple(sorted((str(a), str(b)) for a, b in graph)),
            traces.get("sample", 10), seconds(traces.get("within"), "expect.traces.within")),
        notifications=tuple(_notification(n, f"expect.notifications[{i}]")
                            for i, n in enumerate(doc.get("notifications", []))))


def _load(doc: dict[str, Any] | None) -> LoadProfile | None:
    if doc is None:
        return None
    wait = doc.get("wait_seconds", [0.2, 0.5])
    journeys = tuple(doc["journeys"].items()) if "journeys" in doc else DEFAULT_JOURNEYS
    return LoadProfile(users=doc.get("users", 5), spawn_rate=doc.get("spawn_rate", 5.0), wait_min=wait[0],
                       wait_max=wait[1], target=doc.get("target", "gateway"), journeys=journeys,
                       workers=doc.get("workers", 0), browsers=doc.get("browsers", 0))


def build(doc: dict[str, Any], path: Path) -> Scenario:
    steady = doc.get("steady_state", {})
    recovery = doc.get("recovery", {})
    return Scenario(
        name=doc["name"], path=path, description=doc.get("description", ""), tags=tuple(doc.get("tags", [])),
        method=tuple(_fault(f, f"method[{i}]") for i, f in enumerate(doc["method"])),
        expect=_expect(doc["expect"]),
        load=_load(doc.get("load")),
        steady_state=SteadyState(_fixed(steady.get("hold"), 10.0, "steady_state.hold"),
                                 _queries(steady.get("metrics"), "steady_state.metrics"),
                                 steady.get("no_alerts", True)),
        rollback=Rollback(tuple(doc.get("rollback", {}).get("heal", []))),
        background_alerts=tuple(doc.get("background_alerts", [])),
        resources=tuple(doc.get("resources", [])),
        recovery=Recovery(bool(recovery.get("alerts_resolved", True)), recovery.get("resolved_notification", True),
                          seconds(recovery.get("within"), "recovery.within"),
                          _queries(recovery.get("metrics"), "recovery.metrics"),
                          tuple(resolved) if isinstance(resolved := recovery.get("alerts_resolved"), list) else None),
    )
