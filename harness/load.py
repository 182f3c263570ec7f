"""Start and stop the Locust load process(es); bounded in count and time, they stop by themselves.

The load (``python -m harness.loadgen``) runs in one process, or with ``workers: N`` as Locust's distributed
mode: one master and N worker processes running the same journeys. Each process that runs users keeps a
bounded sample of the requests it made (journey, route, correlation id, status, trace id when the response
carries one) in a JSON file replaced atomically, and appends every request to a request log;
:meth:`LoadRun.sample` merges the samples while the load runs (log and trace assertions),
:meth:`LoadRun.requests` the request logs (cross-pillar reconciliation, harness/assertions/reconcile.py),
:meth:`LoadRun.pause`/:meth:`LoadRun.resume` stop and restart the users (no request in flight between).

With ``browsers: N`` one more process (``python -m harness.browsers``) runs N headless Chromium users on the
frontend's page: its API calls go through the frontend to the gateway, and it writes them to its own request
log and sample (journey ``browser``, entering at the frontend), so they are reconciled like the rest."""

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
    browsers: int = 0  # headless Chromium users on the frontend's page (harness/browsers.py)

    def describe(self) -> str:
        mix = ", ".join(f"{name} {weight}" for name, weight in self.journeys)
        spread = f" over {self.workers} Locust worker(s)" if self.workers else ""
        browsers = f"; {self.browsers} browser user(s) on the frontend" if self.browsers else ""
        return (f"{self.users} users on {self.target}{spread}, wait {self.wait_min:g}-{self.wait_max:g}s, "
                f"journeys {mix}{browsers}")


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


BROWSER_ENTRY = "frontend"
BROWSERS_START_S = 120  # Chromium's start and every browser user's first visit


class LoadRun:
    def __init__(self, profile: LoadProfile, url: str, max_seconds: float = 1800, sample_size: int = 20,
                 browser_url: str | None = None, analytics_url: str | None = None,
                 sentry: tuple[str, str] | None = None) -> None:
        if profile.browsers and not browser_url:
            raise ObsdrillError("load: browsers need the frontend's URL (this stack runs no frontend)")
        self.profile = profile
        self.url = url
        self.browser_url = browser_url
        self.analytics_url = analytics_url  # where the page sends its GA4 / Mixpanel events (the sink)
        self.sentry = sentry  # the page's error tracker: (DSN as the browser reaches it, environment)
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

    @property
    def _browser_index(self) -> int | None:
        """The browser process's index (after Locust's), when the load has browser users."""
        return self.profile.workers + 1 if self.profile.browsers else None

    def _runs_users(self) -> list[int]:
        """Indexes of the processes that run users: 0 alone, or the workers 1..N; then the browsers'."""
        locust = list(range(1, self.profile.workers + 1)) if self.profile.workers else [0]
        return locust + [i for i in (self._browser_index,) if i is not None]

    def _controllers(self) -> list[int]:
        """The processes that take pause and resume: the local runner or the master, and the browsers'."""
        return [0] + [i for i in (self._browser_index,) if i is not None]

    def command(self, index: int = 0, port: int = 0) -> list[str]:
        """The command line of process ``index``: 0 is the local runner or the master, 1..N the workers, the
        last the browsers' when there are browser users."""
        p = self.profile
        if index == self._browser_index:
            return [sys.executable, "-m", "harness.browsers", "--url", str(self.browser_url), "--users",
                    str(p.browsers), "--request-log", str(self._file("requests", index)), "--sample-file",
                    str(self._file("sample", index)), "--sample-size", str(self.sample_size), "--max-seconds",
                    str(self.max_seconds)] + (["--analytics-url", self.analytics_url] if self.analytics_url else []) \
                + (["--sentry-dsn", self.sentry[0], "--sentry-environment", self.sentry[1]] if self.sentry else [])
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
        for index in range(self.profile.workers + 1 + bool(self.profile.browsers)):
            with self._file("output", index).open("wb") as out:  # the child keeps its own descriptor
                self._procs.append(subprocess.Popen(self.command(index, port), stdout=out, stderr=subprocess.STDOUT))
        self._await(b'"started"', timeout, "load generator did not start")
        if self._browser_index is not None:
            self._await(b'"started"', BROWSERS_START_S, "browser users did not start", index=self._browser_index)
        return self

    def _await(self, marker: bytes, timeout: float, what: str, count: int = 1, index: int = 0) -> None:
        deadline = time.monotonic() + timeout
        while self._read(index).count(marker) < count:
            if not self._procs or self._procs[index].poll() is not None or time.monotonic() > deadline:
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
        self._signal(signal.SIGUSR1, b'"paused"', timeout, "load did not pause")
        at = [float(json.loads(ln)["at"]) for i in self._controllers()
              for ln in self._read(i).decode(errors="replace").splitlines() if '"paused"' in ln]
        self._paused_at = max(at)
        return self._paused_at

    def resume(self, timeout: float = 60) -> None:
        self._signal(signal.SIGUSR2, b'"resumed"', timeout, "load did not resume")
        if self._paused_at is not None:
            self.paused_s += time.time() - self._paused_at
            self._paused_at = None

    def _signal(self, signum: int, marker: bytes, timeout: float, what: str) -> None:
        """Sends ``signum`` to every controller, then waits for each one's next ``marker`` line."""
        done = {i: self._read(i).count(marker) for i in self._controllers()}
        for index in done:
            self._procs[index].send_signal(signum)
        for index, count in done.items():
            self._await(marker, timeout, what, count + 1, index=index)

    def sample(self) -> list[SampledRequest]:
        """The requests sampled so far (oldest first), every journey, every process."""
        rows: list[SampledRequest] = []
        for index in self._runs_users():
            try:
                data = json.loads(self._file("sample", index).read_text())
            except (OSError, ValueError):
                continue
            entry = BROWSER_ENTRY if index == self._browser_index else self.profile.target
            rows += [SampledRequest.from_json(r, entry) for rows in data.values() for r in rows]
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
            browsers = self._browser_index
            for line in self._read(browsers).decode(errors="replace").splitlines() if browsers else ():
                if '"stopped"' in line:
                    self.stats["browsers"] = json.loads(line)
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
