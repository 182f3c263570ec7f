"""Start and stop the Locust load worker process; bounded in count and time, stops by itself."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

from harness.errors import ObsdrillError


@dataclass(frozen=True)
class LoadProfile:
    users: int = 5
    spawn_rate: float = 5.0
    wait_min: float = 0.2
    wait_max: float = 0.5
    target: str = "backend"


class LoadRun:
    def __init__(self, profile: LoadProfile, url: str, max_seconds: float = 1800) -> None:
        self.profile = profile
        self.url = url
        self.max_seconds = max_seconds
        self._proc: subprocess.Popen[bytes] | None = None
        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the run, closed in stop()
        self.stats: dict[str, Any] = {}

    def start(self) -> LoadRun:
        p = self.profile
        cmd = [sys.executable, "-m", "harness.loadgen", "--host", self.url, "--users", str(p.users),
               "--spawn-rate", str(p.spawn_rate), "--wait", str(p.wait_min), str(p.wait_max),
               "--max-seconds", str(self.max_seconds)]
        self._proc = subprocess.Popen(cmd, stdout=self._out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while b'"started"' not in self._read():
            if self._proc.poll() is not None or time.monotonic() > deadline:
                output = self._read().decode(errors="replace")[-2000:]
                self.stop()
                raise ObsdrillError(f"load generator did not start:\n{output}")
            time.sleep(0.2)
        return self

    def _read(self) -> bytes:
        self._out.seek(0)
        return self._out.read()

    def stop(self) -> dict[str, Any]:
        if self._proc is None:
            return self.stats
        if self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        output = self._read().decode(errors="replace")
        self._out.close()
        for line in output.splitlines():
            if '"stopped"' in line:
                self.stats = json.loads(line)
        return self.stats

    def __enter__(self) -> LoadRun:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
