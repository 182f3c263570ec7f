"""The synthetic services and the notification sink, all from the local `services` image."""

from __future__ import annotations

from harness.components.base import ObsContainer, RunContext


class ServiceContainer(ObsContainer):
    ready_path = "/health"
    ready_port = 8000

    def __init__(self, image: str, run: RunContext, service: str, port: int = 8000) -> None:
        self.alias = service
        self.ready_port = port
        super().__init__(image, run)
        self.with_loopback_port(port)
        self.with_command([service, "--host", "0.0.0.0", "--port", str(port)])


class SinkContainer(ObsContainer):
    alias = "sink"
    ready_path = "/health"
    ready_port = 8080
    hint = "the sink runs aiosmtpd on 1025 and HTTP on 8080 inside the run network"

    def __init__(self, image: str, run: RunContext) -> None:
        super().__init__(image, run)
        self.with_loopback_port(8080)
        self.with_command(["sink", "--host", "0.0.0.0", "--port", "8080", "--smtp-port", "1025"])
