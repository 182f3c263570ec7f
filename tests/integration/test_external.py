"""``--stack external`` against a stack ``obsdrill up`` started, addressed only by URL (no sink URL given:
routing is judged from Alertmanager's alert groups). OBSDRILL_TEST_EXTERNAL_SCENARIOS picks the scenarios
(default: error-burst and service-down, whose crash fault this mode cannot run); ``all`` runs the whole suite."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.platform import GPU_SIM, SERVICES

DEFAULT = ("error-burst", "service-down")


def _obsdrill(*args: str, reports: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args, "--reports-dir", str(reports)],
                          capture_output=True, text=True, timeout=3000, check=False)


def up_urls(stdout: str) -> dict[str, str]:
    """component -> URL from the lines `obsdrill up` prints."""
    return {parts[0]: parts[-1] for line in stdout.splitlines()
            if len(parts := line.split()) == 2 and parts[1].startswith("http://")}


@pytest.fixture(scope="module")
def up_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Path]]:
    reports = tmp_path_factory.mktemp("external-reports")
    up = _obsdrill("up", "--stack", "core", reports=reports)
    assert up.returncode == 0, up.stdout + up.stderr
    run_id = up.stdout.split("obsdrill stack ", 1)[1].split()[0]
    try:
        yield up_urls(up.stdout), reports
    finally:
        down = _obsdrill("down", "--run", run_id, reports=reports)
        assert down.returncode == 0 and run_id in down.stdout, down.stdout + down.stderr


@pytest.mark.stack
def test_builtin_suite_runs_on_an_up_stack_addressed_by_url(up_stack: tuple[dict[str, str], Path]) -> None:
    urls, reports = up_stack
    chosen = os.environ.get("OBSDRILL_TEST_EXTERNAL_SCENARIOS", " ".join(DEFAULT))
    scenarios = [] if chosen == "all" else chosen.split()
    services = [f"--external-service={name}={url}" for name, url in urls.items() if name in (*SERVICES, GPU_SIM)]
    run = _obsdrill("run", "--stack", "external", "--external-prometheus", urls["prometheus"],
                    "--external-alertmanager", urls["alertmanager"], *services, *scenarios, reports=reports)
    out = run.stdout + run.stderr
    print(out)
    assert run.returncode == 0, out[-6000:]
    assert "external stack (prometheus, alertmanager; services" in out
    assert "not checked in this mode: notification content and delivery" in out
    assert "not checked in this mode: crash faults" in out
    if not scenarios or "service-down" in scenarios:  # its crash fault needs a restart: skipped with the reason
        assert "SKIPPED" in out and "crash needs a container restart, which --stack external cannot do" in out
    if not scenarios or "error-burst" in scenarios:
        assert "test_scenario[error-burst] PASSED" in out
        assert "expect.notifications not checked: this stack runs no sink (external mode)" in out
