"""One test per scenario file; run by ``obsdrill run`` / ``make demo`` with Allure results."""

from __future__ import annotations

import allure
import pytest

from harness.facade import Obsdrill
from harness.pytest_plugin import settings_from
from harness.scenario import Scenario, load_scenarios
from harness.scenario.runner import ScenarioRunner


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "scenario" in metafunc.fixturenames:
        names = metafunc.config.getoption("--obsdrill-scenario") or None
        scenarios = load_scenarios(settings_from(metafunc.config).scenarios_dir, names)
        repeat = max(1, int(metafunc.config.getoption("--obsdrill-repeat")))  # obsdrill run --repeat N
        ids = [s.name if repeat == 1 else f"{s.name}#{k + 1}" for k in range(repeat) for s in scenarios]
        metafunc.parametrize("scenario", [s for _ in range(repeat) for s in scenarios], ids=ids)


@pytest.mark.stack
@pytest.mark.scenario
def test_scenario(obsdrill: Obsdrill, scenario: Scenario) -> None:
    allure.dynamic.title(f"{scenario.name}: {scenario.description}")
    for tag in scenario.tags:
        allure.dynamic.tag(tag)
    allure.dynamic.parameter("time factor", obsdrill.stack.settings.time_factor)
    missing = ScenarioRunner(obsdrill.stack, obsdrill.events).missing(scenario)
    if missing:
        pytest.skip("; ".join(missing))
    obsdrill.run(scenario)  # raises ExpectationFailed at the first unmet expectation: this test then fails
