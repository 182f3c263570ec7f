"""Two runs started at once on one machine do not disturb each other (issue 13.5): both pass, each on its
own network and volumes, and neither's start-up reap or teardown removes the other's containers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import docker
import pytest

from harness.settings import OWNER_LABEL, RUN_LABEL

pytestmark = pytest.mark.stack
SCENARIO = "service-down"


def _start(reports: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.Popen([sys.executable, "-m", "harness.cli", "run", SCENARIO, "--stack", "core",
                             "--reports-dir", str(reports)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_two_runs_at_once_both_pass_on_their_own_resources(tmp_path: Path, engine: docker.DockerClient) -> None:
    client = engine
    procs = {name: _start(tmp_path / name) for name in ("a", "b")}
    outputs = {name: proc.communicate(timeout=900)[0] for name, proc in procs.items()}
    for name, proc in procs.items():
        assert proc.returncode == 0, f"run {name}:\n{outputs[name][-4000:]}"
    runs = {name: [p.parent.name for p in (tmp_path / name / "runs").glob("*/result.json")] for name in procs}
    assert all(len(ids) == 1 for ids in runs.values()) and runs["a"] != runs["b"], runs
    for name, other in (("a", "b"), ("b", "a")):
        reaped = [line for line in outputs[name].splitlines() if "reaped leftovers" in line]
        assert not any(runs[other][0] in line for line in reaped), reaped  # never the live run's things
        result = json.loads(next((tmp_path / name / "runs").glob("*/result.json")).read_text())
        assert [s["passed"] for s in result["scenarios"]] == [True]
    for ids in runs.values():
        left = client.containers.list(all=True, filters={"label": [f"{OWNER_LABEL}=obsdrill", f"{RUN_LABEL}={ids[0]}"]})
        assert left == [], [c.name for c in left]
