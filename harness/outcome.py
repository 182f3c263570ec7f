"""What ``obsdrill run`` exits with, from what went wrong inside pytest: 0 passed, 1 an expectation failed,
2 usage or config error, 3 infrastructure (runtime, images, readiness). A pytest plugin object records the
class of every failure (test body, fixture setup, teardown); the worst code wins."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from harness.errors import ConfigError, InfrastructureError, ObsdrillError, interrupted_code

PASSED, FAILED, USAGE, INFRASTRUCTURE = 0, 1, 2, 3
# pytest.ExitCode -> obsdrill's code, for sessions that end before any test reports
_PYTEST = {0: PASSED, 1: FAILED, 2: FAILED, 3: INFRASTRUCTURE, 4: USAGE, 5: USAGE}


def classify(exc: BaseException) -> int:
    if isinstance(exc, InfrastructureError):
        return INFRASTRUCTURE
    if isinstance(exc, ConfigError):
        return USAGE
    if isinstance(exc, ObsdrillError):
        return exc.exit_code
    return FAILED  # an assertion or any other failure of a test


class Outcome:
    """Passed to ``pytest.main(plugins=[...])``; ``code(pytest_exit)`` is the command's exit code."""

    def __init__(self) -> None:
        self.failures: list[tuple[str, int, str]] = []
        self.interrupted: int | None = None

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
        outcome = yield
        report = outcome.get_result()
        if report.failed and call.excinfo is not None:
            self.failures.append((item.nodeid, classify(call.excinfo.value), call.when))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.failures.append((report.nodeid, USAGE, "collect"))

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.interrupted = interrupted_code(excinfo.value)

    def code(self, pytest_exit: int) -> int:
        if self.interrupted is not None:
            return self.interrupted
        if self.failures:
            return max(code for _, code, _ in self.failures)
        return _PYTEST.get(int(pytest_exit), FAILED)
