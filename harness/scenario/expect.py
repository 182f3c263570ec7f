"""The `expect` phase: metrics show the fault, the expected alerts reach their receivers (matched by name
and labels), the receivers' integrations got the right messages, logs and traces of sampled requests are
correlated, and nothing else fires. Each check is an Allure step with its deadline and its evidence."""

from __future__ import annotations

import time
from collections.abc import Sequence

from harness import bounds
from harness.assertions.alerts import AlertWatch
from harness.assertions.dashboards import assert_dashboards_have_data
from harness.assertions.errortracking import ErrorExpectation, assert_error_tracked
from harness.assertions.logs import assert_logs_correlated
from harness.assertions.metrics import assert_query_eventually
from harness.assertions.notifications import assert_notifications
from harness.assertions.traces import assert_one_trace_per_request, assert_service_graph, graph_text
from harness.components.bugsink import ADMIN_PASSWORD, ErrorTracking
from harness.errors import ConfigError, ExpectationFailed
from harness.events import AlertFired, Events, Screenshot
from harness.load import LoadRun, SampledRequest
from harness.scenario.budgeting import check_budgets
from harness.scenario.method import FaultSchedule
from harness.scenario.model import AlertExpectation, MetricCheck, Scenario
from harness.scenario.reconciling import reconcile_load
from harness.scenario.result import ScenarioResult
from harness.scenario.stackapi import StackApi
from harness.screenshot import Login, screenshot


def pick(sample: list[SampledRequest], count: int, min_age: float = 2.0) -> list[SampledRequest]:
    """Up to ``count`` successful requests at least ``min_age`` s old, spread over the journeys."""
    now = time.time()
    ok = [r for r in sample if r.ok and now - r.at >= min_age]
    by_journey: dict[str, list[SampledRequest]] = {}
    for request in ok:
        by_journey.setdefault(request.journey, []).append(request)
    picked: list[SampledRequest] = []
    while len(picked) < count and any(by_journey.values()):
        for rows in by_journey.values():
            if rows and len(picked) < count:
                picked.append(rows.pop())
    return picked


