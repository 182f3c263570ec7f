"""Run one scenario on a started stack: load -> steady state -> method -> expectations -> rollback (always)
-> recovery. The runner only runs and emits (harness/events.py): each phase is a PhaseStarted/PhaseFinished
pair, deadlines (term by term), PromQL results, fault states, notification payloads, log documents and trace
summaries are events; harness/reporting/ turns them into console lines, Allure steps and result.json."""

from __future__ import annotations

import dataclasses
import time

from harness import background as bg
from harness import bounds, reporting
from harness.assertions.alerts import AlertWatch
from harness.assertions.metrics import assert_query_eventually, baseline_report
from harness.assertions.notifications import predicted
from harness.errors import ConfigError, ExpectationFailed
from harness.events import AlertResolved, Events, Parameter, ScenarioFinished, ScenarioStarted
from harness.load import LoadRun
from harness.routing import Routing
from harness.scenario.budgeting import report_budgets
from harness.scenario.certifying import CertifyPhase
from harness.scenario.check import scenario_problems
from harness.scenario.classify import describe
from harness.scenario.expect import ExpectPhase
from harness.scenario.method import FaultSchedule
from harness.scenario.model import MetricCheck, Scenario
from harness.scenario.result import ScenarioResult
from harness.scenario.stackapi import StackApi
from harness.scenario.timeline import TimelineRecorder

__all__ = ["ScenarioResult", "ScenarioRunner"]


