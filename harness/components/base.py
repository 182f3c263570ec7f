"""The container base every component builds on: run labels, loopback-only ports, readiness waits whose
timeout error carries the container's log tail and a hint."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network

from harness.errors import ReadinessTimeoutError
from harness.settings import OWNER_LABEL, RUN_LABEL

LOOPBACK = "127.0.0.1"


@dataclass
class RunContext:
    """What every container of one run shares: its id, labels, network and rendered config dir."""

    run_id: str
    labels: dict[str, str]
    network: Network
    run_dir: Path
    log: Callable[[str], None] = print
    started: list[ObsContainer] = field(default_factory=list)

    @property
    def log_dir(self) -> Path:
        """The services' JSON log files (written by the services, tailed by the collector)."""
        path = self.run_dir / "logs"
        if not path.is_dir():
            path.mkdir(parents=True, exist_ok=True)
            path.chmod(0o755)
        return path


class ObsContainer(DockerContainer):
    """A run-labelled container on the run's network, its ports published on 127.0.0.1 only."""

    alias = "component"
    ready_path = "/"
    ready_port = 80
    hint = "check the container log above"

    def __init__(self, image: str, run: RunContext, **kwargs: Any) -> None:
        super().__init__(image, **kwargs)
        self.run = run
        self.with_network(run.network).with_network_aliases(self.alias)
        self.with_name(f"obsdrill-{run.run_id}-{self.alias}")
        self._labels = {**run.labels, "io.obsdrill.component": self.alias}
        self._extra: dict[str, Any] = {}

    def with_loopback_port(self, port: int) -> ObsContainer:
        self.ports[f"{port}/tcp"] = (LOOPBACK, None)  # type: ignore[assignment]
        return self

    def with_tmpfs(self, path: str, size: str, mode: str = "1777") -> ObsContainer:
        self.tmpfs[path] = f"size={size},mode={mode}"
        return self

    def with_run_option(self, **kwargs: Any) -> ObsContainer:
        self._extra.update(kwargs)
        return self

    def start(self) -> ObsContainer:
        self.with_kwargs(labels=self._labels, **self._extra)
        self.run.started.append(self)
        super().start()
        return self

    def is_running(self) -> bool:
        return self._state() == "running"

    def restart(self, timeout: float) -> float:
        """Start the stopped or exited container again (same name, network alias and mounts); seconds to ready."""
        wrapped = self.get_wrapped_container()
        if wrapped is None:
            raise ReadinessTimeoutError(f"{self.alias}: cannot restart a container that was never started")
        wrapped.start()
        return self.wait_ready(timeout)

    def url(self, port: int | None = None) -> str:
        mapped = self.get_docker_client().port(self.get_container_id(), port or self.ready_port)
        return f"http://{LOOPBACK}:{mapped}"

    def logs_tail(self, lines: int = 40) -> str:
        try:
            out, err = self.get_logs()
        except Exception as exc:
            return f"(no logs: {exc})"
        text = (out + err).decode(errors="replace")
        return "\n".join(text.rstrip().splitlines()[-lines:])

    def is_ready(self) -> bool:
        response = requests.get(self.url() + self.ready_path, timeout=2)
        return response.status_code == 200

    def wait_ready(self, timeout: float) -> float:
        """Seconds it took; on timeout a ReadinessTimeoutError with the log tail and a hint."""
        started = time.monotonic()
        last = "not polled yet"
        while time.monotonic() - started < timeout:
            state = self._state()
            if state in ("exited", "dead"):
                raise ReadinessTimeoutError(self._failure(f"exited before it was ready ({state})"))
            try:
                if state == "running" and self.is_ready():
                    return time.monotonic() - started
                last = f"state {state}, not ready yet"
            except (requests.RequestException, ValueError) as exc:
                last = f"{type(exc).__name__}: {str(exc)[:120]}"
            time.sleep(0.3)
        raise ReadinessTimeoutError(self._failure(f"not ready after {timeout:.0f}s (last: {last})"))

    def _state(self) -> str:
        wrapped = self.get_wrapped_container()
        if wrapped is None:
            return "unknown"
        wrapped.reload()
        return str(wrapped.status)

    def _failure(self, what: str) -> str:
        return (f"{self.alias} ({self.image}) {what}: waited on {self.ready_path} port {self.ready_port}\n"
                f"--- last log lines of {self.alias} ---\n{self.logs_tail()}\n--- hint: {self.hint}")


def owner_labels(run_id: str, extra: dict[str, str]) -> dict[str, str]:
    return {OWNER_LABEL: "obsdrill", RUN_LABEL: run_id, **extra}


def stage_config(source: Path, run_dir: Path, name: str) -> Path:
    """Copy a component's config dir (e.g. stack/otelcol/) to ``run_dir/name`` for mounting: files 0644, dirs
    0755, since the containers read them as non-root users. Returns the copy."""
    target = run_dir / name
    shutil.copytree(source, target, dirs_exist_ok=True)
    target.chmod(0o755)
    for path in target.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target