class ExpectPhase:
    def __init__(self, stack: StackApi, watch: AlertWatch, schedule: FaultSchedule, result: ScenarioResult,
                 load: LoadRun | None, events: Events) -> None:
        self.stack = stack
        self.watch = watch
        self.schedule = schedule
        self.result = result
        self.load = load
        self.events = events
        self.config = stack.rendered()
        self.deadlines = bounds.Deadlines(self.config.timing, stack.settings.slack_seconds)
        self.started_wall = time.time()
        self.delay = 0.0

    def run(self, scenario: Scenario) -> None:
        self.delay = max((f.after + f.ramp for f in scenario.method), default=0.0)
        expect = scenario.expect
        for i, check in enumerate(expect.metrics):
            self.metric(check, f"expect.metrics[{i}]")
        for alert in expect.alerts:
            self.alert(alert)
        for note in expect.notifications:
            with self.events.phase(f"notifications of {note.receiver}"):
                bound = self.result.bound(f"notifications of {note.receiver}", bounds.choose(
                    note.within, "within", self.deadlines.notification()))
                got = assert_notifications(self.stack.sink, note, bound, self.started_wall - 1, self.watch.routing)
                self.events.attach(f"notifications of {note.receiver}", [n.show() for n in got])
                self.events.attach(f"payloads of {note.receiver}", [n.body for n in got if n.receiver == note.receiver])
        self.logs_and_traces(scenario)
        if expect.dashboards:
            self.dashboards()
        for error in expect.errors:
            self.error_tracked(error)
        self.unexpected(scenario)
        check_budgets(self.stack, scenario, self.started_wall, self.events)  # after `observe`: over all of it
        # --- load (issue 13.1): the load's requests = every pillar's count; pauses and resumes the load ---
        reconcile_load(self.stack, scenario, self.load, self.result, self.events)
        if scenario.load is not None and scenario.load.browsers and self.stack.has("frontend"):
            # after the reconciliation's window: the picture's own page load is no request of the load
            self._picture("the frontend's page", self.stack.url("frontend") + "/", ready="body[data-ready]")

    def metric(self, check: MetricCheck, where: str) -> None:
        computed = self.deadlines.metric(check.query, self.delay)
        bound = self.result.bound(f"{where} {check.query}", bounds.choose(check.within, f"{where}.within", computed))
        with self.events.phase(f"PromQL {check.query} {'returns nothing' if check.empty else 'returns series'} "
                         f"within {bound.seconds:.1f}s"):
            samples, waited = assert_query_eventually(self.stack.prometheus, check.query, bound, check.empty)
            self.events.attach(f"PromQL {check.query}", [s.show() for s in samples] + [f"after {waited:.1f}s",
                                                                            f"bound {bound.explain()}"])
        self.schedule.raise_errors()

    def alert(self, exp: AlertExpectation) -> None:
        rule = self.config.rule(exp.name)
        budget = bounds.budget_of(exp.budget, rule, self.config.paging_budgets)
        computed = self.deadlines.paged(rule, self.delay, budget)
        bound = self.result.bound(f"{exp.describe()} fires", bounds.choose(exp.within, "within", computed),
                                  alert=exp.describe(), kind="fire")
        with self.events.phase(f"expect {exp.describe()} -> {exp.receiver} within {bound.seconds:.1f}s"):
            self.events.attach(f"bound of {exp.describe()}", bound.explain())
            over = self.deadlines.over_budget(rule, budget)
            if over:
                raise ExpectationFailed(f"paging budget exceeded: {over}")
            try:
                fired = self.watch.wait_fired(exp, rule, bound)
            except ExpectationFailed as exc:
                self.schedule.raise_errors()  # a fault that could not be applied explains it better
                if exp.within is None:
                    raise
                raise ExpectationFailed(f"{exc}\n{self.deadlines.late_terms(rule)}") from exc
            self.result.fired.append(fired)
            self.events.attach(f"{exp.describe()} notification payload", fired.notification)
            self.events.attach(f"{exp.name} state history", self.watch.history.text(exp.name, exp.matches))
            self.events.emit(AlertFired(exp.describe(), exp.receiver, fired.firing_after, fired.notified_after,
                                        bound))

    def _sample(self, count: int) -> list[SampledRequest]:
        return pick(self.load.sample(), count) if self.load else []

    def _traced(self, trace_id: str) -> list[str] | None:
        """The services of a trace in Jaeger (the ones a request passed through), None while it is not there."""
        trace = self.stack.jaeger.trace(trace_id)
        return trace.services() if trace is not None else None

    def logs_and_traces(self, scenario: Scenario) -> None:
        logs, traces = scenario.expect.logs, scenario.expect.traces
        pipeline = self.deadlines.pipeline()
        if logs and logs.correlated:
            bound = self.result.bound("logs correlated", bounds.choose(logs.within, "expect.logs.within", pipeline))
            with self.events.phase(f"logs of {logs.sample} sampled requests carry their trace and correlation ids"):
                checked = assert_logs_correlated(self.stack.elasticsearch, self._sample(logs.sample), bound,
                                                 traced=self._traced if self.stack.has("jaeger") else None)
                self.result.logs = [c.summary() for c in checked]
                self.events.attach("log documents per sampled request", self.result.logs)
        if traces and traces.one_trace_per_request:
            bound = self.result.bound("one trace per request",
                                      bounds.choose(traces.within, "expect.traces.within", pipeline))
            with self.events.phase(f"each of {traces.sample} sampled requests is one trace"):
                es = self.stack.elasticsearch if self.stack.has("elasticsearch") else None
                joined = assert_one_trace_per_request(self.stack.jaeger, self._sample(traces.sample), bound, es)
                self.result.traces = [j.summary() for j in joined]
                self.events.attach("trace summary", self.result.traces)
        if traces and traces.service_graph is not None:
            bound = self.result.bound("service graph", bounds.choose(traces.within, "expect.traces.within", pipeline))
            with self.events.phase("Jaeger's service graph equals the expected one"):
                edges = assert_service_graph(self.stack.jaeger, traces.service_graph, self.started_wall, bound)
                self.result.service_graph = [f"{d.parent}->{d.child}" for d in edges]
                self.events.attach("service graph", graph_text(edges))

    def error_tracked(self, exp: ErrorExpectation) -> None:
        if not self.stack.has("bugsink"):
            raise ConfigError(f"expect.errors: {exp.describe()} needs the error tracker (Bugsink: full stack with "
                              f"its image); this stack has none")
        bound = self.result.bound(f"error tracking {exp.type}", self.deadlines.pipeline())
        with self.events.phase(f"error tracking: {exp.describe()}"):
            jaeger = self.stack.jaeger if self.stack.has("jaeger") else None
            shown, issue = assert_error_tracked(self.stack.bugsink, jaeger, self.stack.sink, exp,
                                                ErrorTracking.environment(self.stack.run_id), bound)
            self.events.attach(f"Bugsink: {exp.describe()}", shown)
            base = self.stack.url("bugsink")
            self._picture(f"Bugsink issue {issue.friendly_id}", f"{base}/issues/issue/{issue.id}/event/last/",
                          Login(f"{base}/accounts/login/", "admin", ADMIN_PASSWORD))

    def _picture(self, name: str, url: str, login: Login | None = None, ready: str | None = None) -> None:
        """A screenshot for the report; a browser that fails is said, never a failed scenario (evidence only)."""
        try:
            png = screenshot(url, login, ready)
        except Exception as exc:  # Playwright's errors: the picture is evidence, not a check
            self.events.say(f"screenshot {name}: not taken ({type(exc).__name__}: {str(exc)[:200]})")
            return
        if png is None:
            self.events.say(f"screenshot {name}: not taken (no Chromium)")
            return
        self.events.emit(Screenshot(name, png))

    def dashboards(self) -> None:
        directory = self.stack.settings.config_dir / "grafana" / "dashboards"  # the config under test's, as is
        bound = self.result.bound("dashboards", self.deadlines.panels())
        with self.events.phase(f"every panel of the dashboards in {directory.name}/ shows data"):
            shown = assert_dashboards_have_data(self.stack.prometheus, directory, bound)
            self.events.attach("dashboard panel queries (each returned data)", shown)

    def unexpected(self, scenario: Scenario) -> None:
        expect = scenario.expect
        if expect.observe > 0:
            with self.events.phase(f"observe {expect.observe:g}s: nothing unexpected fires"):
                deadline = time.monotonic() + expect.observe
                while time.monotonic() < deadline:
                    self._no_unexpected(scenario)
                    self.schedule.raise_errors()
                    time.sleep(1.0)
        self._no_unexpected(scenario)
        self.schedule.raise_errors()
        self.events.attach("all notifications", [n.show() for n in self.stack.sink.all()])

    def _no_unexpected(self, scenario: Scenario) -> None:
        expect = scenario.expect
        if expect.not_firing:
            fired = self.watch.fired_of(expect.not_firing)
            if fired:
                raise ExpectationFailed("alerts that must not fire did: " + "; ".join(fired) + self._rules(fired))
        if expect.no_other_alerts:
            others = self.watch.others(list(expect.alerts))
            if others:
                raise ExpectationFailed("unexpected alerts: " + "; ".join(others) + self._rules(others))

    def _rules(self, fired: Sequence[str]) -> str:
        """The rule of each alert named in ``fired``, as Prometheus evaluated it: its comparison and `for` are
        usually what let it fire (a threshold too low, a window too short)."""
        said = " ".join(fired)
        return "".join(f"\n  rule {r.name} ({r.file}): {' '.join(r.expr.split())} for {r.for_seconds:g}s"
                       for r in self.config.rules if r.name in said)
