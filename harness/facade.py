"""The per-test facade users get from the ``obsdrill`` fixture: the running stack, its clients, and
scenario runs. Reset between tests (faults cleared, receivers emptied)."""

from __future__ import annotations

from pathlib import Path

from harness.clients import AlertmanagerClient, PromClient, ServiceClient, SinkClient
from harness.scenario import Scenario, load_scenario, load_scenarios
from harness.scenario.runner import ScenarioResult, ScenarioRunner
from harness.stack import Stack


class Obsdrill:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    @property
    def prometheus(self) -> PromClient:
        return self.stack.prometheus

    @property
    def alertmanager(self) -> AlertmanagerClient:
        return self.stack.alertmanager

    @property
    def sink(self) -> SinkClient:
        return self.stack.sink

    def service(self, name: str) -> ServiceClient:
        return self.stack.service(name)

    def reset(self) -> None:
        self.stack.reset()

    def scenario(self, name_or_path: str) -> Scenario:
        path = Path(name_or_path)
        if path.suffix in (".yaml", ".yml") and path.is_file():
            return load_scenario(path)
        return load_scenarios(self.stack.settings.scenarios_dir, [name_or_path])[0]

    def run(self, scenario: Scenario | str) -> ScenarioResult:
        loaded = self.scenario(scenario) if isinstance(scenario, str) else scenario
        return ScenarioRunner(self.stack).run(loaded)
