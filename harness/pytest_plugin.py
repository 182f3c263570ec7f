"""pytest plugin (entry point pytest11): options, markers, a session-scoped stack owner and a per-test
facade that resets faults and receivers. Fixtures, options and hooks only; the engine is harness/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import envvars, report, reporting, session
from harness.events import Events
from harness.external import ExternalStack, load_target
from harness.facade import Obsdrill
from harness.runtime import Runtime, ensure_runtime
from harness.settings import DEFAULT_TIME_FACTOR, IMAGE_POLICIES, STACK_MODES, Settings
from harness.stack import Stack

MARKERS = {
    "stack": "needs a container runtime and starts the real stack",
    "scenario": "runs a chaos scenario end to end",
    "mutation": "mutates the shipped config and expects a scenario to fail",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("obsdrill")
    group.addoption("--obsdrill-time-factor", type=float, default=None,
                    help="scale every interval, `for`, range window and Alertmanager timing (1.0 = real time)")
    group.addoption("--obsdrill-config-dir", default=None,
                    help="your own config dir (prometheus/, alertmanager/, images/) instead of the shipped stack/")
    group.addoption("--obsdrill-scenarios-dir", default=None, help="directory of scenario YAML files")
    group.addoption("--obsdrill-images", choices=IMAGE_POLICIES, default=None,
                    help="auto: upstream if pullable else local build; upstream; local")
    group.addoption("--obsdrill-stack", choices=STACK_MODES, default=None,
                    help="full: metrics, logs, traces (and Grafana when it has an image); core: metrics and alerts")
    group.addoption("--obsdrill-external", default=None,
                    help="--obsdrill-stack=external: YAML file of its URLs (or the OBSDRILL_EXTERNAL* variables)")
    group.addoption("--obsdrill-reuse", default=None, metavar="RUN_ID",
                    help="run on the stack `obsdrill up` started (its run id, or latest); nothing started")
    group.addoption("--obsdrill-scenario", action="append", default=[],
                    help="scenario name(s) for the built-in suite (default: all)")
    group.addoption("--obsdrill-reports-dir", default=None,
                    help="where the runs' rendered config and result.json go (default ./reports)")
    group.addoption("--obsdrill-repeat", type=int, default=1,
                    help="run each selected scenario this many times (one stack)")


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")


def settings_from(config: pytest.Config) -> Settings:
    """The session's settings: the environment overridden by the --obsdrill-* options."""
    opt = config.getoption
    return Settings.from_options(time_factor=opt("--obsdrill-time-factor"), config_dir=opt("--obsdrill-config-dir"),
                                 scenarios_dir=opt("--obsdrill-scenarios-dir"), images=opt("--obsdrill-images"),
                                 stack=opt("--obsdrill-stack"), reports_dir=opt("--obsdrill-reports-dir"))


@pytest.fixture(scope="session")
def obsdrill_settings(pytestconfig: pytest.Config) -> Settings:
    return settings_from(pytestconfig)


@pytest.fixture(scope="session")
def obsdrill_runtime(obsdrill_settings: Settings) -> Runtime:
    return ensure_runtime(obsdrill_settings.cache_dir)


@pytest.fixture(scope="session")
def obsdrill_stack(request: pytest.FixtureRequest, pytestconfig: pytest.Config,
                   obsdrill_settings: Settings) -> Iterator[Stack | ExternalStack]:
    """The harness's own stack, or (``--stack external``) the one the URLs address: nothing started."""
    stack: Stack | ExternalStack
    reuse = pytestconfig.getoption("--obsdrill-reuse") or os.environ.get(envvars.REUSE)
    if reuse:
        stack = session.reused(obsdrill_settings, reuse)
    elif obsdrill_settings.stack_mode == "external":
        stack = ExternalStack(obsdrill_settings, load_target(pytestconfig.getoption("--obsdrill-external")))
    else:
        stack = Stack(obsdrill_settings, request.getfixturevalue("obsdrill_runtime"))
    try:
        stack.start()
        results = pytestconfig.getoption("allure_report_dir", default=None)
        if results:
            report.write_environment(Path(results), reporting.environment.facts(stack))
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def obsdrill_events(obsdrill_stack: Stack | ExternalStack) -> Events:
    """The run's event registry: console, Allure, and result.json in the run's dir (reports/runs/<run id>/)."""
    return reporting.standard(result_file=obsdrill_stack.run_dir / "result.json")


@pytest.fixture
def obsdrill(obsdrill_stack: Stack | ExternalStack, obsdrill_events: Events) -> Iterator[Obsdrill]:
    facade = Obsdrill(obsdrill_stack, obsdrill_events)
    facade.reset()
    yield facade
    facade.reset()


def pytest_report_header(config: pytest.Config) -> str:
    factor = config.getoption("--obsdrill-time-factor")
    shown = factor if factor is not None else f"default ({envvars.TIME_FACTOR} or {DEFAULT_TIME_FACTOR:g})"
    return f"obsdrill: time factor {shown}"