class ScenarioRunner:
    def __init__(self, stack: StackApi, events: Events | None = None, certify: bool = True) -> None:
        self.stack = stack
        self.events = events or reporting.standard()
        self.certify = certify  # False: no equivalence certificate (obsdrill mutate: it judges the verdict only)
        self.config = stack.rendered()
        self.deadlines = bounds.Deadlines(self.config.timing, stack.settings.slack_seconds)

    def missing(self, scenario: Scenario) -> list[str]:
        """Components the scenario needs that this stack does not run (each with where it is needed)."""
        needs = [(f"method[{i}].service", f.service) for i, f in enumerate(scenario.method)]
        needs += [("load.target", scenario.load.target)] if scenario.load else []
        absent = [f"{where}: this stack does not run {name!r}" for where, name in needs if not self.stack.has(name)]
        return absent + self.stack.cannot([(f"method[{i}]", f.fault) for i, f in enumerate(scenario.method)])

    def fitted(self, scenario: Scenario) -> Scenario:
        """The scenario without the log/trace expectations this stack cannot check (a core stack runs no
        Elasticsearch or Jaeger); what is left out is said in the output and attached to the report."""
        dropped = {"logs": "elasticsearch", "traces": "jaeger", "notifications": "sink"}
        left_out = {key: name for key, name in dropped.items()
                    if getattr(scenario.expect, key) not in (None, ()) and not self.stack.has(name)}
        if not left_out:
            return scenario
        note = "; ".join(f"expect.{key} not checked: this stack runs no {name} ({self.stack.settings.stack_mode} "
                         f"mode)" for key, name in left_out.items())
        self.events.say(note)
        self.events.attach("expectations left out", note)
        expect = scenario.expect
        if "logs" in left_out:
            expect = dataclasses.replace(expect, logs=None)
        if "traces" in left_out:
            expect = dataclasses.replace(expect, traces=None)
        if "notifications" in left_out:  # --stack external without a harness sink: routing is still judged
            expect = dataclasses.replace(expect, notifications=())
        return dataclasses.replace(scenario, expect=expect)

    def check(self, scenario: Scenario) -> None:
        """Static checks against the loaded config and this stack, before anything is injected."""
        problems = scenario_problems(scenario, self.config.rules, self.config.receivers)
        problems += [f"{scenario.path}: {p}" for p in self.missing(scenario)]
        if problems:
            raise ConfigError("\n".join(problems))

    def run(self, scenario: Scenario) -> ScenarioResult:
        """Run ``scenario``; ScenarioStarted/ScenarioFinished (with the verdict and failure) bracket it."""
        started = time.monotonic()
        self.events.emit(ScenarioStarted(scenario.name, self.config.timing.factor))
        result = ScenarioResult(scenario.name, self.config.timing.factor, events=self.events)
        try:
            self._run(scenario, result)
        except BaseException as exc:
            self.events.emit(ScenarioFinished(scenario.name, False, str(exc) or type(exc).__name__,
                                              time.monotonic() - started))
            raise
        self.events.emit(ScenarioFinished(scenario.name, True, "", time.monotonic() - started))
        return result

    def _run(self, scenario: Scenario, result: ScenarioResult) -> None:
        self.events.emit(describe(scenario, self.config.rules))  # suites, severity, runbook links
        self.check(scenario)
        scenario = self.fitted(scenario)
        started = time.monotonic()
        self._attach_config()
        self.stack.reset()
        since_wall = time.time()
        background = bg.names(self.config, scenario.background_alerts)  # always on: out of settle and others
        routing = Routing(self.stack.alertmanager)  # Alertmanager's own routing, told before the fault
        self.events.attach("routing (Alertmanager, amtool)",
                           predicted(scenario.alerts, self.config, routing, self.events.say))
        self._settle(background)
        settled_wall = time.time()  # the certificate's window: what an earlier scenario left is not this one's
        watch = AlertWatch(self.stack.prometheus, self.stack.sink, routing=routing, background=background,
                           sent_labels=frozenset(self.config.sent_labels))
        schedule = FaultSchedule(self.stack, self.events)
        timeline = TimelineRecorder(self.events, watch)  # one picture per expected alert, sent at the end
        load = self._load(scenario)
        try:
            self._steady_state(scenario, watch, result)
            try:
                self._method(scenario, watch, schedule)
                ExpectPhase(self.stack, watch, schedule, result, load, self.events).run(scenario)
            finally:
                self._rollback(scenario, schedule, result, watch)
            self._recover(scenario, watch, result)
            if self.certify:
                CertifyPhase(self.stack, self.events).run(scenario, settled_wall)
            self._heartbeats(routing, background, since_wall)
        except ExpectationFailed as exc:
            self.events.attach("failure with near misses", str(exc))
            raise
        finally:
            if load is not None:
                result.load = load.stop()
                load.close()
            report_budgets(self.stack, settled_wall, result, self.events)
            result.seconds = time.monotonic() - started
            self.events.attach("timings and bounds", result.summary())
            timeline.emit(scenario, {r.name: r for r in self.config.rules})

    def _heartbeats(self, routing: Routing, background: frozenset[str], since: float) -> None:
        """Each background alert's heartbeat reached its receivers at its repeat_interval, and still does."""
        beats = bg.heartbeats(self.config, routing, background, self.deadlines.slack)
        if not beats:
            return
        with self.events.phase(f"background alerts: heartbeat of {', '.join(b.name for b in beats)}"):
            self.events.attach("background alerts", [b.explain for b in beats])
            problems = [p for b in beats for p in b.problems(self.stack.sink.all(), since, time.time())]
            if problems:
                raise ExpectationFailed("\n".join(problems))

    def _settle(self, background: frozenset[str] = frozenset()) -> None:
        """Alerts left over from an earlier scenario (one that failed before its recovery, say) resolve first:
        wait, at most the longest resolve bound of the rules, until no rule is pending or firing."""
        bound = self.deadlines.settle(self.config.rules).seconds
        started = time.monotonic()
        with self.events.phase(f"settle: no alert pending or firing (at most {bound:.1f}s)"):
            while True:
                busy = {k: v for k, v in self.stack.prometheus.rule_states().items()
                        if v not in ("inactive", "unknown") and k not in background}  # unknown (3.8+): unevaluated
                waited = time.monotonic() - started
                if not busy:
                    if waited > 1:
                        self.events.say(f"waited {waited:.1f}s for alerts left over from before to resolve")
                    return
                if waited > bound:
                    raise ExpectationFailed(self._unsettled(busy, waited, bound))
                time.sleep(1.0)

    # --- issue 16: a rule active before any fault is named as firing at baseline, with its value ---
    def _unsettled(self, busy: dict[str, str], waited: float, bound: float) -> str:
        lines = [f"the stack did not settle before the scenario: {busy} still active after {waited:.1f}s (the "
                 f"longest resolve bound of the rules is {bound:.1f}s)"]
        for name, state in busy.items():
            expr = next((r.expr for r in self.config.rules if r.name == name), None)
            at_baseline, report = baseline_report(self.stack.prometheus, expr) if expr else (False, "")
            lines.append(f"  {name} is {state} at baseline, before any fault: {report}" if at_baseline else
                         f"  {name} is {state}, left over from an earlier scenario or run? {report}")
        return "\n".join(lines)
    # --- end issue 16 ---

    def _attach_config(self) -> None:
        directory = self.config.directory
        for rel in ("prometheus/prometheus.yml", "alertmanager/alertmanager.yml"):
            if (directory / rel).is_file():
                self.events.attach(f"rendered {rel}", (directory / rel).read_text())
        for path in sorted((directory / "prometheus").glob("*rules*.yml")):
            self.events.attach(f"rendered {path.name}", path.read_text())
        self.events.attach("files the config references (copied or stood in for)", list(self.config.copied) or ["none"])

    def _load(self, scenario: Scenario) -> LoadRun | None:
        if scenario.load is None:
            return None
        with self.events.phase(f"start load: {scenario.load.describe()}"):
            browsers = scenario.load.browsers
            frontend = self.stack.url("frontend") if browsers and self.stack.has("frontend") else None
            sink = self.stack.url("sink") if browsers and self.stack.has("sink") else None
            return LoadRun(scenario.load, self.stack.url(scenario.load.target), browser_url=frontend,
                           analytics_url=sink, sentry=self._page_sentry() if browsers else None).start()

    def _page_sentry(self) -> tuple[str, str] | None:
        """The page's DSN and environment when the run has Bugsink: its published address, the run's key."""
        if not self.stack.has("bugsink"):
            return None
        from harness.components.bugsink import ErrorTracking

        tracking = ErrorTracking.for_run(self.stack.run_id)
        return tracking.dsn_at(self.stack.url("bugsink")), ErrorTracking.environment(self.stack.run_id)

    def _metric(self, check: MetricCheck, where: str, result: ScenarioResult) -> None:
        computed = self.deadlines.metric(check.query)
        bound = result.bound(f"{where} {check.query}", bounds.choose(check.within, f"{where}.within", computed))
        with self.events.phase(f"PromQL {check.query} within {bound.seconds:.1f}s"):
            samples, waited = assert_query_eventually(self.stack.prometheus, check.query, bound, check.empty)
            self.events.attach(f"PromQL {check.query}", [s.show() for s in samples] + [
                f"after {waited:.1f}s", f"bound {bound.explain()}"])

    def _steady_state(self, scenario: Scenario, watch: AlertWatch, result: ScenarioResult) -> None:
        steady = scenario.steady_state
        with self.events.phase(f"steady state: metrics as expected, no alert for {steady.hold:g}s"):
            for i, check in enumerate(steady.metrics):
                self._metric(check, f"steady_state.metrics[{i}]", result)
            held_until = time.monotonic() + steady.hold
            while time.monotonic() < held_until:  # polled: an alert that fires and resolves in the hold is seen
                watch.poll()
                time.sleep(min(1.0, max(0.0, held_until - time.monotonic())))
            errors = self.stack.prometheus.rule_errors()
            if errors:
                self.events.attach("rules failing to evaluate before any fault", errors)
            if steady.no_alerts:
                others = watch.unexplained(set())
                if others:
                    raise ExpectationFailed(self._broken_steady_state(others))

    def _broken_steady_state(self, others: list[tuple[str, str]]) -> str:
        """What fired before any fault, each rule with its condition's values against its thresholds now."""
        lines = ["steady state broken before any fault: " + "; ".join(text for _, text in others)]
        for name in dict.fromkeys(name for name, _ in others):
            expr = next((r.expr for r in self.config.rules if r.name == name), None)
            if expr is not None:
                lines.append(f"  {name} at baseline: {baseline_report(self.stack.prometheus, expr)[1]}")
        return "\n".join(lines)

    def _method(self, scenario: Scenario, watch: AlertWatch, schedule: FaultSchedule) -> None:
        watch.restart_clock()
        with self.events.phase(f"method: {len(scenario.method)} fault(s)"):
            for fault in scenario.method:
                self.events.emit(Parameter(f"fault {fault.fault}", fault.describe()))
            try:
                schedule.start(scenario.method)
            finally:
                for event in list(schedule.timeline):
                    self.events.attach(f"{event['action']} {event['fault']} on {event['service']}: fault state",
                                       event)
        if any(f.require_reached for f in scenario.method):
            # deadlines count from the moment every such fault reported its target reached (a memory ramp
            # can take a minute); the state history before it is kept, with negative times
            watch.restart_clock()
            self.events.say("every required fault reached its target: deadlines count from now")

    def _rollback(self, scenario: Scenario, schedule: FaultSchedule, result: ScenarioResult,
                  watch: AlertWatch) -> None:
        # recovery deadlines count from the start of rollback: undoing a fault can take seconds (freeing 20 GB
        # of memory, restarting a container) and the alert may resolve while it is still under way
        watch.restart_clock()
        with self.events.phase("rollback: clear every fault, restart crashed services"):
            done = schedule.rollback(scenario.services(), scenario.rollback.heal)
            result.faults = list(schedule.timeline)
            self.events.attach("fault timeline", result.faults)
            self.events.attach("rollback", done)
            for line in done:
                self.events.say(f"rollback {line}")

    def _recover(self, scenario: Scenario, watch: AlertWatch, result: ScenarioResult) -> None:
        recovery = scenario.recovery
        if recovery.alerts_resolved:
            ramp = max((f.ramp for f in scenario.method), default=0.0)
            for exp in scenario.expect.alerts:
                computed = self.deadlines.recovery(self.config.rule(exp.name), ramp)
                left_out = None if recovery.within is not None else \
                    self.deadlines.beyond_reach(self.config.rule(exp.name), computed)
                if recovery.only is not None and exp.name not in recovery.only:
                    left_out = "not in recovery.alerts_resolved"
                if left_out:
                    self.events.say(f"recovery: {exp.describe()} left out: {left_out}")
                    result.resolved[exp.describe()] = {"left_out": left_out}
                    continue
                bound = result.bound(f"{exp.describe()} resolves",
                                     bounds.choose(recovery.within, "recovery.within", computed),
                                     alert=exp.describe(), kind="resolve")
                with self.events.phase(f"recovery: {exp.describe()} resolves within {bound.seconds:.1f}s"):
                    seconds = watch.wait_resolved(exp, bound, recovery.resolved_notification)
                    result.resolved[exp.describe()] = {"after_s": round(seconds, 1),
                                                       "bound_s": round(bound.seconds, 1)}
                    self.events.emit(AlertResolved(exp.describe(), seconds, bound))
                    self.events.attach(f"{exp.describe()} resolved notification",
                                       [n.body for n in watch.notifications() if n.status == "resolved"])
        for i, check in enumerate(recovery.metrics):
            self._metric(check, f"recovery.metrics[{i}]", result)
