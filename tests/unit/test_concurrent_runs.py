"""Two runs at once on one machine (issue 13.5): each run's resources carry its own run id and its owner's
pid and start time, so neither run's start-up reap (leftovers of dead owners) nor its teardown (its own run
id) touches the other's containers, networks or volumes. The real-stack version is
tests/integration/test_concurrent_runs.py."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.reaper import HOST_LABEL, PID_LABEL, _start_time, reap
from harness.settings import OWNER_LABEL, RUN_LABEL


@dataclass
class Thing:
    name: str
    labels: dict[str, str]
    removed: list[str]

    @property
    def attrs(self) -> dict[str, Any]:
        return {"Labels": self.labels}

    def remove(self, **_: Any) -> None:
        self.removed.append(self.name)


@dataclass
class Kind:
    things: list[Thing] = field(default_factory=list)

    def list(self, filters: dict[str, list[str]], **_: Any) -> list[Thing]:
        wanted = dict(s.split("=", 1) for s in filters["label"])
        return [t for t in self.things if t.name not in t.removed
                and all(t.labels.get(k) == v for k, v in wanted.items())]


@dataclass
class Engine:
    removed: list[str] = field(default_factory=list)
    containers: Kind = field(default_factory=Kind)
    networks: Kind = field(default_factory=Kind)
    volumes: Kind = field(default_factory=Kind)

    def add_run(self, run_id: str, pid: int) -> None:
        labels = {OWNER_LABEL: "obsdrill", RUN_LABEL: run_id, PID_LABEL: f"{pid}:{_start_time(pid)}",
                  HOST_LABEL: socket.gethostname()}
        for alias in ("prometheus", "alertmanager"):
            self.containers.things.append(Thing(f"obsdrill-{run_id}-{alias}", labels, self.removed))
        self.networks.things.append(Thing(f"net-{run_id}", labels, self.removed))
        self.volumes.things.append(Thing(f"vol-{run_id}", labels, self.removed))


@pytest.fixture
def live_pid() -> Iterator[int]:
    proc = subprocess.Popen(["sleep", "60"])
    try:
        yield proc.pid
    finally:
        proc.kill()
        proc.wait()


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def test_a_runs_start_up_reap_leaves_a_live_run_alone(live_pid: int) -> None:
    engine = Engine()
    engine.add_run("aaaa", live_pid)
    assert reap(engine, log=lambda _: None) == []  # type: ignore[arg-type]
    assert engine.removed == []


def test_a_dead_runs_leftovers_are_reaped_and_a_live_ones_kept(live_pid: int) -> None:
    engine = Engine()
    engine.add_run("live", live_pid)
    engine.add_run("dead", _dead_pid())
    reap(engine, log=lambda _: None)  # type: ignore[arg-type]
    assert sorted(engine.removed) == ["net-dead", "obsdrill-dead-alertmanager", "obsdrill-dead-prometheus",
                                      "vol-dead"]


def test_a_runs_teardown_removes_only_its_own_run(live_pid: int) -> None:
    engine = Engine()
    engine.add_run("mine", live_pid)
    engine.add_run("theirs", live_pid)
    reap(engine, run_id="mine", log=lambda _: None)  # type: ignore[arg-type]
    assert all("mine" in name for name in engine.removed) and len(engine.removed) == 4
