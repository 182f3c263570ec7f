"""The running form of a ContainerSpec: a Testcontainers container built through its public API, on the run's
network, ports published on 127.0.0.1 only, with a readiness wait whose timeout error carries the container's
log tail and a hint, and host URLs resolved once per start."""

from __future__ import annotations

import socket
import time
from typing import Any

import requests
from docker.types import Ulimit as DockerUlimit
from testcontainers.core.container import DockerContainer
from testcontainers.core.network import Network

from harness import portforward, progress
from harness.components.spec import ContainerSpec
from harness.errors import ReadinessTimeoutError

LOOPBACK = "127.0.0.1"

FORWARDING_GRACE_S = 15.0  # a host port failing this long while the container's address accepts: a stale forward


def run_options(spec: ContainerSpec) -> dict[str, Any]:
    """The docker-py run options of ``spec`` that Testcontainers has no builder for (``with_kwargs``)."""
    options: dict[str, Any] = {"labels": spec.label_map()}
    if spec.user is not None:
        options["user"] = spec.user
    if spec.hostname is not None:
        options["hostname"] = spec.hostname
    if spec.ulimits:
        options["ulimits"] = [DockerUlimit(name=u.name, soft=u.soft, hard=u.hard) for u in spec.ulimits]
    return options


class ObsContainer(DockerContainer):
    """One started (or startable) container of a run. ``url()`` asks the engine for a mapped port once per
    start: a restart may map other host ports, so ``restart`` forgets them."""

    def __init__(self, spec: ContainerSpec, network: Network, docker_client_kw: dict[str, Any] | None = None) -> None:
        super().__init__(spec.image, docker_client_kw=docker_client_kw)
        self.spec = spec
        self.alias = spec.alias
        self.with_name(spec.name).with_network(network).with_network_aliases(*spec.aliases)
        if spec.command:
            self.with_command(list(spec.command))
        for key, value in spec.env:
            self.with_env(key, value)
        for port in spec.ports:
            # with_bind_ports takes no host address; docker-py reads an (address, None) binding from this
            # public mapping as "a free host port on that address only"
            self.ports[f"{port}/tcp"] = (LOOPBACK, None)  # type: ignore[assignment]
        for mount in spec.mounts:
            self.with_volume_mapping(str(mount.host), mount.target, mount.mode)
        for tmpfs in spec.tmpfs:
            self.with_tmpfs_mount(tmpfs.target, tmpfs.options())  # passed to the engine as the mount options
        self.with_kwargs(**run_options(spec))
        self._urls: dict[int, str] = {}

    def is_running(self) -> bool:
        return self._state() == "running"

    def restart(self, timeout: float) -> float:
        """Start the stopped or exited container again (same name, network alias and mounts); seconds to ready."""
        wrapped = self._wrapped()
        if wrapped is None:
            raise ReadinessTimeoutError(f"{self.alias}: cannot restart a container that was never started")
        self._urls.clear()
        wrapped.start()
        return self.wait_ready(timeout)

    def stop_for_fault(self) -> None:
        """Stop the running container (SIGTERM, then SIGKILL after 10 s); ``restart`` starts it again."""
        wrapped = self._wrapped()
        if wrapped is None:
            raise ReadinessTimeoutError(f"{self.alias}: cannot stop a container that was never started")
        wrapped.stop(timeout=10)

    def bounce(self, timeout: float) -> float:
        """Stop the running container (SIGTERM, its data on tmpfs is lost) and start it again; seconds to ready."""
        self.stop_for_fault()
        return self.restart(timeout)

    def url(self, port: int | None = None) -> str:
        """``http://127.0.0.1:<host port>`` of a container port (default: the component's API port)."""
        port = port or self.spec.url_port
        if port not in self._urls:
            mapped = self.get_docker_client().port(self.get_container_id(), port)
            self._urls[port] = f"http://{LOOPBACK}:{mapped}"
        return self._urls[port]

    def logs_tail(self, lines: int = 40) -> str:
        try:
            out, err = self.get_logs()
        except Exception as exc:
            return f"(no logs: {exc})"
        text = (out + err).decode(errors="replace")
        return "\n".join(text.rstrip().splitlines()[-lines:])

    def is_ready(self) -> bool:
        ready = self.spec.readiness
        if not ready.paths:
            host, port = self.url(ready.port).removeprefix("http://").rsplit(":", 1)
            with socket.create_connection((host, int(port)), timeout=2):
                return True
        for path in ready.paths:
            if requests.get(self.url(ready.port) + path, auth=ready.auth, timeout=2).status_code != 200:
                return False
        return True

    def wait_ready(self, timeout: float) -> float:
        """Seconds it took; on timeout a ReadinessTimeoutError with the log tail and a hint. A host port that
        keeps failing while the container's own address accepts is a stale port forward of the engine (a removed
        container's DNAT rule for the same host port): those are deleted (looked for every 15 s), and it says so."""
        started = time.monotonic()
        last, refused_since, repaired = "not polled yet", None, False
        while time.monotonic() - started < timeout:
            state = self._state()
            if state in ("exited", "dead"):
                raise ReadinessTimeoutError(self._failure(f"exited before it was ready ({state})"))
            try:
                if state == "running" and self.is_ready():
                    return time.monotonic() - started
                last, refused_since = f"state {state}, not ready yet", None
            except (requests.RequestException, ValueError, OSError) as exc:
                last = f"{type(exc).__name__}: {str(exc)[:120]}"
                refused = isinstance(exc, (requests.ConnectionError, OSError))  # refused, reset or no answer
                refused_since = (refused_since or time.monotonic()) if refused else None
            if refused_since and not repaired and time.monotonic() - refused_since > FORWARDING_GRACE_S \
                    and self._forwarding_broken():
                repaired, refused_since = self._repair_forwarding(), None
            time.sleep(0.3)
        raise ReadinessTimeoutError(self._failure(f"not ready after {timeout:.0f}s (last: {last})"))

    def _repair_forwarding(self) -> bool:
        """Delete the engine's stale port forwards (harness/portforward.py); True when there were any."""
        client = self.get_docker_client().client
        pruned = portforward.prune_engine(client)
        if pruned:
            progress.say(f"{self.alias}: its host port did not answer while its own address did: deleted the "
                         f"port forwards of removed containers ({', '.join(pruned)})")
        return bool(pruned)

    def _forwarding_broken(self) -> bool:
        """The readiness port accepts on the container's own network address (reachable from a rootful engine's
        host; elsewhere this is False and nothing is touched)."""
        networks = self.get_wrapped_container().attrs.get("NetworkSettings", {}).get("Networks") or {}
        for net in networks.values():
            if address := net.get("IPAddress"):
                try:
                    with socket.create_connection((address, self.spec.readiness.port), timeout=2):
                        return True
                except OSError:
                    continue
        return False

    def _wrapped(self) -> Any:
        return self.get_wrapped_container() if self.status != "not_started" else None

    def _state(self) -> str:
        wrapped = self._wrapped()
        if wrapped is None:
            return "unknown"
        wrapped.reload()
        return str(wrapped.status)

    def _failure(self, what: str) -> str:
        ready = self.spec.readiness
        return (f"{self.alias} ({self.image}) {what}: waited on {', '.join(ready.paths)} port {ready.port}\n"
                f"--- last log lines of {self.alias} ---\n{self.logs_tail()}\n--- hint: {ready.hint}")
