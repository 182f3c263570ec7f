"""The stack ``obsdrill up`` left running, found again: ``up`` writes a state file in the cache dir
(``up/<run id>.json``: run dir, mode, time factor, each component's container port); the containers are found
by the run's labels (io.obsdrill.run, pid ``detached``). ``obsdrill run --reuse`` runs the scenarios on it
(a ReusedStack: the external stack's URLs, plus the containers: crashed services restarted, amtool routing,
the harness sink)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import docker

from harness import envvars, progress, stackfaults
from harness.clients import AlertmanagerClient
from harness.components.alertmanager import CONFIG_DIR as AM_CONFIG_DIR
from harness.components.spec import COMPONENT_LABEL
from harness.errors import ConfigError, ObsdrillError, StackError
from harness.external import ExternalStack, ExternalTarget
from harness.platform import GPU_SIM, SERVICES
from harness.progress import Log
from harness.reaper import DETACHED, PID_LABEL
from harness.settings import OWNER_LABEL, RUN_LABEL, Settings

LATEST = "latest"


@dataclass(frozen=True)
class UpState:
    run_id: str
    run_dir: str
    stack_mode: str
    time_factor: float
    ports: dict[str, int]  # component -> the container port its URL is on
    started: float = 0.0


def state_dir(cache_dir: Path) -> Path:
    return cache_dir / "up"


def record(cache_dir: Path, stack: Any) -> Path:
    """Write the state of a started harness.stack.Stack (``obsdrill up``)."""
    ports = {alias: c.spec.url_port for alias, c in stack.containers.items()}
    state = UpState(stack.run_id, str(stack.run_dir), stack.settings.stack_mode, stack.settings.time_factor, ports,
                    time.time())
    path = state_dir(cache_dir) / f"{stack.run_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asdict(state), indent=2))
    return path


def forget(cache_dir: Path, run_ids: list[str] | None = None) -> None:
    """Remove the state files of ``run_ids`` (None: of every run whose containers are gone)."""
    for path in state_dir(cache_dir).glob("*.json"):
        if run_ids is None or path.stem in run_ids:
            path.unlink(missing_ok=True)


def running(client: docker.DockerClient) -> dict[str, dict[str, Any]]:
    """run id -> component -> container, of the stacks `obsdrill up` started that still run."""
    found: dict[str, dict[str, Any]] = {}
    for container in client.containers.list(all=True, filters={
            "label": [f"{OWNER_LABEL}=obsdrill", f"{PID_LABEL}={DETACHED}"]}):
        labels = container.labels
        found.setdefault(labels.get(RUN_LABEL, "?"), {})[labels.get(COMPONENT_LABEL, container.name)] = container
    return found


def find(cache_dir: Path, client: docker.DockerClient, run_id: str = LATEST) -> tuple[UpState, dict[str, Any]]:
    """The up-run ``run_id`` (``latest``: the one started last) with its containers."""
    alive = running(client)
    states = {}
    for path in state_dir(cache_dir).glob("*.json"):
        try:
            states[path.stem] = UpState(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(f"{path}: unreadable `obsdrill up` state: {exc}") from None
    usable = {k: v for k, v in states.items() if k in alive}
    if not usable:
        raise ConfigError("no stack started by `obsdrill up` is running (start one with `obsdrill up`)"
                          + (f"; state files without containers: {', '.join(states)}" if states else ""))
    if run_id == LATEST:
        run_id = max(usable, key=lambda k: usable[k].started)
    if run_id not in usable:
        raise ConfigError(f"--reuse {run_id}: no such running `obsdrill up` stack (running: {', '.join(usable)})")
    return usable[run_id], alive[run_id]


class DockerAm:
    """amtool and logs of a running Alertmanager container (the AmContainer protocol)."""

    def __init__(self, container: Any) -> None:
        self.container = container

    def exec(self, command: str | list[str]) -> Any:
        return self.container.exec_run(command)

    def logs_tail(self, lines: int = 40) -> str:
        return str(self.container.logs(tail=lines).decode(errors="replace"))


def host_url(container: Any, port: int) -> str:
    container.reload()
    bindings = (container.attrs.get("NetworkSettings", {}).get("Ports") or {}).get(f"{port}/tcp") or []
    if not bindings:
        raise StackError(f"container {container.name}: port {port} is not published")
    return f"http://127.0.0.1:{bindings[0]['HostPort']}"


class ReusedStack(ExternalStack):
    """The StackApi on an up-run's containers: nothing started (and nothing stopped: ``obsdrill down`` does
    that); between scenarios faults are cleared, crashed services restarted and the sink emptied, as on a
    stack of the run's own. The config is read from the servers into this run's own dir (the up-run's
    rendered config, which its containers mount, is never written)."""

    def __init__(self, settings: Settings, state: UpState, containers: dict[str, Any],
                 log: Log = progress.say, ready_timeout: float = 120.0) -> None:
        self.state, self.ready_timeout = state, ready_timeout
        urls = {c: host_url(containers[c], state.ports[c]) for c in containers if c in state.ports}
        services = {s: urls[s] for s in (*SERVICES, GPU_SIM) if s in urls}
        target = ExternalTarget({c: u for c, u in urls.items() if c not in services}, services)
        super().__init__(settings.validated(time_factor=state.time_factor, stack_mode=state.stack_mode), target, log)
        self.containers = containers

    def start(self) -> ReusedStack:
        super().start()
        self.log(f"reusing the `obsdrill up` stack {self.state.run_id} ({self.state.stack_mode}, time "
                 f"factor {self.state.time_factor:g}; its config in {self.state.run_dir})")
        return self

    def left_out(self) -> list[str]:
        return [f"{name} checks: this {self.state.stack_mode} stack runs no {name}"
                for name in ("elasticsearch", "jaeger") if not self.has(name)]

    def cannot(self, faults: list[tuple[str, str]]) -> list[str]:
        return []

    def reset(self) -> None:
        """As on a stack of the run's own: the up-run's Prometheus (admin API on) forgets its samples, a data
        tier server left stopped starts again, then the external reset (faults, crashed services, sink)."""
        self.prometheus.forget()
        for name in stackfaults.STOPPABLE:
            if name in self.containers:
                self.clear_stack_fault(name, "stop")
        super().reset()

    def stack_fault(self, component: str, fault: str, spec: dict[str, Any]) -> dict[str, Any]:
        if fault == "stop" and component in self.containers:
            self.containers[component].stop(timeout=10)
            self.log(f"  stopped {component} (until rollback)")
            return {"stopped": component}
        return super().stack_fault(component, fault, spec)

    def clear_stack_fault(self, component: str, fault: str) -> dict[str, Any]:
        if fault != "stop" or component not in self.containers:
            return super().clear_stack_fault(component, fault)
        container = self.containers[component]
        container.reload()
        if container.status == "running":
            return {}
        container.start()
        started = time.monotonic()
        while container.status != "running" and time.monotonic() - started < self.ready_timeout:
            time.sleep(0.3)
            container.reload()
        self.log(f"  started {component} again")
        return {"started": component}

    @property
    def alertmanager(self) -> AlertmanagerClient:
        return self._client("alertmanager", lambda: AlertmanagerClient(
            self.url("alertmanager"), DockerAm(self.containers["alertmanager"]), f"{AM_CONFIG_DIR}/alertmanager.yml"))

    def heal(self, name: str) -> None:
        container = self.containers[name]
        container.reload()
        if container.status != "running":
            container.start()
            url = host_url(container, self.state.ports[name])  # a restart may publish another host port
            self.target = dataclasses.replace(self.target, services={**self.target.services, name: url})
            self._clients.pop(name, None)
            self._wait_answering(name)
        super().heal(name)

    def _wait_answering(self, name: str) -> None:
        started = time.monotonic()
        while True:
            try:
                self.service(name).faults()
                self.log(f"  restarted {name} (ready after {time.monotonic() - started:.1f}s)")
                return
            except (ObsdrillError, OSError):
                if time.monotonic() - started > self.ready_timeout:
                    raise StackError(f"{name} did not answer {self.ready_timeout:.0f}s after its restart") from None
                time.sleep(0.5)


def options_env(args: argparse.Namespace) -> dict[str, str]:
    """``run --reuse [RUN_ID]`` as the environment the pytest session reads it from."""
    reuse = getattr(args, "reuse", None)
    return {envvars.REUSE: reuse} if reuse else {}


def reused(settings: Settings, run_id: str = LATEST) -> ReusedStack:
    """The ReusedStack of the up-run ``run_id`` (``latest``: the last one started)."""
    from harness.runtime import ensure_runtime

    client = ensure_runtime(settings.cache_dir, install=False).client()
    state, containers = find(settings.cache_dir, client, run_id)
    return ReusedStack(settings, state, containers)
