"""Jaeger v2 all-in-one: OTLP in (from the collector), in-memory trace store, query API on 16686."""

from __future__ import annotations

from harness.components.base import ObsContainer, RunContext

CONFIG_DIR = "/etc/obsdrill/jaeger"
OTLP_GRPC, OTLP_HTTP, QUERY, HEALTH = 4317, 4318, 16686, 13133


class JaegerContainer(ObsContainer):
    alias = "jaeger"
    ready_path = "/status"
    ready_port = HEALTH
    hint = "a config error shows as 'failed to get config' above; check reports/runs/<run-id>/jaeger/config.yaml"

    def __init__(self, image: str, run: RunContext) -> None:
        super().__init__(image, run)
        for port in (OTLP_GRPC, OTLP_HTTP, QUERY, HEALTH):
            self.with_loopback_port(port)
        self.with_volume_mapping(str(run.run_dir / "jaeger"), CONFIG_DIR, "ro")
        self.with_command([f"--config={CONFIG_DIR}/config.yaml"])

    def query_url(self) -> str:
        """Base URL of the query API (harness.clients.jaeger.JaegerClient) from the host."""
        return self.url(QUERY)
