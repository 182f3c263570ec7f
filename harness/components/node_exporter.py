"""node_exporter: host CPU and memory come from /proc (shared with the host); filesystems are the
container's own, so disk faults stay inside size-limited volumes."""

from __future__ import annotations

from harness.components.base import ObsContainer, RunContext


class NodeExporterContainer(ObsContainer):
    alias = "node-exporter"
    ready_path = "/metrics"
    ready_port = 9100

    def __init__(self, image: str, run: RunContext) -> None:
        super().__init__(image, run)
        self.with_loopback_port(9100)
        self.with_command(["--web.listen-address=0.0.0.0:9100"])
