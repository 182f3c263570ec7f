"""Start and stop the Locust load worker process; bounded in count and time, stops by itself.

The worker (``python -m harness.loadgen``) keeps a bounded sample of the requests it made (journey,
route, correlation id, status, trace id when the response carries one) in a JSON file that is replaced
atomically; :meth:`LoadRun.sample` reads it while the load runs, for the log and trace assertions."""

from __future__ import annotations

import json
import signal
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

    def describe(self) -> str:
        mix = ", ".join(f"{name} {weight}" for name, weight in self.journeys)
        return (f"{self.users} users on {self.target}, wait {self.wait_min:g}-{self.wait_max:g}s, "
                f"journeys {mix}")


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


class LoadRun:
    def __init__(self, profile: LoadProfile, url: str, max_seconds: float = 1800, sample_size: int = 20) -> None:
        self.profile = profile
        self.url = url
        self.max_seconds = max_seconds
        self.sample_size = sample_size
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir = tempfile.TemporaryDirectory(prefix="obsdrill-load-")
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the run, closed in stop()
        self.stats: dict[str, Any] = {}

    @property
    def sample_file(self) -> Path:
        return Path(self._dir.name) / "sample.json"

    def command(self) -> list[str]:
        p = self.profile
        return [sys.executable, "-m", "harness.loadgen", "--host", self.url, "--users", str(p.users),
                "--spawn-rate", str(p.spawn_rate), "--wait", str(p.wait_min), str(p.wait_max),
                "--journeys", json.dumps(dict(p.journeys)), "--sample-file", str(self.sample_file),
                "--sample-size", str(self.sample_size), "--max-seconds", str(self.max_seconds)]

    def start(self, timeout: float = 30) -> LoadRun:
        self._proc = subprocess.Popen(self.command(), stdout=self._out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while b'"started"' not in self._read():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                output = self._read().decode(errors="replace")[-2000:]
                self.stop()
                raise ObsdrillError(f"load generator did not start:\n{output}")
            time.sleep(0.2)
        return self

    def _read(self) -> bytes:
        if self._out.closed:
            return b""
        self._out.seek(0)
        return self._out.read()

    def sample(self) -> list[SampledRequest]:
        """The requests sampled so far (oldest first), every journey."""
        try:
            data = json.loads(self.sample_file.read_text())
        except (OSError, ValueError):
            return []
        rows = [SampledRequest.from_json(r, self.profile.target) for rows in data.values() for r in rows]
        return sorted(rows, key=lambda r: r.at)

    def stop(self) -> dict[str, Any]:
        if self._proc is not None:
            self._terminate(self._proc)
            self._proc = None
            for line in self._read().decode(errors="replace").splitlines():
                if '"stopped"' in line:
                    self.stats = json.loads(line)
            self._out.close()
        return self.stats

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
        """Starts the worker unless it runs already (``Obsdrill.load()`` hands out a started one)."""
        return self if self._proc is not None else self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
