"""What one container of a run is, as plain frozen data: the components produce a ContainerSpec, and both the
harness (harness.components.base.ObsContainer, through Testcontainers) and ``obsdrill compose``
(harness.compose) are built from that one description."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from harness.settings import OWNER_LABEL, RUN_LABEL

COMPONENT_LABEL = "io.obsdrill.component"
LOG_DIR_MODE = 0o755  # the run's log dir: written by the services, read by the collector (a non-root user)


@dataclass(frozen=True)
class RunContext:
    """What every container of one run shares: its id, labels and rendered config dir."""

    run_id: str
    labels: tuple[tuple[str, str], ...]
    run_dir: Path

    @property
    def log_dir(self) -> Path:
        """The services' JSON log files (written by the services, tailed by the collector)."""
        return self.run_dir / "logs"


@dataclass(frozen=True)
class Mount:
    """A host dir or file bind-mounted at ``target``. ``create``: a dir the run makes (with this mode, chmod'ed
    even when it exists) before any container starts, since a container user other than root writes or reads it."""

    host: Path
    target: str
    mode: Literal["ro", "rw"] = "ro"
    create: int | None = None


@dataclass(frozen=True)
class Tmpfs:
    target: str
    size: str
    mode: str = "1777"

    def options(self) -> str:
        """The mount options as docker run and Compose spell them."""
        return f"size={self.size},mode={self.mode}"


@dataclass(frozen=True)
class Ulimit:
    name: str
    soft: int
    hard: int


@dataclass(frozen=True)
class Readiness:
    """Ready when GET on every path of ``port`` answers 200 (in order; ``auth``: HTTP basic credentials); with
    no paths (a server that speaks no HTTP: PostgreSQL, Redis), when ``port`` accepts a TCP connection."""

    port: int
    paths: tuple[str, ...] = ("/",)
    hint: str = "check the container log above"
    auth: tuple[str, str] | None = None


@dataclass(frozen=True)
class ContainerSpec:
    """One container: image, command, environment, ports (published on 127.0.0.1 only), mounts, labels and
    readiness. ``name`` is the engine's container name (Compose names containers by project instead)."""

    alias: str
    name: str
    image: str
    readiness: Readiness
    command: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    ports: tuple[int, ...] = ()
    mounts: tuple[Mount, ...] = ()
    tmpfs: tuple[Tmpfs, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    user: str | None = None
    ulimits: tuple[Ulimit, ...] = ()
    hostname: str | None = None  # the UTS name (node_exporter's nodename); None: the engine's (container id)
    api_port: int | None = None  # the port its URL names (clients, `obsdrill up`); None: the readiness port

    @property
    def url_port(self) -> int:
        return self.api_port or self.readiness.port

    @property
    def aliases(self) -> tuple[str, ...]:
        """DNS names on the run network."""
        return (self.alias,)

    def environment(self) -> dict[str, str]:
        return dict(self.env)

    def label_map(self) -> dict[str, str]:
        return dict(self.labels)


def container(run: RunContext, alias: str, image: str, readiness: Readiness) -> ContainerSpec:
    """A spec named and labelled for ``run``; components fill in the rest with ``dataclasses.replace``."""
    return ContainerSpec(alias=alias, name=f"obsdrill-{run.run_id}-{alias}", image=image, readiness=readiness,
                         labels=(*run.labels, (COMPONENT_LABEL, alias)))


def owner_labels(run_id: str, extra: dict[str, str]) -> dict[str, str]:
    return {OWNER_LABEL: "obsdrill", RUN_LABEL: run_id, **extra}
