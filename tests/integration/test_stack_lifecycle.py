"""Stack lifecycle on the real engine: readiness errors carry logs, nothing is left behind, and a run
killed with SIGKILL is reaped by the next start."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.errors import ReadinessTimeoutError
from harness.reaper import reap
from harness.runtime import Runtime
from harness.settings import OWNER_LABEL, RUN_LABEL, Settings
from harness.stack import Stack


def _run_resources(runtime: Runtime, run_id: str) -> list[str]:
    client = runtime.client()
    selector = {"label": [f"{RUN_LABEL}={run_id}"]}
    return ([c.name for c in client.containers.list(all=True, filters=selector)]
            + [n.name for n in client.networks.list(filters=selector)])


@pytest.mark.stack
def test_broken_prometheus_config_reports_log_tail_and_cleans_up(
        config_copy: Callable[[Callable[[Path], None]], Path], obsdrill_settings: Settings,
        obsdrill_runtime: Runtime) -> None:
    def break_it(cfg: Path) -> None:
        path = cfg / "prometheus" / "prometheus.yml"
        path.write_text(path.read_text().replace("global:\n", "global:\n  not_a_field: 1\n", 1))

    settings = obsdrill_settings.validated(config_dir=config_copy(break_it), stack_mode="core")
    stack = Stack(settings, obsdrill_runtime, ready_timeout=30)
    with pytest.raises(ReadinessTimeoutError) as err:
        stack.start()
    assert "prometheus" in str(err.value) and "not_a_field" in str(err.value)
    assert "--- last log lines of prometheus ---" in str(err.value)
    assert _run_resources(obsdrill_runtime, stack.run_id) == []


KILLED_RUN = """
import sys, time
from harness.runtime import ensure_runtime
from harness.settings import Settings
from harness.stack import Stack
settings = Settings.from_env(stack_mode="core")
stack = Stack(settings, ensure_runtime(settings.cache_dir), log=lambda m: None)
stack.start()
print("RUN", stack.run_id, len(stack.containers), stack.volume.mount, flush=True)
time.sleep(600)
"""


def _mounted(path: str) -> bool:
    return any(line.split()[1] == path for line in Path("/proc/self/mounts").read_text().splitlines())


@pytest.mark.stack
def test_sigkilled_run_is_reaped_by_the_next_start(obsdrill_settings: Settings, obsdrill_runtime: Runtime) -> None:
    proc = subprocess.Popen([sys.executable, "-c", KILLED_RUN], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        assert line.startswith("RUN "), f"child did not start its stack: {line!r}"
        _, run_id, count, mount = line.split()
        assert len(_run_resources(obsdrill_runtime, run_id)) == int(count) + 1  # containers + the network
    finally:
        proc.kill()
        proc.wait()
    time.sleep(1)
    assert len(_run_resources(obsdrill_runtime, run_id)) == int(count) + 1, "SIGKILL leaves the run behind"
    assert mount == "None" or _mounted(mount), "SIGKILL leaves the data volume mounted"
    removed = reap(obsdrill_runtime.client(), cache_dir=obsdrill_settings.cache_dir)
    assert any(run_id in r for r in removed)
    assert _run_resources(obsdrill_runtime, run_id) == []
    assert mount == "None" or not _mounted(mount)
    live = obsdrill_runtime.client().containers.list(all=True, filters={"label": f"{OWNER_LABEL}=obsdrill"})
    assert all(c.labels.get(RUN_LABEL) != run_id for c in live)
