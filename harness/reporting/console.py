"""The console printer: every line of progress a run prints. The "[obsdrill]" prefix lives here only."""

from __future__ import annotations

from collections.abc import Callable

from harness.events import (
    AlertCertified,
    AlertFired,
    AlertResolved,
    BoundComputed,
    Event,
    Events,
    FaultCleared,
    FaultInjected,
    Message,
    ScenarioStarted,
)
from harness.progress import PREFIX

DETAIL = f"{PREFIX}   "
ROLLED_BACK = "rolled back"  # the rollback prints its own lines (a Message per service)


def line(event: Event) -> str | None:
    """The console line of ``event``, or None for events the console does not show."""
    if isinstance(event, ScenarioStarted):
        return f"{PREFIX} scenario {event.scenario}: time factor {event.time_factor}"
    if isinstance(event, Message):
        return DETAIL + event.text
    if isinstance(event, BoundComputed):
        return f"{DETAIL}deadline {event.what}: {event.bound.explain()}"
    if isinstance(event, (FaultInjected, FaultCleared)) and event.action != ROLLED_BACK:
        return f"{DETAIL}{event.action} {event.describe}"
    if isinstance(event, AlertFired):
        return (f"{DETAIL}{event.alert} reached {event.receiver} after {event.notified_after:.1f}s "
                f"(bound {event.bound.explain()})")
    if isinstance(event, AlertResolved):
        return f"{DETAIL}{event.alert} resolved after {event.after:.1f}s (bound {event.bound.explain()})"
    if isinstance(event, AlertCertified):
        verdict = {None: "certificate skipped", True: "certificate holds", False: "certificate FAILS"}[event.holds]
        cost = f" (promtool {event.seconds:.1f}s)" if event.holds is not None else f": {event.detail}"
        return f"{DETAIL}{event.alert}: {verdict}{cost}"
    return None


class ConsolePrinter:
    def __init__(self, write: Callable[[str], None] = print) -> None:
        self.write = write

    def subscribe(self, events: Events) -> None:
        events.subscribe(self.handle)

    def handle(self, event: Event) -> None:
        text = line(event)
        if text is not None:
            self.write(text)
