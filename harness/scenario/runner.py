"""Run one scenario on a started stack: load -> steady state -> method -> expectations -> rollback (always)
-> recovery. Each phase is an Allure step; deadlines (term by term), PromQL results, fault states,
notification payloads, log documents and trace summaries are attached."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

import allure

from harness import background as bg
from harness import bounds
from harness.assertions.alerts import AlertWatch
from harness.assertions.metrics import assert_query_eventually
from harness.assertions.notifications import predicted
from harness.errors import ConfigError, ExpectationFailed
from harness.load import LoadRun
from harness.routing import Routing
from harness.scenario.check import scenario_problems
from harness.scenario.expect import ExpectPhase
from harness.scenario.method import FaultSchedule
from harness.scenario.model import MetricCheck, Scenario
from harness.scenario.result import ScenarioResult, attach
from harness.scenario.stackapi import StackApi

__all__ = ["ScenarioResult", "ScenarioRunner"]


class ScenarioRunner:
    def __init__(self, stack: StackApi, log: Callable[[str], None] = print) -> None:
        self.stack = stack
        self.log = log
        self.config = stack.rendered()
        self.slack = stack.settings.slack_seconds

    def missing(self, scenario: Scenario) -> list[str]:
        """Components the scenario needs that this stack does not run (each with where it is needed)."""
        needs = [(f"method[{i}].service", f.service) for i, f in enumerate(scenario.method)]
        needs += [("load.target", scenario.load.target)] if scenario.load else []
        return [f"{where}: this stack does not run {name!r}" for where, name in needs if not self.stack.has(name)]

    def fitted(self, scenario: Scenario) -> Scenario:
        """The scenario without the log/trace expectations this stack cannot check (a core stack runs no
        Elasticsearch or Jaeger); what is left out is said in the output and attached to the report."""
        dropped = {"logs": "elasticsearch", "traces": "jaeger"}
        left_out = {key: name for key, name in dropped.items()
                    if getattr(scenario.expect, key) is not None and not self.stack.has(name)}
        if not left_out:
            return scenario
        note = "; ".join(f"expect.{key} not checked: this stack runs no {name} ({self.stack.settings.stack_mode} "
                         f"mode)" for key, name in left_out.items())
        self.log(f"[obsdrill]   {note}")
        attach("expectations left out", note)
        expect = scenario.expect
        if "logs" in left_out:
            expect = dataclasses.replace(expect, logs=None)
        if "traces" in left_out:
            expect = dataclasses.replace(expect, traces=None)
        return dataclasses.replace(scenario, expect=expect)

    def check(self, scenario: Scenario) -> None:
        """Static checks against the loaded config and this stack, before anything is injected."""
        problems = scenario_problems(scenario, self.config.rules, self.config.receivers)
        problems += [f"{scenario.path}: {p}" for p in self.missing(scenario)]
        if problems:
            raise ConfigError("\n".join(problems))

    def run(self, scenario: Scenario) -> ScenarioResult:
        self.check(scenario)
        scenario = self.fitted(scenario)
        started = time.monotonic()
        result = ScenarioResult(scenario.name, self.config.timing.factor, log=self.log)
        self.log(f"[obsdrill] scenario {scenario.name}: time factor {self.config.timing.factor}")
        self._attach_config()
        self.stack.reset()
        since_wall = time.time()
        background = bg.names(self.config, scenario.background_alerts)  # always on: out of settle and others
        routing = Routing(self.stack.alertmanager)  # Alertmanager's own routing, told before the fault
        attach("routing (Alertmanager, amtool)", predicted(scenario.alerts, self.config, routing, self.log))
        self._settle(background)
        watch = AlertWatch(self.stack.prometheus, self.stack.sink, routing=routing, background=background,
                           sent_labels=frozenset(self.config.sent_labels))
        schedule = FaultSchedule(self.stack, self.log)
        load = self._load(scenario)
        try:
            self._steady_state(scenario, watch, result)
            try:
                self._method(scenario, watch, schedule)
                ExpectPhase(self.stack, watch, schedule, result, load, self.log).run(scenario)
            finally:
                self._rollback(scenario, schedule, result, watch)
            self._recover(scenario, watch, result)
            self._heartbeats(routing, background, since_wall)
        except ExpectationFailed as exc:
            attach("failure with near misses", str(exc))
            raise
        finally:
            if load is not None:
                result.load = load.stop()
                load.close()
            result.seconds = time.monotonic() - started
            attach("timings and bounds", result.summary())
        return result

    def _heartbeats(self, routing: Routing, background: frozenset[str], since: float) -> None:
        """Each background alert's heartbeat reached its receivers at its repeat_interval, and still does."""
        beats = bg.heartbeats(self.config, routing, background, self.slack)
        if not beats:
            return
        with allure.step(f"background alerts: heartbeat of {', '.join(b.name for b in beats)}"):
            attach("background alerts", [b.explain for b in beats])
            problems = [p for b in beats for p in b.problems(self.stack.sink.all(), since, time.time())]
            if problems:
                raise ExpectationFailed("\n".join(problems))

    def _settle(self, background: frozenset[str] = frozenset()) -> None:
        """Alerts left over from an earlier scenario (one that failed before its recovery, say) resolve first:
        wait, at most the longest resolve bound of the rules, until no rule is pending or firing."""
        bound = max((bounds.resolve_bound(r, self.config.timing, self.slack).seconds for r in self.config.rules),
                    default=0.0)
        started = time.monotonic()
        with allure.step(f"settle: no alert pending or firing (at most {bound:.1f}s)"):
            while True:
                busy = {k: v for k, v in self.stack.prometheus.rule_states().items()
                        if v != "inactive" and k not in background}
                waited = time.monotonic() - started
                if not busy:
                    if waited > 1:
                        self.log(f"[obsdrill]   waited {waited:.1f}s for alerts left over from before to resolve")
                    return
                if waited > bound:
                    raise ExpectationFailed(f"the stack did not settle before the scenario: {busy} still active "
                                            f"after {waited:.1f}s (the longest resolve bound of the rules is "
                                            f"{bound:.1f}s); left over from an earlier scenario or run?")
                time.sleep(1.0)

    def _attach_config(self) -> None:
        directory = self.config.directory
        for rel in ("prometheus/prometheus.yml", "alertmanager/alertmanager.yml"):
            if (directory / rel).is_file():
                attach(f"rendered {rel}", (directory / rel).read_text())
        for path in sorted((directory / "prometheus").glob("*rules*.yml")):
            attach(f"rendered {path.name}", path.read_text())
        attach("files the config references (copied or stood in for)", list(self.config.copied) or ["none"])

    def _load(self, scenario: Scenario) -> LoadRun | None:
        if scenario.load is None:
            return None
        with allure.step(f"start load: {scenario.load.describe()}"):
            return LoadRun(scenario.load, self.stack.url(scenario.load.target)).start()

    def _metric(self, check: MetricCheck, where: str, result: ScenarioResult) -> None:
        computed = bounds.metric_bound(check.query, self.config.timing, self.slack)
        bound = result.bound(f"{where} {check.query}", bounds.choose(check.within, f"{where}.within", computed))
        with allure.step(f"PromQL {check.query} within {bound.seconds:.1f}s"):
            samples, waited = assert_query_eventually(self.stack.prometheus, check.query, bound, check.empty)
            attach(f"PromQL {check.query}", [s.show() for s in samples] + [f"after {waited:.1f}s",
                                                                            f"bound {bound.explain()}"])

    def _steady_state(self, scenario: Scenario, watch: AlertWatch, result: ScenarioResult) -> None:
        steady = scenario.steady_state
        with allure.step(f"steady state: metrics as expected, no alert for {steady.hold:g}s"):
            for i, check in enumerate(steady.metrics):
                self._metric(check, f"steady_state.metrics[{i}]", result)
            time.sleep(steady.hold)
            errors = self.stack.prometheus.rule_errors()
            if errors:
                attach("rules failing to evaluate before any fault", errors)
            if steady.no_alerts:
                others = watch.others(set())
                if others:
                    raise ExpectationFailed("steady state broken before any fault: " + "; ".join(others))

    def _method(self, scenario: Scenario, watch: AlertWatch, schedule: FaultSchedule) -> None:
        watch.restart_clock()
        with allure.step(f"method: {len(scenario.method)} fault(s)"):
            for fault in scenario.method:
                allure.dynamic.parameter(f"fault {fault.fault}", fault.describe())
            try:
                schedule.start(scenario.method)
            finally:
                for event in schedule.events:
                    attach(f"{event['action']} {event['fault']} on {event['service']}: fault state", event)
        if any(f.require_reached for f in scenario.method):
            # deadlines count from the moment every such fault reported its target reached (a memory ramp
            # can take a minute); the state history before it is kept, with negative times
            watch.restart_clock()
            self.log("[obsdrill]   every required fault reached its target: deadlines count from now")

    def _rollback(self, scenario: Scenario, schedule: FaultSchedule, result: ScenarioResult,
                  watch: AlertWatch) -> None:
        # recovery deadlines count from the start of rollback: undoing a fault can take seconds (freeing 20 GB
        # of memory, restarting a container) and the alert may resolve while it is still under way
        watch.restart_clock()
        with allure.step("rollback: clear every fault, restart crashed services"):
            done = schedule.rollback(scenario.services(), scenario.rollback.heal)
            result.faults = list(schedule.events)
            attach("fault timeline", result.faults)
            attach("rollback", done)
            for line in done:
                self.log(f"[obsdrill]   rollback {line}")

    def _recover(self, scenario: Scenario, watch: AlertWatch, result: ScenarioResult) -> None:
        recovery = scenario.recovery
        if recovery.alerts_resolved:
            for exp in scenario.expect.alerts:
                computed = bounds.resolve_bound(self.config.rule(exp.name), self.config.timing, self.slack).plus(
                    "fault ramp", max((f.ramp for f in scenario.method), default=0.0))
                bound = result.bound(f"{exp.describe()} resolves",
                                     bounds.choose(recovery.within, "recovery.within", computed))
                with allure.step(f"recovery: {exp.describe()} resolves within {bound.seconds:.1f}s"):
                    seconds = watch.wait_resolved(exp, bound, recovery.resolved_notification)
                    result.resolved[exp.describe()] = {"after_s": round(seconds, 1),
                                                       "bound_s": round(bound.seconds, 1)}
                    self.log(f"[obsdrill]   {exp.describe()} resolved after {seconds:.1f}s "
                             f"(bound {bound.explain()})")
                    attach(f"{exp.describe()} resolved notification",
                           [n.body for n in watch.notifications() if n.status == "resolved"])
        for i, check in enumerate(recovery.metrics):
            self._metric(check, f"recovery.metrics[{i}]", result)
