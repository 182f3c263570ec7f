"""The per-test facade users get from the ``obsdrill`` fixture: the running stack, its clients, load,
scenario runs, and the assertion library with deadlines computed from the rendered config. Reset between
tests (faults cleared, crashed services restarted, receivers emptied)."""

from __future__ import annotations

from pathlib import Path

from harness import bounds, reporting
from harness.assertions.alerts import AlertWatch, FireResult
from harness.assertions.metrics import assert_query_eventually
from harness.clients import AlertmanagerClient, PromClient, Sample, ServiceClient, SinkClient
from harness.clients.elasticsearch import EsClient
from harness.clients.jaeger import JaegerClient
from harness.events import Events
from harness.load import DEFAULT_JOURNEYS, LoadProfile, LoadRun
from harness.scenario import Scenario, load_scenario, load_scenarios
from harness.scenario.model import AlertExpectation
from harness.scenario.runner import ScenarioResult, ScenarioRunner
from harness.scenario.stackapi import StackApi


class Obsdrill:
    def __init__(self, stack: StackApi, events: Events | None = None) -> None:
        self.stack = stack
        self.events = events or reporting.standard()

    @property
    def prometheus(self) -> PromClient:
        return self.stack.prometheus

    @property
    def alertmanager(self) -> AlertmanagerClient:
        return self.stack.alertmanager

    @property
    def sink(self) -> SinkClient:
        return self.stack.sink

    @property
    def elasticsearch(self) -> EsClient:
        return self.stack.elasticsearch

    @property
    def jaeger(self) -> JaegerClient:
        return self.stack.jaeger

    def service(self, name: str) -> ServiceClient:
        return self.stack.service(name)

    def reset(self) -> None:
        self.stack.reset()

    # load and scenarios ------------------------------------------------------------------------------
    def load(self, users: int = 5, journeys: dict[str, int] | None = None, wait: tuple[float, float] = (0.2, 0.5),
             target: str = "gateway") -> LoadRun:
        """A started Locust worker; use it as a context manager (``with obsdrill.load(...) as load:``)."""
        profile = LoadProfile(users=users, wait_min=wait[0], wait_max=wait[1], target=target,
                              journeys=tuple(journeys.items()) if journeys else DEFAULT_JOURNEYS)
        return LoadRun(profile, self.stack.url(target)).start()

    def scenario(self, name_or_path: str) -> Scenario:
        path = Path(name_or_path)
        if path.suffix in (".yaml", ".yml") and path.is_file():
            return load_scenario(path)
        return load_scenarios(self.stack.settings.scenarios_dir, [name_or_path])[0]

    def run(self, scenario: Scenario | str) -> ScenarioResult:
        loaded = self.scenario(scenario) if isinstance(scenario, str) else scenario
        return ScenarioRunner(self.stack, self.events).run(loaded)

    # assertions with computed deadlines -------------------------------------------------------------
    def deadlines(self) -> bounds.Deadlines:
        return bounds.Deadlines(self.stack.rendered().timing, self.stack.settings.slack_seconds)

    def expect_query(self, expr: str, within: float | None = None, empty: bool = False) -> list[Sample]:
        """Wait until ``expr`` returns series (``empty``: none); default deadline from the config."""
        computed = self.deadlines().metric(expr)
        samples, _ = assert_query_eventually(self.prometheus, expr, bounds.choose(within, "within", computed), empty)
        return samples

    def expect_alert(self, name: str, receiver: str, labels: dict[str, str] | None = None,
                     within: float | None = None, watch: AlertWatch | None = None) -> FireResult:
        """Wait until alert ``name`` with ``labels`` reached ``receiver``; default deadline from the rule."""
        rule = self.stack.rendered().rule(name)
        computed = self.deadlines().fire(rule)
        exp = AlertExpectation(name, receiver, tuple(sorted((labels or {}).items())))
        watch = watch or AlertWatch(self.prometheus, self.sink)
        return watch.wait_fired(exp, rule, bounds.choose(within, "within", computed))
