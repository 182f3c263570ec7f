"""Jaeger v2 all-in-one: OTLP in (from the collector), in-memory trace store, query API on 16686."""

from __future__ import annotations

from dataclasses import replace

from harness.components.spec import ContainerSpec, Mount, Readiness, RunContext, container

ALIAS = "jaeger"
CONFIG_DIR = "/etc/obsdrill/jaeger"
OTLP_GRPC, OTLP_HTTP, QUERY, HEALTH = 4317, 4318, 16686, 13133  # QUERY: harness.clients.jaeger.JaegerClient


def jaeger(image: str, run: RunContext) -> ContainerSpec:
    hint = "a config error shows as 'failed to get config' above; check reports/runs/<run-id>/jaeger/config.yaml"
    return replace(
        container(run, ALIAS, image, Readiness(HEALTH, ("/status",), hint)),
        command=(f"--config={CONFIG_DIR}/config.yaml",),
        ports=(OTLP_GRPC, OTLP_HTTP, QUERY, HEALTH),
        api_port=QUERY,  # its URL is the query API and UI, not the health port it is probed on
        mounts=(Mount(run.run_dir / ALIAS, CONFIG_DIR, "ro"),),
    )
