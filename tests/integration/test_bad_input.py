"""Bad input that needs a container engine (issue 13.6): the servers' own tools reject a config the static
check accepts, and a signal mid-scenario interrupts the run, tears the stack down (nothing left with the
run's label) and exits 128 + the signal. The rest of the catalogue is in tests/unit/test_bad_input.py."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import docker
import pytest

from harness import resources
from harness.reaper import PID_LABEL
from harness.settings import OWNER_LABEL, RUN_LABEL

pytestmark = pytest.mark.stack
CLI = [sys.executable, "-m", "harness.cli"]


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
            "OBSDRILL_CACHE_DIR": os.environ.get("OBSDRILL_CACHE_DIR", str(Path.home() / ".cache" / "obsdrill"))}


def test_promtool_rejects_what_the_static_check_accepts(tmp_path: Path) -> None:
    config = tmp_path / "config"
    shutil.copytree(resources.stack_dir(), config)
    rules = config / "prometheus" / "alert_rules.yml"
    rules.write_text(rules.read_text().replace('summary: "High error rate detected"',
                                               'summary: "{{ $value | nosuchfunc }} High error rate"', 1))
    args = [*CLI, "validate", "--config-dir", str(config)]
    assert subprocess.run(args, env=_env(tmp_path), capture_output=True, timeout=120).returncode == 0
    done = subprocess.run([*args, "--tools"], env=_env(tmp_path), capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "error: prometheus: `promtool check rules` rejects the config" in done.stderr
    assert 'rule 1, "HighErrorRate": annotation "summary"' in done.stderr
    assert "function \"nosuchfunc\" not defined" in done.stderr


def test_a_missing_image_exits_3_naming_it_and_starts_nothing(tmp_path: Path, engine: docker.DockerClient) -> None:
    """--images upstream where the official images cannot be pulled (no registry reachable here, or a tag
    that does not exist): exit 3, the image named, no container of this process left."""
    proc = subprocess.Popen([*CLI, "run", "baseline", "--stack", "core", "--images", "upstream",
                             "--reports-dir", str(tmp_path)], env=_env(tmp_path), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    out, _ = proc.communicate(timeout=600)
    if proc.returncode == 0:
        pytest.skip("the upstream images could be pulled here: no missing image to provoke")
    assert proc.returncode == 3, out[-3000:]
    assert "upstream image" in out and "could not be pulled" in out, out[-3000:]
    assert _run_containers(engine, proc.pid) == []


def _run_containers(client: docker.DockerClient, pid: int) -> list[dict[str, str]]:
    return [c.labels for c in client.containers.list(all=True, filters={"label": f"{OWNER_LABEL}=obsdrill"})
            if c.labels.get(PID_LABEL, "").startswith(f"{pid}:")]


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["SIGTERM", "SIGINT"])
def test_a_signal_mid_scenario_tears_the_run_down(tmp_path: Path, sig: signal.Signals, code: int,
                                                  engine: docker.DockerClient) -> None:
    client = engine
    proc = subprocess.Popen([*CLI, "run", "error-burst", "--stack", "core", "--reports-dir", str(tmp_path)],
                            env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and len(_run_containers(client, proc.pid)) < 3:
            time.sleep(1)
        labels = _run_containers(client, proc.pid)
        assert labels, "the run started no container"
        run_id = labels[0][RUN_LABEL]
        time.sleep(30)  # the stack is up; the scenario is under way
        assert proc.poll() is None, "the run ended before the signal"
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == code, out[-3000:]
    left = client.containers.list(all=True, filters={"label": f"{RUN_LABEL}={run_id}"})
    assert left == [], [c.name for c in left]
