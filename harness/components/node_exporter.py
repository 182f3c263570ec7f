"""node_exporter with the layout a production host gives it: ``--path.rootfs=/host``, the host's data disk
mounted read-write under the rootfs (so ``node_filesystem_readonly`` is 0 and rules that skip read-only
filesystems see it), a stable host name (``node_uname_info``'s nodename, which rules join alerts on).

Host CPU and memory come from /proc (shared with the host). Filesystems: only the platform's data volumes
count, each a loop-mounted ext4 image at ``/host/<name>``, which node_exporter reports as mountpoint
``/<name>`` (the rootfs prefix stripped), fstype ext4, device the loop device (``/dev/loopN``). The machine's
own disks and the container's bind mounts are excluded, so DiskSpaceLow is about the run's size-limited volume
and never about the host's disk. Labels as Prometheus sees them: docs/platform.md (the monitored host)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from harness.components.spec import ContainerSpec, Mount, Readiness, RunContext, container

ALIAS = "node-exporter"
PORT = 9100
ROOTFS = "/host"
HOSTNAME = "platform-host"
# The container's own mounts (outside the rootfs, so their paths are not stripped): root is overlay (excluded
# by fstype), /etc/hosts and friends are bind mounts of the machine's disk, /dev/shm and /run are tmpfs.
EXCLUDE = "^/(dev|proc|sys|run|etc|var|usr|tmp|opt|srv|mnt|home|root|boot)($|/)"


def mountpoint(volume: str) -> str:
    """The ``mountpoint`` label of data volume ``volume`` (where a production host would mount the disk)."""
    return f"/{volume}"


def node_exporter(image: str, run: RunContext, volumes: dict[str, Path] | None = None) -> ContainerSpec:
    """``volumes``: the platform's data volumes by name, each mounted read-write at /host/<name>."""
    return replace(
        container(run, ALIAS, image, Readiness(PORT, ("/metrics",))),
        command=(f"--web.listen-address=0.0.0.0:{PORT}", f"--path.rootfs={ROOTFS}",
                 f"--collector.filesystem.mount-points-exclude={EXCLUDE}"),
        ports=(PORT,),
        mounts=tuple(Mount(host, f"{ROOTFS}{mountpoint(name)}", "rw") for name, host in (volumes or {}).items()),
        hostname=HOSTNAME,
    )
