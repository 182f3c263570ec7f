"""The event registry and its subscribers: typed subscriptions, phases that carry their exception, the
console lines (the only place with the "[obsdrill]" prefix), Allure steps and result.json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.bounds import Bound
from harness.events import (
    AlertFired,
    AlertResolved,
    Attachment,
    BoundComputed,
    Event,
    Events,
    FaultCleared,
    FaultInjected,
    Message,
    PhaseFinished,
    PhaseStarted,
    ScenarioFinished,
    ScenarioStarted,
)
from harness.reporting import ConsolePrinter, ResultFile, standard
from harness.reporting import allure as allure_reporting

FIRE = Bound((("range window", 30.0), ("for", 12.0), ("slack", 1.0)))
RESOLVE = Bound((("range window", 30.0), ("group_interval", 1.0)))
ALERT = "HighErrorRate{service=backend,severity=critical}"


def _run(events: Events, passed: bool = True) -> None:
    events.emit(ScenarioStarted("error-burst", 0.1))
    events.emit(FaultInjected("http_errors", "backend", "http_errors on backend {'rate': 0.2}", 0.0))
    events.emit(BoundComputed(f"{ALERT} fires", FIRE, ALERT, "fire"))
    events.emit(AlertFired(ALERT, "critical-alerts", 14.2, 15.04, FIRE))
    events.emit(FaultCleared("http_errors", "backend", "http_errors on backend {'rate': 0.2}", 20.3, "rolled back"))
    events.emit(BoundComputed(f"{ALERT} resolves", RESOLVE, ALERT, "resolve"))
    if passed:
        events.emit(AlertResolved(ALERT, 9.96, RESOLVE))
    events.emit(ScenarioFinished("error-burst", passed, "" if passed else "HighErrorRate did not resolve", 40.04))


def test_subscribers_get_the_types_they_registered_for() -> None:
    events, messages, everything = Events(), [], []
    events.subscribe(messages.append, Message)
    events.subscribe(everything.append)
    events.say("hello")
    events.attach("evidence", {"a": 1})
    assert messages == [Message("hello")]
    assert everything == [Message("hello"), Attachment("evidence", {"a": 1})]


def test_a_phase_finishes_with_its_exception_and_reraises_it() -> None:
    events, seen = Events(), []
    events.subscribe(seen.append, PhaseStarted, PhaseFinished)
    with events.phase("fine"):
        pass
    error = ValueError("broken")
    with pytest.raises(ValueError, match="broken"), events.phase("failing"):
        raise error
    assert seen == [PhaseStarted("fine"), PhaseFinished("fine"), PhaseStarted("failing"),
                    PhaseFinished("failing", error)]


def test_console_prints_each_event_with_the_prefix() -> None:
    lines: list[str] = []
    events = Events()
    ConsolePrinter(lines.append).subscribe(events)
    _run(events)
    events.say("rollback backend: faults cleared")
    assert lines == [
        "[obsdrill] scenario error-burst: time factor 0.1",
        "[obsdrill]   injected http_errors on backend {'rate': 0.2}",
        f"[obsdrill]   deadline {ALERT} fires: 43.0s = range window 30s + for 12s + slack 1s",
        f"[obsdrill]   {ALERT} reached critical-alerts after 15.0s (bound 43.0s = range window 30s + for 12s + "
        "slack 1s)",
        f"[obsdrill]   deadline {ALERT} resolves: 31.0s = range window 30s + group_interval 1s",
        f"[obsdrill]   {ALERT} resolved after 10.0s (bound 31.0s = range window 30s + group_interval 1s)",
        "[obsdrill]   rollback backend: faults cleared",
    ]  # the rollback's own fault events are said by its rollback lines


def test_result_json_has_every_scenario_alert_and_fault(tmp_path: Path) -> None:
    path = tmp_path / "reports" / "result.json"
    events = Events()
    ResultFile(path).subscribe(events)
    _run(events)
    _run(events, passed=False)
    document = json.loads(path.read_text())
    first, second = document["scenarios"]
    assert (first["scenario"], first["passed"], first["failure"], first["seconds"]) == ("error-burst", True, "", 40.0)
    assert first["alerts"][ALERT] == {
        "receiver": "critical-alerts", "fired_after_s": 14.2, "notified_after_s": 15.0, "resolved_after_s": 10.0,
        "fire_bound": {"seconds": 43.0, "terms": {"range window": 30.0, "for": 12.0, "slack": 1.0},
                       "explain": FIRE.explain()},
        "resolve_bound": {"seconds": 31.0, "terms": {"range window": 30.0, "group_interval": 1.0},
                          "explain": RESOLVE.explain()}}
    assert first["faults"] == [{"fault": "http_errors", "service": "backend",
                                "describe": "http_errors on backend {'rate': 0.2}", "injected_at_s": 0.0,
                                "reached_at_s": None, "cleared_at_s": 20.3, "cleared_by": "rolled back"}]
    assert (second["passed"], second["failure"]) == (False, "HighErrorRate did not resolve")
    assert second["alerts"][ALERT]["resolved_after_s"] is None


class FakeStep:
    def __init__(self, title: str, log: list[Any]) -> None:
        self.title, self.log = title, log

    def __enter__(self) -> None:
        self.log.append(("enter", self.title))

    def __exit__(self, kind: Any, value: Any, tb: Any) -> None:
        self.log.append(("exit", self.title, kind))


def test_allure_gets_nested_steps_with_their_failure_and_attachments(monkeypatch: pytest.MonkeyPatch) -> None:
    log: list[Any] = []
    monkeypatch.setattr(allure_reporting.allure, "step", lambda title: FakeStep(title, log))
    monkeypatch.setattr(allure_reporting.allure, "attach",
                        lambda text, name, attachment_type: log.append(("attach", name, text)))
    events = Events()
    allure_reporting.AllureReporter().subscribe(events)
    with pytest.raises(KeyError), events.phase("outer"), events.phase("inner"):
        events.attach("payload", {"k": 1})
        events.attach("note", "text")
        raise KeyError("x")
    _run(events)  # no Allure calls for the console's and result.json's events
    assert log == [("enter", "outer"), ("enter", "inner"), ("attach", "payload", '{\n  "k": 1\n}'),
                   ("attach", "note", "text"), ("exit", "inner", KeyError), ("exit", "outer", KeyError)]


def test_standard_wires_console_allure_and_the_result_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    events = standard(result_file=tmp_path / "result.json")
    _run(events)
    assert "[obsdrill] scenario error-burst: time factor 0.1" in capsys.readouterr().out
    assert json.loads((tmp_path / "result.json").read_text())["scenarios"][0]["passed"] is True


def test_events_are_frozen() -> None:
    event: Event = Message("x")
    with pytest.raises(AttributeError):
        event.text = "y"  # type: ignore[attr-defined]
