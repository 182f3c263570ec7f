"""node_exporter: host CPU and memory come from /proc (shared with the host). Filesystems: only the
platform's volumes mounted under /host/ count (the machine's own disks and the container's bind mounts are
excluded), so DiskSpaceLow is about the run's size-limited volume and never about the host's disk."""

from __future__ import annotations

from pathlib import Path

from harness.components.base import ObsContainer, RunContext

VOLUME_ROOT = "/host"
# Everything but /host/...: root is overlay (excluded by fstype), /etc/hosts and friends are bind mounts of
# the host disk, /dev/shm and /run are tmpfs.
EXCLUDE = "^/(dev|proc|sys|run|etc|var|usr|tmp|opt|srv|mnt|home|root|boot)($|/)"


class NodeExporterContainer(ObsContainer):
    alias = "node-exporter"
    ready_path = "/metrics"
    ready_port = 9100

    def __init__(self, image: str, run: RunContext) -> None:
        super().__init__(image, run)
        self.with_loopback_port(9100)
        self.with_command(["--web.listen-address=0.0.0.0:9100",
                           f"--collector.filesystem.mount-points-exclude={EXCLUDE}"])

    def with_volume(self, name: str, host_dir: Path) -> NodeExporterContainer:
        self.with_volume_mapping(str(host_dir), f"{VOLUME_ROOT}/{name}", "ro")
        return self
