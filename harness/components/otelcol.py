"""OpenTelemetry Collector: tails the services' JSON log files (a host dir mounted read-only) into
Elasticsearch and relays OTLP traces to Jaeger. Its queue and file offsets live in a host dir of the run,
so they survive a restart of the container (persistent queue: logs written while Elasticsearch is down
arrive once it is back)."""

from __future__ import annotations

from pathlib import Path

from harness import envvars
from harness.components.base import ObsContainer, RunContext

CONFIG_DIR = "/etc/obsdrill/otelcol"
LOG_DIR = "/var/log/app"
STATE_DIR = "/var/lib/otelcol/file_storage"
OTLP_GRPC, OTLP_HTTP, HEALTH = 4317, 4318, 13133


class OtelcolContainer(ObsContainer):
    alias = "otelcol"
    ready_path = "/"
    ready_port = HEALTH
    hint = ("a config error shows as 'invalid configuration' or 'failed to get config' above; "
            "check reports/runs/<run-id>/otelcol/config.yaml")

    def __init__(self, image: str, run: RunContext, log_dir: Path | None = None,
                 es_url: str = "http://elasticsearch:9200", otlp_endpoint: str = "jaeger:4317") -> None:
        super().__init__(image, run)
        for port in (OTLP_GRPC, OTLP_HTTP, HEALTH):
            self.with_loopback_port(port)
        self.log_dir = log_dir or run.log_dir
        state = run.run_dir / "otelcol-state"
        state.mkdir(parents=True, exist_ok=True)
        state.chmod(0o777)  # the collector runs as uid 10001
        self.with_volume_mapping(str(run.run_dir / "otelcol"), CONFIG_DIR, "ro")
        self.with_volume_mapping(str(self.log_dir), LOG_DIR, "ro")
        self.with_volume_mapping(str(state), STATE_DIR, "rw")
        self.with_env(envvars.OTELCOL_ES_URL, es_url)
        self.with_env(envvars.OTELCOL_OTLP_ENDPOINT, otlp_endpoint)
        self.with_env(envvars.OTELCOL_LOG_GLOB, f"{LOG_DIR}/*.log")
        self.with_command([f"--config={CONFIG_DIR}/config.yaml"])

    def otlp_http_url(self) -> str:
        """Base URL for OTLP/HTTP from the host: POST {url}/v1/traces, /v1/logs."""
        return self.url(OTLP_HTTP)
