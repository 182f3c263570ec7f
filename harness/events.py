"""The events of a scenario run and the registry subscribers register with (locust-style): the runner only
runs and emits; console, Allure and result.json (harness/reporting/) each subscribe to what they report.

Events are frozen dataclasses. Fault events may be emitted from the method's timer threads; every other
event comes from the scenario's thread. A subscriber's exception propagates to the emitter (a report that
cannot be written is an error, not a silence)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from harness.bounds import Bound


@dataclass(frozen=True)
class Event:
    """Base of every event."""


@dataclass(frozen=True)
class ScenarioStarted(Event):
    scenario: str
    time_factor: float


@dataclass(frozen=True)
class ScenarioFinished(Event):
    scenario: str
    passed: bool
    failure: str
    seconds: float


@dataclass(frozen=True)
class PhaseStarted(Event):
    """A phase or check of the run (an Allure step); ``title`` says what it checks and by when."""

    title: str


@dataclass(frozen=True)
class PhaseFinished(Event):
    title: str
    error: BaseException | None = None


@dataclass(frozen=True)
class Message(Event):
    """A line of progress for the console (no prefix: the printer adds it)."""

    text: str


@dataclass(frozen=True)
class Screenshot(Event):
    """Evidence: a PNG of what a user sees (the frontend's page, the error tracker's issue)."""

    name: str
    png: bytes


@dataclass(frozen=True)
class Attachment(Event):
    """Evidence: text as text, anything else as JSON."""

    name: str
    body: Any


@dataclass(frozen=True)
class Parameter(Event):
    name: str
    value: str


@dataclass(frozen=True)
class BoundComputed(Event):
    """The deadline of one check; ``alert`` and ``kind`` ('fire' | 'resolve') when it is an alert's."""

    what: str
    bound: Bound
    alert: str = ""
    kind: str = ""


@dataclass(frozen=True)
class FaultInjected(Event):
    """A fault was switched on (``action`` 'injected') or reported its target reached ('reached');
    ``at_s``: seconds since the method started."""

    fault: str
    service: str
    describe: str
    at_s: float
    action: str = "injected"
    state: Any = None


@dataclass(frozen=True)
class FaultCleared(Event):
    """A fault was switched off: after its ``duration`` ('cleared', 'healed (restarted)') or by the
    rollback ('rolled back')."""

    fault: str
    service: str
    describe: str
    at_s: float
    action: str = "cleared"
    state: Any = None


@dataclass(frozen=True)
class AlertFired(Event):
    """An expected alert reached its receiver (times on the scenario's clock, from the injection)."""

    alert: str
    receiver: str
    firing_after: float | None
    notified_after: float
    bound: Bound


@dataclass(frozen=True)
class AlertResolved(Event):
    """An expected alert resolved (``after``: seconds from the start of the rollback)."""

    alert: str
    after: float
    bound: Bound


@dataclass(frozen=True)
class ScenarioDescribed(Event):
    """What a scenario is about, for the report's suites and links (harness/scenario/classify.py):
    ``concerns`` (first = its suite), the highest ``severity`` of its expected alerts ('' none), each
    expected alert's ``runbooks`` (alert, runbook_url) from the rendered rules, and its ``alerts``."""

    scenario: str
    concerns: tuple[str, ...]
    severity: str
    runbooks: tuple[tuple[str, str], ...] = ()
    alerts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Series:
    """One series of a query over time: its labels as text, epoch seconds and values."""

    labels: str
    times: tuple[float, ...]
    values: tuple[float, ...]


@dataclass(frozen=True)
class AlertTimeline(Event):
    """An expected alert over the scenario, for its picture (harness/reporting/timeline.py): the rule's
    PromQL left-hand side over time against its threshold, the fault windows (start, end or None, what), the
    alert's states (time, state), each notification (time, receiver, status) and the deadlines (what, time).
    Every time is epoch seconds; ``origin`` is the injection."""

    alert: str
    query: str
    op: str
    threshold: float | None
    origin: float
    series: tuple[Series, ...] = ()
    faults: tuple[tuple[float, float | None, str], ...] = ()
    states: tuple[tuple[float, str], ...] = ()
    notifications: tuple[tuple[float, str, str], ...] = ()
    deadlines: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class AlertCertified(Event):
    """The equivalence certificate of one expected alert (harness/scenario/certifying.py): ``holds`` None when
    it was skipped (``detail`` says why); ``seconds``: what the promtool run took (the whole certificate)."""

    alert: str
    holds: bool | None
    detail: str
    seconds: float


@dataclass(frozen=True)
class Reconciled(Event):
    """Per journey, method, route and status, the requests the load made and what each pillar counted
    (harness/assertions/reconcile.py Table.as_dict())."""

    table: dict[str, Any]


@dataclass(frozen=True)
class BudgetConsumed(Event):
    """Per objective of slo/objectives.yml, what the scenario spent of its error budget
    (harness/slo/budget.py Consumed.as_dict())."""

    objectives: tuple[dict[str, Any], ...]


E = TypeVar("E", bound=Event)
Handler = Callable[[Any], None]


class Events:
    """The registry: ``subscribe(handler, *types)`` (no types: every event), ``emit(event)``."""

    def __init__(self) -> None:
        self._handlers: list[tuple[tuple[type[Event], ...], Handler]] = []
        self._lock = threading.Lock()

    def subscribe(self, handler: Callable[[E], None], *types: type[E]) -> None:
        with self._lock:
            self._handlers.append((types or (Event,), handler))

    def emit(self, event: Event) -> None:
        with self._lock:
            handlers = [h for types, h in self._handlers if isinstance(event, types)]
        for handler in handlers:
            handler(event)

    def say(self, text: str) -> None:
        self.emit(Message(text))

    def attach(self, name: str, body: Any) -> None:
        self.emit(Attachment(name, body))

    @contextmanager
    def phase(self, title: str) -> Iterator[None]:
        """PhaseStarted, the body, PhaseFinished (with the body's exception, re-raised)."""
        self.emit(PhaseStarted(title))
        try:
            yield
        except BaseException as exc:
            self.emit(PhaseFinished(title, exc))
            raise
        self.emit(PhaseFinished(title))
