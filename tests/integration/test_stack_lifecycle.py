"""Stack lifecycle on the real engine: readiness errors carry logs, nothing is left behind, and a run
killed with SIGKILL is reaped by the next start."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from harness import portforward
from harness.errors import ReadinessTimeoutError
from harness.facade import Obsdrill
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


def _obsdrill(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", *args], capture_output=True, text=True,
                          timeout=600, check=False)


@pytest.mark.stack
def test_up_leaves_a_stack_running_that_down_removes(obsdrill_settings: Settings, obsdrill_runtime: Runtime) -> None:
    up = _obsdrill("up", "--stack", "core")
    assert up.returncode == 0, up.stdout + up.stderr
    run_id = up.stdout.split("obsdrill stack ", 1)[1].split()[0]
    try:
        urls = [line.split()[-1] for line in up.stdout.splitlines() if "http://127.0.0.1:" in line]
        assert len(urls) >= 10 and all(u.startswith("http://127.0.0.1:") for u in urls)
        assert "prometheus" in up.stdout and "stop it with: obsdrill down" in up.stdout
        assert _run_resources(obsdrill_runtime, run_id), "the stack did not outlive `obsdrill up`"
        assert not any(run_id in r for r in reap(obsdrill_runtime.client(), cache_dir=obsdrill_settings.cache_dir))
        prometheus = next(line.split()[-1] for line in up.stdout.splitlines() if line.split()[:1] == ["prometheus"])
        assert requests.get(prometheus + "/-/ready", timeout=5).status_code == 200
    finally:
        down = _obsdrill("down")
    assert down.returncode == 0 and run_id in down.stdout, down.stdout + down.stderr
    assert _run_resources(obsdrill_runtime, run_id) == []
    assert not (obsdrill_settings.cache_dir / "volumes" / run_id).exists()


def _stale_forward(host_port: int, to: str) -> str | None:
    """Put a removed container's DNAT jump for a live host port first in netavark's chain (what the engine
    leaves when a container goes without its teardown): the port stops answering, the container runs on."""
    if not portforward.forwards():
        return None
    ghost = "0" * 64
    rule = ["-p", "tcp", "-m", "tcp", "--dport", str(host_port), "-m", "comment", "--comment",
            f"dnat name: gone id: {ghost}", "-j", "DNAT", "--to-destination", to]
    subprocess.run(["iptables", "-t", "nat", "-I", portforward.CHAIN, "1", *rule], check=True)
    return ghost


@pytest.mark.stack
def test_a_stale_port_forward_is_found_and_deleted(obsdrill: Obsdrill, capsys: pytest.CaptureFixture[str]) -> None:
    redis = obsdrill.stack.containers["redis"]
    host, port = redis.url().removeprefix("http://").rsplit(":", 1)
    own = next(iter(redis.get_wrapped_container().attrs["NetworkSettings"]["Networks"].values()))["IPAddress"]
    ghost = _stale_forward(int(port), own.rsplit(".", 1)[0] + ".250:9")  # nothing there
    if ghost is None:
        pytest.skip("the engine's port forwards are not netavark's iptables chain here")
    with pytest.raises(OSError):
        socket.create_connection((host, int(port)), timeout=2).close()
    redis.wait_ready(90)
    out = capsys.readouterr().out
    assert f"deleted the port forwards of removed containers (port {port} (container {ghost[:12]}))" in out, out
    assert all(cid != ghost for cid, _ in portforward.forwards())
    socket.create_connection((host, int(port)), timeout=2).close()
