"""OpenTelemetry Collector: tails the services' JSON log files (a host dir mounted read-only) into
Elasticsearch and relays OTLP traces to Jaeger. Its queue and file offsets live in a host dir of the run,
so they survive a restart of the container (persistent queue: logs written while Elasticsearch is down
arrive once it is back)."""

from __future__ import annotations

from dataclasses import replace

from harness import envvars
from harness.components.spec import LOG_DIR_MODE, ContainerSpec, Mount, Readiness, RunContext, container

ALIAS = "otelcol"
CONFIG_DIR = "/etc/obsdrill/otelcol"
LOG_DIR = "/var/log/app"
STATE_DIR = "/var/lib/otelcol/file_storage"
OTLP_GRPC, OTLP_HTTP, HEALTH = 4317, 4318, 13133
STATE_MODE = 0o777  # the collector runs as uid 10001
HINT = ("a config error shows as 'invalid configuration' or 'failed to get config' above; "
        "check reports/runs/<run-id>/otelcol/config.yaml")


def otelcol(image: str, run: RunContext, es_url: str = "http://elasticsearch:9200",
            otlp_endpoint: str = "jaeger:4317") -> ContainerSpec:
    return replace(
        container(run, ALIAS, image, Readiness(HEALTH, ("/",), HINT)),
        command=(f"--config={CONFIG_DIR}/config.yaml",),
        env=((envvars.OTELCOL_ES_URL, es_url), (envvars.OTELCOL_OTLP_ENDPOINT, otlp_endpoint),
             (envvars.OTELCOL_LOG_GLOB, f"{LOG_DIR}/*.log")),
        ports=(OTLP_GRPC, OTLP_HTTP, HEALTH),
        mounts=(Mount(run.run_dir / ALIAS, CONFIG_DIR, "ro"),
                Mount(run.log_dir, LOG_DIR, "ro", create=LOG_DIR_MODE),
                Mount(run.run_dir / "otelcol-state", STATE_DIR, "rw", create=STATE_MODE)),
    )
