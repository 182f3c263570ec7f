"""Run one scenario on a started stack: steady state -> method -> expectations -> rollback (always) ->
recovery. Each phase is an Allure step; payloads, PromQL results and timings are attached."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import allure

from harness import bounds, durations
from harness.assertions.alerts import AlertWatch, FireResult
from harness.assertions.metrics import assert_query_eventually
from harness.errors import ConfigError, ExpectationFailed
from harness.load import LoadRun
from harness.scenario.model import AlertExpectation, Scenario
from harness.stack import Stack


@dataclass
class ScenarioResult:
    scenario: str
    time_factor: float
    fired: list[FireResult] = field(default_factory=list)
    resolved: dict[str, dict[str, float]] = field(default_factory=dict)
    load: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "time_factor": self.time_factor, "seconds": round(self.seconds, 1),
                "fired": [{"alert": f.name, "firing_after_s": f.firing_after and round(f.firing_after, 1),
                           "notified_after_s": round(f.notified_after, 1), "bound_s": round(f.bound.seconds, 1),
                           "bound": f.bound.explain()} for f in self.fired],
                "resolved": self.resolved, "load": self.load}


def _attach(name: str, body: Any) -> None:
    text = body if isinstance(body, str) else json.dumps(body, indent=2, default=str)
    kind = allure.attachment_type.TEXT if isinstance(body, str) else allure.attachment_type.JSON
    allure.attach(text, name=name, attachment_type=kind)


class ScenarioRunner:
    def __init__(self, stack: Stack, log: Callable[[str], None] = print) -> None:
        self.stack = stack
        self.log = log
        self.config = stack.rendered()
        self.slack = stack.settings.slack_seconds

    def check(self, scenario: Scenario) -> None:
        """Static checks against the loaded config, before anything is injected."""
        names = {r.name for r in self.config.rules}
        for i, exp in enumerate(scenario.alerts):
            if exp.name not in names:
                raise ConfigError(f"{scenario.path}: expect.alerts[{i}].name: no rule named {exp.name!r} "
                                  f"in the loaded rules ({', '.join(sorted(names))})")
            if exp.receiver not in self.config.receivers:
                raise ConfigError(f"{scenario.path}: expect.alerts[{i}].receiver: {exp.receiver!r} is not a "
                                  f"receiver of alertmanager.yml ({', '.join(self.config.receivers)})")

    def run(self, scenario: Scenario) -> ScenarioResult:
        self.check(scenario)
        started = time.monotonic()
        result = ScenarioResult(scenario.name, self.config.timing.factor)
        self.log(f"[obsdrill] scenario {scenario.name}: time factor {self.config.timing.factor}")
        _attach("rendered alert rules", (self.config.directory / "prometheus" / "alert_rules.yml").read_text())
        _attach("rendered alertmanager.yml", (self.config.directory / "alertmanager" / "alertmanager.yml").read_text())
        self.stack.reset()
        watch = AlertWatch(self.stack.prometheus, self.stack.sink)
        load = self._load(scenario)
        try:
            self._steady_state(scenario, watch)
            try:
                self._inject(scenario, watch)
                self._expect(scenario, watch, result)
            finally:
                self._rollback(scenario)
            self._recover(scenario, watch, result)
        finally:
            result.load = load.stop() if load else {}
            result.seconds = time.monotonic() - started
            _attach("timings and bounds", result.summary())
        return result

    def _load(self, scenario: Scenario) -> LoadRun | None:
        if scenario.load is None:
            return None
        with allure.step(f"start load: {scenario.load.users} users on {scenario.load.target}"):
            return LoadRun(scenario.load, self.stack.containers[scenario.load.target].url()).start()

    def _steady_state(self, scenario: Scenario, watch: AlertWatch) -> None:
        steady = scenario.steady_state
        with allure.step(f"steady state: traffic visible, no alert for {steady.hold}"):
            for check in steady.metrics:
                within = 60.0 if check.within == "auto" else durations.parse(check.within)
                samples, waited = assert_query_eventually(self.stack.prometheus, check.query, within)
                _attach(f"PromQL {check.query}", [s.show() for s in samples] + [f"after {waited:.1f}s"])
            time.sleep(durations.parse(steady.hold, "steady_state.hold"))
            if steady.no_alerts:
                others = watch.others(set())
                if others:
                    raise ExpectationFailed("steady state broken before any fault: " + "; ".join(others))

    def _inject(self, scenario: Scenario, watch: AlertWatch) -> None:
        watch.restart_clock()
        for fault in scenario.method:
            with allure.step(f"inject {fault.describe()}"):
                state = self.stack.service(fault.service).set_fault(fault.fault, fault.spec)
                _attach(f"fault state of {fault.service}", state)
                self.log(f"[obsdrill]   injected {fault.describe()}")

    def _bound(self, exp: AlertExpectation, kind: str) -> bounds.Bound:
        rule = self.config.rule(exp.name)
        if kind == "fire":
            if exp.within != "auto":
                return bounds.explicit(exp.within, f"expect {exp.name}.within")
            return bounds.fire_bound(rule, self.config.timing, self.slack)
        return bounds.resolve_bound(rule, self.config.timing, self.slack)

    def _expect(self, scenario: Scenario, watch: AlertWatch, result: ScenarioResult) -> None:
        for exp in scenario.alerts:
            bound = self._bound(exp, "fire")
            with allure.step(f"expect {exp.name} {exp.label_dict()} -> {exp.receiver} within {bound.seconds:.1f}s"):
                fired = watch.wait_fired(exp, self.config.rule(exp.name), bound)
                result.fired.append(fired)
                _attach(f"{exp.name} notification payload", fired.notification)
                self.log(f"[obsdrill]   {exp.name} reached {exp.receiver} after {fired.notified_after:.1f}s "
                         f"(bound {bound.explain()})")
        if scenario.no_other_alerts:
            with allure.step("no other alert fires or is notified"):
                others = watch.others({a.name for a in scenario.alerts})
                _attach("all notifications", [n.show() for n in watch.notifications()])
                if others:
                    raise ExpectationFailed("unexpected alerts: " + "; ".join(others))

    def _rollback(self, scenario: Scenario) -> None:
        with allure.step("rollback: clear injected faults"):
            for service in sorted({f.service for f in scenario.method}):
                self.stack.service(service).clear_fault()

    def _recover(self, scenario: Scenario, watch: AlertWatch, result: ScenarioResult) -> None:
        recovery = scenario.recovery
        if not recovery.alerts_resolved:
            return
        for exp in scenario.alerts:
            bound = self._bound(exp, "resolve")
            if recovery.within != "auto":
                bound = bounds.explicit(recovery.within, "recovery.within")
            with allure.step(f"recovery: {exp.name} resolves within {bound.seconds:.1f}s"):
                seconds = watch.wait_resolved(exp, bound, recovery.resolved_notification)
                result.resolved[exp.name] = {"after_s": round(seconds, 1), "bound_s": round(bound.seconds, 1)}
                self.log(f"[obsdrill]   {exp.name} resolved after {seconds:.1f}s (bound {bound.explain()})")
                _attach(f"{exp.name} resolved notification",
                        [n.body for n in watch.notifications() if n.status == "resolved"])

