"""Run each mutant: its changed file alone in a config dir, layered over the config under test
(harness/layers.py), put into one running stack per mode (core unless it needs logs/traces) by a reload
(Stack.reconfigure: no restart per mutant), through the ScenarioRunner that `obsdrill run` uses; the
scenarios that touch it run until one fails. A time budget caps the run: what it did not reach is said,
never counted."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from harness import layers, schedule
from harness.config import load_source
from harness.errors import ConfigError, InfrastructureError, ObsdrillError, StackError
from harness.events import Events
from harness.mutate.mutant import Mutant
from harness.mutate.selection import Plan
from harness.runtime import Runtime
from harness.scenario import certifying
from harness.scenario.model import Scenario
from harness.scenario.runner import ScenarioRunner
from harness.settings import Settings
from harness.stack import Stack

T = TypeVar("T")
KILLED, UNNAMED, SURVIVED, NOT_COVERED, NOT_RUN, STILLBORN, BROKEN = (
    "killed", "killed without naming it", "survived", "not covered", "not run", "stillborn", "error")


@dataclass(frozen=True)
class Fate:
    mutant: Mutant
    fate: str
    scenario: str = ""  # the one that killed it (or, for a survivor, the first that should have)
    message: str = ""  # the failure (first lines), or why it survived / was not run
    tried: tuple[str, ...] = ()
    seconds: float = 0.0
    kept: str = ""  # the earlier result.json this fate was kept from (--resume); '' when judged in this run


def mode_of(mutant: Mutant) -> str:
    """The stack a mutant runs on: full when what it breaks shows only in logs and traces."""
    return "full" if mutant.pillars else "core"


def mutant_dir(mutant: Mutant, base: Path, work: Path, cache: Path) -> Path:
    """The merged config of ``mutant``: its one file over ``base`` (the config under test)."""
    own = work / re.sub(r"[^A-Za-z0-9_.-]+", "_", mutant.id)
    target = own / mutant.file
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(mutant.text)
    return layers.materialise(own, cache, shipped=base)


def _head(text: str, lines: int = 12) -> str:
    return "\n".join(text.splitlines()[:lines])


class Executor:
    """Owns the worker's stack (started on first use, stopped on exit; another mode's replaces it): every
    mutant and baseline run of this worker runs on it, each on its own config by a reload."""

    def __init__(self, settings: Settings, runtime: Runtime, work: Path, events: Callable[[], Events],
                 say: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.runtime = runtime
        self.work = work
        self.events = events
        self.say = say or (lambda text: print(text, flush=True))  # progress of a long run, line by line
        self.stacks: dict[str, Stack] = {}
        self.certify = certifying.asked_for()  # see asked_for: by default a mutant run is not certified

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        while self.stacks:
            self.stacks.popitem()[1].stop()

    def stack(self, mode: str, config: Path) -> Stack:
        """The running ``mode`` stack, on ``config`` (reloaded into it when it runs another one). One stack at
        a time: another mode's is stopped first (an idle full stack would take CPU from the running one)."""
        for other in [m for m in self.stacks if m != mode]:
            self.say(f"  stopping the {other} stack (next: {mode})")
            self.stacks.pop(other).stop()
        if mode not in self.stacks:
            self.say(f"  starting the {mode} stack every mutant of this mode runs on")
            self.stacks[mode] = Stack(self.settings.validated(config_dir=config, stack_mode=mode), self.runtime)
            self.stacks[mode].start()
        stack = self.stacks[mode]
        if stack.settings.config_dir != config:
            try:
                change = stack.reconfigure(config)
            except StackError as exc:  # Prometheus or Alertmanager refused it (they keep the old one loaded)
                raise ConfigError(str(exc)) from None
            said = [r.split(":", 1)[0] for r in change.rules] or list(change.diffs) or ["nothing changed"]
            self.say(f"  reloaded {config.name}: {', '.join(said)}")
            self._forget(stack)
        return stack

    def _forget(self, stack: Stack) -> None:
        """No notification of the previous mutant may reach this one's scenarios: Alertmanager still holds its
        alerts (a renamed label's alert until its endsAt) and would notify them later. A restart empties its
        alerts and notification log (tmpfs); the receivers are emptied after it."""
        stack.stack_fault("alertmanager", "restart", {})
        stack.sink.clear()

    def baseline(self, scenario: Scenario, mode: str) -> str | None:
        """Run ``scenario`` on the unmutated config on the ``mode`` stack: how it failed (None: it passed). A
        scenario that fails there kills every mutant and proves nothing."""
        stack = self.stack(mode, self.settings.config_dir)
        for _, failure in self._failures(stack, [scenario], f"baseline ({mode} stack, unmutated config)"):
            return None if failure is None else _head(failure, 4)
        return None

    def _failures(self, stack: Stack, scenarios: Sequence[Scenario], who: str) -> Iterator[tuple[Scenario, str | None]]:
        """Run each scenario in turn on ``stack``: it and how it failed (None: it passed). An infrastructure
        failure is not a scenario's: it ends the run."""
        for scenario in scenarios:
            self.say(f"  {who}: running {scenario.name}")
            try:
                with schedule.holding(scenario, self.settings.cache_dir / "locks"):  # host-wide ones alone
                    ScenarioRunner(stack, self.events(), certify=self.certify).run(scenario)
            except InfrastructureError:
                raise
            except (ObsdrillError, AssertionError) as exc:
                yield scenario, str(exc) or type(exc).__name__
                continue
            yield scenario, None

    def run(self, plan: Plan) -> Fate:
        mutant = plan.mutant
        if not plan.covered:
            return Fate(mutant, NOT_COVERED, message=plan.why)
        started = time.monotonic()
        try:
            config = mutant_dir(mutant, self.settings.config_dir, self.work, self.settings.cache_dir)
            load_source(config)
        except ConfigError as exc:
            return Fate(mutant, STILLBORN, message=f"the harness rejects it before any run: {_head(str(exc), 3)}")
        try:
            stack = self.stack(mode_of(mutant), config)
        except ConfigError as exc:
            self._restore(mutant)
            return Fate(mutant, STILLBORN, message=f"the stack rejects it: {_head(str(exc), 3)}")
        try:
            fate = self._run_scenarios(plan, stack)
        except InfrastructureError as exc:
            fate = Fate(mutant, BROKEN, message=f"the stack failed: {_head(str(exc), 4)}")
        return Fate(fate.mutant, fate.fate, fate.scenario, fate.message, fate.tried, time.monotonic() - started)

    def _restore(self, mutant: Mutant) -> None:
        """Back to the config under test after a mutant the servers refused (they kept the old one loaded)."""
        self.stack(mode_of(mutant), self.settings.config_dir)

    def _run_scenarios(self, plan: Plan, stack: Stack) -> Fate:
        mutant, tried = plan.mutant, []
        for scenario, failure in self._failures(stack, plan.scenarios, mutant.id):
            tried.append(scenario.name)
            if failure is not None:
                fate = KILLED if mutant.named_by(failure) else UNNAMED
                return Fate(mutant, fate, scenario.name, _head(failure), tuple(tried))
        return Fate(mutant, SURVIVED, plan.scenarios[0].name, f"every scenario passed ({plan.why})", tuple(tried))


