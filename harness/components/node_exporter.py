"""node_exporter: host CPU and memory come from /proc (shared with the host). Filesystems: only the
platform's volumes mounted under /host/ count (the machine's own disks and the container's bind mounts are
excluded), so DiskSpaceLow is about the run's size-limited volume and never about the host's disk."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from harness.components.spec import ContainerSpec, Mount, Readiness, RunContext, container

ALIAS = "node-exporter"
PORT = 9100
VOLUME_ROOT = "/host"
# Everything but /host/...: root is overlay (excluded by fstype), /etc/hosts and friends are bind mounts of
# the host disk, /dev/shm and /run are tmpfs.
EXCLUDE = "^/(dev|proc|sys|run|etc|var|usr|tmp|opt|srv|mnt|home|root|boot)($|/)"


def node_exporter(image: str, run: RunContext, volumes: dict[str, Path] | None = None) -> ContainerSpec:
    """``volumes``: the platform's data volumes by name, each mounted read-only at /host/<name>."""
    return replace(
        container(run, ALIAS, image, Readiness(PORT, ("/metrics",))),
        command=(f"--web.listen-address=0.0.0.0:{PORT}", f"--collector.filesystem.mount-points-exclude={EXCLUDE}"),
        ports=(PORT,),
        mounts=tuple(Mount(host, f"{VOLUME_ROOT}/{name}", "ro") for name, host in (volumes or {}).items()),
    )
