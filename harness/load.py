"""Start and stop the Locust load process(es); bounded in count and time, they stop by themselves.

The load (``python -m harness.loadgen``) runs in one process, or with ``workers: N`` as Locust's distributed
mode: one master and N worker processes running the same journeys. Each process that runs users keeps a
bounded sample of the requests it made (journey, route, correlation id, status, trace id when the response
carries one) in a JSON file replaced atomically, and appends every request to a request log;
:meth:`LoadRun.sample` merges the samples while the load runs (log and trace assertions),
:meth:`LoadRun.requests` the request logs (cross-pillar reconciliation, harness/assertions/reconcile.py),
:meth:`LoadRun.pause`/:meth:`LoadRun.resume` stop and restart the users (no request in flight between)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ObsdrillError
from harness.platform import route_services

DEFAULT_JOURNEYS = (("browse", 5), ("register", 1), ("cv_upload", 2))


@dataclass(frozen=True)
class LoadProfile:
    users: int = 5
    spawn_rate: float = 5.0
    wait_min: float = 0.2
    wait_max: float = 0.5
    target: str = "gateway"
    journeys: tuple[tuple[str, int], ...] = DEFAULT_JOURNEYS
    workers: int = 0  # 0: one local process; N: Locust's distributed mode, a master and N worker processes

    def describe(self) -> str:
        mix = ", ".join(f"{name} {weight}" for name, weight in self.journeys)
        spread = f" over {self.workers} Locust worker(s)" if self.workers else ""
        return (f"{self.users} users on {self.target}{spread}, wait {self.wait_min:g}-{self.wait_max:g}s, "
                f"journeys {mix}")


def failed(status: int) -> bool:
    """A request the load counts as failed: no answer (0) or 4xx/5xx, but a 402 payment decline (a business
    outcome)."""
    return status == 0 or (status >= 400 and status != 402)


@dataclass(frozen=True)
class MadeRequest:
    """One line of a request log: a request the load made and the answer it got (status 0: none)."""

    journey: str
    method: str
    route: str
    status: int
    correlation_id: str
    at: float

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MadeRequest:
        return cls(str(data["journey"]), str(data["method"]), str(data["route"]), int(data["status"]),
                   str(data["correlation_id"]), float(data["at"]))


@dataclass(frozen=True)
class SampledRequest:
    """One request the load made, as the log and trace assertions need it."""

    journey: str
    method: str
    path: str
    correlation_id: str
    status: int
    at: float
    trace_id: str = ""
    entry: str = "gateway"

    @classmethod
    def from_json(cls, data: dict[str, Any], entry: str = "gateway") -> SampledRequest:
        return cls(str(data["journey"]), str(data["method"]), str(data["path"]), str(data["correlation_id"]),
                   int(data.get("status", 0)), float(data.get("at", 0.0)), str(data.get("trace_id") or ""),
                   entry)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def services(self) -> tuple[str, ...]:
        return route_services(self.path, self.entry)

    def show(self) -> str:
        trace = f" trace {self.trace_id}" if self.trace_id else ""
        return f"{self.journey}: {self.method} {self.path} -> {self.status} correlation {self.correlation_id}{trace}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LoadRun:
    def __init__(self, profile: LoadProfile, url: str, max_seconds: float = 1800, sample_size: int = 20) -> None:
        self.profile = profile
        self.url = url
        self.max_seconds = max_seconds
        self.sample_size = sample_size
        self._procs: list[subprocess.Popen[bytes]] = []
        self._dir = tempfile.TemporaryDirectory(prefix="obsdrill-load-")
        self.stats: dict[str, Any] = {}
        self.started_at = 0.0
        self.paused_s = 0.0  # time spent paused (for the request rate)
        self._paused_at: float | None = None

    @property
    def sample_file(self) -> Path:
        return self._file("sample", 0)

    def _file(self, kind: str, index: int) -> Path:
        suffix = "" if index == 0 else f"-{index}"
        ext = {"sample": "json", "requests": "jsonl", "output": "log"}[kind]
        return Path(self._dir.name) / f"{kind}{suffix}.{ext}"

    def _runs_users(self) -> list[int]:
        """Indexes of the processes that run users: 0 alone, or the workers 1..N."""
        return list(range(1, self.profile.workers + 1)) if self.profile.workers else [0]

    def command(self, index: int = 0, port: int = 0) -> list[str]:
        """The command line of process ``index``: 0 is the local runner or the master, 1..N the workers."""
        p = self.profile
        base = [sys.executable, "-m", "harness.loadgen", "--host", self.url, "--users", str(p.users),
                "--spawn-rate", str(p.spawn_rate), "--wait", str(p.wait_min), str(p.wait_max),
                "--journeys", json.dumps(dict(p.journeys)), "--sample-size", str(self.sample_size),
                "--max-seconds", str(self.max_seconds)]
        if index in self._runs_users():
            base += ["--sample-file", str(self._file("sample", index)),
                     "--request-log", str(self._file("requests", index))]
        if not p.workers:
            return base
        role = ["--role", "master", "--expect-workers", str(p.workers)] if index == 0 else ["--role", "worker"]
        return base + role + ["--master-port", str(port)]

    def start(self, timeout: float = 60) -> LoadRun:
        port = free_port() if self.profile.workers else 0
        self.started_at = time.time()
        for index in range(self.profile.workers + 1):
            with self._file("output", index).open("wb") as out:  # the child keeps its own descriptor
                self._procs.append(subprocess.Popen(self.command(index, port), stdout=out, stderr=subprocess.STDOUT))
        self._await(b'"started"', timeout, "load generator did not start")
        return self

    def _await(self, marker: bytes, timeout: float, what: str, count: int = 1) -> None:
        deadline = time.monotonic() + timeout
        while self._read().count(marker) < count:
            if not self._procs or self._procs[0].poll() is not None or time.monotonic() > deadline:
                output = "\n".join(self._read(i).decode(errors="replace")[-2000:] for i in range(len(self._procs)))
                self.stop()
                raise ObsdrillError(f"{what} (after {timeout:g}s):\n{output}")
            time.sleep(0.2)

    def _read(self, index: int = 0) -> bytes:
        """What process ``index`` (0: the local runner or the master) printed so far."""
        path = self._file("output", index)
        return path.read_bytes() if path.is_file() else b""

    def pause(self, timeout: float = 60) -> float:
        """Stop the users once each finished its journey; returns the time none ran any more."""
        done = self._read().count(b'"paused"')
        self._procs[0].send_signal(signal.SIGUSR1)
        self._await(b'"paused"', timeout, "load did not pause", done + 1)
        lines = [ln for ln in self._read().decode(errors="replace").splitlines() if '"paused"' in ln]
        self._paused_at = float(json.loads(lines[-1])["at"])
        return self._paused_at

    def resume(self, timeout: float = 60) -> None:
        done = self._read().count(b'"resumed"')
        self._procs[0].send_signal(signal.SIGUSR2)
        self._await(b'"resumed"', timeout, "load did not resume", done + 1)
        if self._paused_at is not None:
            self.paused_s += time.time() - self._paused_at
            self._paused_at = None

    def sample(self) -> list[SampledRequest]:
        """The requests sampled so far (oldest first), every journey, every process."""
        rows: list[SampledRequest] = []
        for index in self._runs_users():
            try:
                data = json.loads(self._file("sample", index).read_text())
            except (OSError, ValueError):
                continue
            rows += [SampledRequest.from_json(r, self.profile.target) for rows in data.values() for r in rows]
        return sorted(rows, key=lambda r: r.at)

    def requests(self) -> list[MadeRequest]:
        """Every request made so far, every process (a line still being written is left out)."""
        made: list[MadeRequest] = []
        for index in self._runs_users():
            path = self._file("requests", index)
            text = path.read_text() if path.is_file() else ""
            made += [MadeRequest.from_json(json.loads(line)) for line in text.splitlines() if line.endswith("}")]
        return sorted(made, key=lambda r: r.at)

    def stop(self) -> dict[str, Any]:
        if self._procs:
            for proc in self._procs:  # the master first: it tells the workers to quit and collects their stats
                self._terminate(proc)
            self._procs = []
            for line in self._read().decode(errors="replace").splitlines():
                if '"stopped"' in line:
                    self.stats = json.loads(line)
            self.stats |= self._counts(time.time())
        return self.stats

    def _counts(self, now: float) -> dict[str, Any]:
        """Requests, failures and their rate per journey and in all, from the request logs (Locust's own
        stats restart at a resume); ``rps`` over the time the users ran."""
        made = self.requests()
        journeys: dict[str, dict[str, int]] = {}
        for r in made:
            row = journeys.setdefault(r.journey, {"requests": 0, "failures": 0})
            row["requests"] += 1
            row["failures"] += failed(r.status)
        running = (self._paused_at or now) - self.started_at - self.paused_s
        return {"requests": len(made), "failures": sum(j["failures"] for j in journeys.values()),
                "rps": round(len(made) / running, 2) if running > 0 else 0.0, "journeys": journeys,
                "workers": self.profile.workers}

    @staticmethod
    def _terminate(proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def close(self) -> None:
        self.stop()
        self._dir.cleanup()

    def __enter__(self) -> LoadRun:
        """Starts the load unless it runs already (``Obsdrill.load()`` hands out a started one)."""
        return self if self._procs else self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
