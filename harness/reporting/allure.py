"""Allure: every phase is a step (failed with the phase's exception), evidence is attached, parameters are
set on the test; a scenario's concerns become its suites and features, its expected alerts' severity the
test's severity, their runbooks links, and each expected alert's timeline a PNG. Fault events (which may
come from timer threads) are not Allure's: the runner attaches the fault states on the scenario's thread."""

from __future__ import annotations

import json
from typing import Any

import allure

from harness.events import (
    AlertTimeline,
    Attachment,
    Event,
    Events,
    Parameter,
    PhaseFinished,
    PhaseStarted,
    ScenarioDescribed,
    Screenshot,
)
from harness.reporting import timeline

PARENT_SUITE = "obsdrill acceptance"
# the scenario's highest expected severity -> Allure's; none expected (or another): minor
SEVERITIES = {"critical": allure.severity_level.CRITICAL, "warning": allure.severity_level.NORMAL}
NO_SEVERITY = allure.severity_level.MINOR


def attach(name: str, body: Any) -> None:
    """Attach text as text, anything else as JSON."""
    text = body if isinstance(body, str) else json.dumps(body, indent=2, default=str)
    kind = allure.attachment_type.TEXT if isinstance(body, str) else allure.attachment_type.JSON
    allure.attach(text, name=name, attachment_type=kind)


def labels(event: ScenarioDescribed) -> list[tuple[str, str]]:
    """(Allure label, value) of the scenario: its suite is its first concern, a feature per concern, a
    story per expected alert, the severity."""
    out = [("parentSuite", PARENT_SUITE), ("suite", event.concerns[0]), ("epic", PARENT_SUITE)]
    out += [("feature", concern) for concern in event.concerns]
    out += [("story", alert) for alert in event.alerts]
    return [*out, ("severity", SEVERITIES.get(event.severity, NO_SEVERITY).value)]


def describe(event: ScenarioDescribed) -> None:
    for name, value in labels(event):
        allure.dynamic.label(name, value)
    for alert, url in event.runbooks:
        allure.dynamic.link(url, name=f"runbook {alert}")


class AllureReporter:
    def __init__(self) -> None:
        self._steps: list[Any] = []

    def subscribe(self, events: Events) -> None:
        events.subscribe(self.handle, PhaseStarted, PhaseFinished, Attachment, Parameter, ScenarioDescribed,
                         AlertTimeline, Screenshot)

    def handle(self, event: Event) -> None:
        if isinstance(event, PhaseStarted):
            step = allure.step(event.title)
            step.__enter__()
            self._steps.append(step)
        elif isinstance(event, PhaseFinished):
            error = event.error
            self._steps.pop().__exit__(type(error) if error else None, error,
                                       error.__traceback__ if error else None)
        elif isinstance(event, Attachment):
            attach(event.name, event.body)
        elif isinstance(event, Parameter):
            allure.dynamic.parameter(event.name, event.value)
        elif isinstance(event, ScenarioDescribed):
            describe(event)
        elif isinstance(event, Screenshot):
            allure.attach(event.png, name=event.name, attachment_type=allure.attachment_type.PNG)
        elif isinstance(event, AlertTimeline):
            allure.attach(timeline.png(event), name=f"timeline of {event.alert}",
                          attachment_type=allure.attachment_type.PNG)