def pool(jobs: Sequence[Callable[[Executor], T]], executors: Sequence[Executor]) -> list[T]:
    """Each job on the next free executor (a thread per executor, each with its own stacks); results in job
    order. Scenarios that touch the whole host still run alone: each run holds its host locks."""
    results: dict[int, T] = {}
    todo = list(enumerate(jobs))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work(executor: Executor) -> None:
        while not errors:
            with lock:
                if not todo:
                    return
                index, job = todo.pop(0)
            try:
                results[index] = job(executor)
            except BaseException as exc:  # an infrastructure failure ends the run, as with one executor
                errors.append(exc)
    # daemons: on SIGINT/SIGTERM the main thread tears the stacks down and exits; a worker mid-scenario
    # must not keep the process alive after that
    threads = [threading.Thread(target=work, args=(e,), name=f"mutate-{n}", daemon=True)
               for n, e in enumerate(executors)]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException as exc:
        errors.append(exc)  # no worker takes another job
        raise
    if errors:
        raise errors[0]
    return [results[i] for i in range(len(jobs))]


def run_all(plans: list[Plan], executors: Executor | Sequence[Executor], budget_s: float,
            judged: list[Fate] | None = None) -> list[Fate]:
    """Every plan while the time budget lasts, on the executors in parallel; the rest are NOT_RUN (not covered
    ones are cheap). Fates in plan order; each is also appended to ``judged`` as soon as it is known (what
    an interrupted run writes)."""
    started = time.monotonic()

    def job(plan: Plan) -> Callable[[Executor], Fate]:
        def run(executor: Executor) -> Fate:
            spent = time.monotonic() - started
            if plan.covered and spent > budget_s:
                fate = Fate(plan.mutant, NOT_RUN, message=f"time budget {budget_s / 60:g} min spent "
                            f"({spent / 60:.1f} min)", tried=())
            else:
                fate = executor.run(plan)
                executor.say(f"{fate.mutant.id}: {fate.fate}" + (f" by {fate.scenario}" if fate.scenario else "")
                             + f" ({fate.seconds:.0f}s)")
            if judged is not None:
                judged.append(fate)
            return fate
        return run
    return pool([job(p) for p in plans], [executors] if isinstance(executors, Executor) else executors)
