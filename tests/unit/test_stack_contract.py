"""Names the harness shares with what it starts: the collector config (stack/otelcol/config.yaml) reads the
environment the harness sets and writes the log indices the harness reads; each service reads the environment
the harness sets on its container. The containers are read from docker-compose.yml, which test_compose.py
proves equal to what the harness starts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

import synthetic_services.envvars as service_env
from harness import envvars
from harness.clients.elasticsearch import LOGS_PREFIX, logs_index, logs_pattern
from harness.platform import SERVICES
from synthetic_services.tracing import sampling_ratio, traces_endpoint

ROOT = Path(__file__).resolve().parents[2]
OTELCOL = ROOT / "stack" / "otelcol" / "config.yaml"


def _environment(container: str) -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    env: dict[str, Any] = compose["services"][container]["environment"]
    return env


def test_the_collector_reads_the_environment_the_harness_sets() -> None:
    read = set(re.findall(r"\$\{env:([A-Z0-9_]+)", OTELCOL.read_text()))
    assert read == set(envvars.OTELCOL)
    assert set(_environment("otelcol")) == set(envvars.OTELCOL)


def test_each_service_reads_the_environment_the_harness_sets() -> None:
    for service in SERVICES:
        env = _environment(service)
        stores = {"backend": {service_env.DATABASE_URL, service_env.REDIS_URL},
                  "payments": {service_env.DATABASE_URL},
                  "frontend": {service_env.TIME_FACTOR}}.get(service, set())
        errors = {service_env.SENTRY_DSN, service_env.SENTRY_ENVIRONMENT, service_env.SENTRY_RELEASE}
        assert set(env) == {service_env.OTLP_ENDPOINT, service_env.TRACES_SAMPLER_ARG, *stores, *errors}, service
        assert env[service_env.SENTRY_DSN].endswith("@bugsink:8000/1") and env[service_env.SENTRY_RELEASE] == \
            f"{service}@1.0.0"
        assert traces_endpoint(env) == env[service_env.OTLP_ENDPOINT] + "/v1/traces"
        assert sampling_ratio({**env, service_env.TRACES_SAMPLER_ARG: "0.25"}) == 0.25


def test_the_collector_writes_the_log_indices_the_harness_reads() -> None:
    exporter = yaml.safe_load(OTELCOL.read_text())["exporters"]["elasticsearch"]
    assert exporter["logs_index"] == f"{LOGS_PREFIX}-logs"
    assert exporter["logstash_format"] == {"enabled": True, "prefix_separator": "-", "date_format": "%Y.%m.%d"}
    assert logs_pattern() == f"{exporter['logs_index']}-*"
    assert logs_index().startswith(f"{exporter['logs_index']}-")
