"""Allure: every phase is a step (failed with the phase's exception), evidence is attached, parameters are
set on the test. Fault events (which may come from timer threads) are not Allure's: the runner attaches the
fault states on the scenario's thread."""

from __future__ import annotations

import json
from typing import Any

import allure

from harness.events import Attachment, Event, Events, Parameter, PhaseFinished, PhaseStarted


def attach(name: str, body: Any) -> None:
    """Attach text as text, anything else as JSON."""
    text = body if isinstance(body, str) else json.dumps(body, indent=2, default=str)
    kind = allure.attachment_type.TEXT if isinstance(body, str) else allure.attachment_type.JSON
    allure.attach(text, name=name, attachment_type=kind)


class AllureReporter:
    def __init__(self) -> None:
        self._steps: list[Any] = []

    def subscribe(self, events: Events) -> None:
        events.subscribe(self.handle, PhaseStarted, PhaseFinished, Attachment, Parameter)

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
