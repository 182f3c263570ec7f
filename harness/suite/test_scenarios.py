"""One test per scenario file; run by ``obsdrill run`` / ``make demo`` with Allure results. With several
stacks (``obsdrill run --stacks N``: pytest-xdist, one stack per worker) the scenarios are handed out batch by
batch (harness/schedule.py) and each holds its host locks while it runs, so a host-wide one runs alone."""

from __future__ import annotations

import os

import allure
import pytest

from harness import schedule
from harness.facade import Obsdrill
from harness.pytest_plugin import settings_from
from harness.scenario import Scenario, load_scenarios
from harness.scenario.runner import ScenarioRunner
from harness.stack import Stack

STARTED_WITHIN = 600.0  # seconds a worker waits for the others' stacks (one that failed to start: go on)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "scenario" in metafunc.fixturenames:
        names = metafunc.config.getoption("--obsdrill-scenario") or None
        scenarios = load_scenarios(settings_from(metafunc.config).scenarios_dir, names)
        repeat = max(1, int(metafunc.config.getoption("--obsdrill-repeat")))  # obsdrill run --repeat N
        stacks = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))  # set by pytest-xdist on its workers
        if stacks > 1:
            scenarios = schedule.order(scenarios, stacks)
        ids = [s.name if repeat == 1 else f"{s.name}#{k + 1}" for k in range(repeat) for s in scenarios]
        metafunc.parametrize("scenario", [s for _ in range(repeat) for s in scenarios], ids=ids)


@pytest.fixture(scope="session")
def stacks_started(obsdrill_stack: Stack) -> None:
    """With several stacks: no scenario before every worker's stack is up (a start takes the host's CPU)."""
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if count > 1:
        run = os.environ.get("PYTEST_XDIST_TESTRUNUID", "run")
        schedule.all_started(obsdrill_stack.settings.cache_dir / "locks" / f"started-{run}",
                             os.environ.get("PYTEST_XDIST_WORKER", "gw0"), count, STARTED_WITHIN)


@pytest.mark.stack
@pytest.mark.scenario
@pytest.mark.usefixtures("stacks_started")
def test_scenario(obsdrill: Obsdrill, scenario: Scenario) -> None:
    allure.dynamic.title(f"{scenario.name}: {scenario.description}")
    for tag in scenario.tags:
        allure.dynamic.tag(tag)
    allure.dynamic.parameter("time factor", obsdrill.stack.settings.time_factor)
    missing = ScenarioRunner(obsdrill.stack, obsdrill.events).missing(scenario)
    if missing:
        pytest.skip("; ".join(missing))
    with schedule.holding(scenario, obsdrill.stack.settings.cache_dir / "locks") as waited:
        if waited > 1:
            obsdrill.events.say(f"waited {waited:.1f}s for the host locks {schedule.host_locks(scenario)}")
        obsdrill.run(scenario)  # raises ExpectationFailed at the first unmet expectation: this test then fails
