"""The environment variables of the harness, each name once: those it reads (settings, image choice) and those
it sets on the collector container for stack/otelcol/config.yaml. The services' own are
synthetic_services/envvars.py."""

from __future__ import annotations

CONFIG_DIR = "OBSDRILL_CONFIG_DIR"
CERTIFY = "OBSDRILL_CERTIFY"  # enforce: a certificate mismatch fails the scenario; report (default): it is said
SCENARIOS_DIR = "OBSDRILL_SCENARIOS_DIR"
REPORTS_DIR = "OBSDRILL_REPORTS_DIR"
CACHE_DIR = "OBSDRILL_CACHE_DIR"
TIME_FACTOR = "OBSDRILL_TIME_FACTOR"
IMAGES = "OBSDRILL_IMAGES"
IMAGE_PREFIX = "OBSDRILL_IMAGE_"
SLACK = "OBSDRILL_SLACK"
STACK = "OBSDRILL_STACK"
TRACE_SAMPLING = "OBSDRILL_TRACE_SAMPLING"
# --stack external (harness/external.py): a YAML file of URLs, one URL per component, NAME=URL services.
EXTERNAL = "OBSDRILL_EXTERNAL"
EXTERNAL_SERVICES = "OBSDRILL_EXTERNAL_SERVICES"
BUGSINK_TOKEN = "OBSDRILL_BUGSINK_TOKEN"  # --stack external: the API token of the team's Bugsink
CHROMIUM = "OBSDRILL_CHROMIUM"  # the browser users' Chromium binary (harness/browsers.py; default Debian's)
REUSE = "OBSDRILL_REUSE"  # run on the stack `obsdrill up` started: its run id, or "latest" (harness/session.py)

# Set on the collector; its config reads each as ${env:NAME:-default} (tests/unit/test_stack_contract.py).
OTELCOL_ES_URL = "OBSDRILL_ES_URL"
OTELCOL_OTLP_ENDPOINT = "OBSDRILL_OTLP_ENDPOINT"
OTELCOL_LOG_GLOB = "OBSDRILL_LOG_GLOB"
OTELCOL = (OTELCOL_ES_URL, OTELCOL_OTLP_ENDPOINT, OTELCOL_LOG_GLOB)


def image_override(component: str) -> str:
    """The variable naming one component's image: ``node-exporter`` -> ``OBSDRILL_IMAGE_NODE_EXPORTER``."""
    return IMAGE_PREFIX + component.upper().replace("-", "_")


def external(component: str) -> str:
    """The variable naming an external stack's component URL: ``prometheus`` -> ``OBSDRILL_EXTERNAL_PROMETHEUS``."""
    return f"{EXTERNAL}_{component.upper()}"
