"""Which metric names the stack's components export, and the alert rules that read one none of them does
(`obsdrill validate` warns: such a rule can never fire on this stack, usually a typo or a metric of a
component the harness does not run). Exact names for the synthetic services (their platform contract),
name prefixes for the third-party exporters and servers, Prometheus's own synthetic series, and whatever
the config's recording rules record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import promql_parser

from harness.config import SourceConfig
from synthetic_services.platform import METRIC_FAMILIES

HISTOGRAM_SERIES = ("_bucket", "_sum", "_count")
# (prefix, who exports it): node_exporter, the GPU exporter (DCGM-exporter names, tests/unit keeps gpu_sim in
# step), Prometheus and Alertmanager about themselves, the Go and Python client libraries' process metrics, the
# data tier's exporters.
EXPORTER_PREFIXES: tuple[tuple[str, str], ...] = (
    ("node_", "node_exporter"), ("DCGM_FI_", "the GPU exporter"), ("gpu_sim_", "the GPU exporter"),
    ("prometheus_", "Prometheus"), ("alertmanager_", "Alertmanager"), ("go_", "the Go runtime"),
    ("process_", "the process collector"), ("python_", "the Python client"), ("promhttp_", "promhttp"),
    ("net_conntrack_", "Prometheus"), ("otelcol_", "the OpenTelemetry Collector"),
    ("pg_", "postgres_exporter"), ("redis_", "redis_exporter"),
)
# who -> the scrape host (DNS alias; Prometheus scrapes itself at localhost) that serves those names alone
EXPORTER_HOSTS = {"node_exporter": "node-exporter", "the GPU exporter": "gpu-sim", "Prometheus": "localhost",
                  "Alertmanager": "alertmanager", "the OpenTelemetry Collector": "otelcol",
                  "postgres_exporter": "postgres-exporter", "redis_exporter": "redis-exporter"}
# What Prometheus writes itself: one `up` and the scrape_* series per target, ALERTS for the rules.
PROMETHEUS_SERIES = ("up", "scrape_duration_seconds", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
                     "scrape_series_added", "ALERTS", "ALERTS_FOR_STATE")


def service_series() -> frozenset[str]:
    """Every series name the synthetic services expose."""
    names: set[str] = set()
    for family, kind in METRIC_FAMILIES.items():
        names.update([family + suffix for suffix in HISTOGRAM_SERIES] if kind == "histogram" else [family])
    return frozenset(names)


def exported(name: str, recorded: Iterable[str] = ()) -> bool:
    return (name in service_series() or name in PROMETHEUS_SERIES or name in recorded
            or name.startswith(tuple(prefix for prefix, _ in EXPORTER_PREFIXES)))


def served_by(name: str) -> str | None:
    """The one scrape host that exports metric ``name`` (an exporter's or server's prefix), if it is one."""
    for prefix, who in EXPORTER_PREFIXES:
        if name.startswith(prefix) and who in EXPORTER_HOSTS:
            return EXPORTER_HOSTS[who]
    return None


def metric_names(expr: str) -> list[str]:
    """The metric names an expression selects by name (a selector by regex on __name__ is left out), read
    with promql-parser's own walk (it visits a matrix selector's vector selector too)."""
    found: list[str] = []

    def visit(node: Any) -> bool:
        if isinstance(node, promql_parser.VectorSelector) and node.name:
            found.append(str(node.name))
        return True

    try:
        promql_parser.walk(promql_parser.parse(expr), visit)
    except (ValueError, TypeError):
        return []  # an expression that does not parse is reported by the static checks
    return list(dict.fromkeys(found))


def recorded(source: SourceConfig) -> list[str]:
    """The names the config's recording rules record."""
    return [str(rule["record"]) for _, doc in source.rule_files for group in doc.get("groups") or []
            for rule in group.get("rules") or [] if isinstance(rule, dict) and "record" in rule]


def unexported_warnings(source: SourceConfig) -> list[str]:
    """One line per alert rule reading a metric that nothing in the stack exports."""
    records = recorded(source)
    out = []
    for rule in source.rules():
        missing = [name for name in metric_names(rule.expr) if not exported(name, records)]
        if missing:
            out.append(f"prometheus/{rule.file}: alert {rule.name} reads {', '.join(missing)}, which no component "
                       f"of the stack exports and no recording rule records: it cannot fire on this stack")
    return out
