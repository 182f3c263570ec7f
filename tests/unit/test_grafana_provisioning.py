"""Grafana provisioning under stack/grafana/ (no Grafana needed): data sources and their links, the dashboard
provider, the seed's overview dashboard verbatim, and every PromQL expression parsed (promql-parser) and
checked against the metric names the platform really exposes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml
from prometheus_client import CollectorRegistry

from gpu_sim.exporter import DCGM_FIELDS, LABELS, UP_METRIC
from harness.clients.grafana import Dashboard, flatten_panels
from harness.components.grafana import DASHBOARDS_DIR, OVERVIEW_UID, PROVISIONING_DIR, grafana_env
from harness.settings import project_root
from synthetic_services.metrics import SeedMetrics
from synthetic_services.platform import METRIC_FAMILIES

GRAFANA = project_root() / "stack" / "grafana"
PLATFORM_DOC = project_root() / "docs" / "platform.md"
NODE_EXPORTER = {"node_cpu_seconds_total", "node_memory_MemTotal_bytes", "node_memory_MemAvailable_bytes",
                 "node_filesystem_avail_bytes", "node_filesystem_size_bytes"}
NODE_LABELS = {"cpu", "mode", "device", "fstype", "mountpoint"}
PROMETHEUS_LABELS = {"job", "instance", "service", "le"}  # added by Prometheus (service: target label)

# The seed's "Recoloca.ai - Application Overview" (spec 004, Grafana Dashboard Configuration), panel by panel:
# id, title, type, [(expr, legendFormat)], unit, threshold steps.
SEED_PANELS: list[tuple[int, str, str, list[tuple[str, str]], str | None, list[tuple[str, float | None]] | None]] = [
    (1, "Request Rate", "stat", [("sum(rate(http_requests_total[5m]))", "Requests/sec")], "reqps",
     [("green", None), ("yellow", 100), ("red", 500)]),
    (2, "Error Rate", "stat",
     [('sum(rate(http_requests_total{status_code=~"5.."}[5m])) / sum(rate(http_requests_total[5m])) * 100',
       "Error Rate %")], "percent", [("green", None), ("yellow", 1), ("red", 5)]),
    (3, "Response Time (95th percentile)", "timeseries",
     [("histogram_quantile(0.95, sum(rate(http_request_duration_seconds_bucket[5m])) by (le, endpoint))",
       "{{ endpoint }}")], "s", None),
    (4, "CV Analyses per Hour", "timeseries", [("sum(rate(cv_analyses_total[1h])) * 3600", "Analyses/hour")],
     None, None),
    (5, "Active Users", "stat", [('count(count by (user_id) (http_requests_total{user_id!=""}))', "Active Users")],
     None, None),
    (6, "Database Performance", "timeseries",
     [("database_connections_active", "Active Connections"), ("rate(database_queries_total[5m])", "Queries/sec")],
     None, None),
]
# What the seed's panels query that the platform does not have; kept verbatim, explained in the panel description.
SEED_ONLY_METRICS: set[str] = set()
# The seed's panels that showed No data on a healthy, loaded platform (the dashboards check of scenario
# baseline): the query they have instead, explained in the panel's description.
CORRECTED: dict[str, list[tuple[str, str]]] = {
    "Error Rate": [('(sum(rate(http_requests_total{status_code=~"5.."}[5m])) or vector(0)) / '
                    'sum(rate(http_requests_total[5m])) * 100', "Error Rate %")],
    "Active Users": [("sum(frontend_active_users)", "Active Users")],
}


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _datasources() -> list[dict[str, Any]]:
    return list(_yaml(GRAFANA / "provisioning" / "datasources" / "datasources.yaml")["datasources"])


def _dashboards() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in sorted((GRAFANA / "dashboards").glob("*.json"))}


def _panels(model: dict[str, Any]) -> list[dict[str, Any]]:
    return flatten_panels(model["panels"])


def _targets() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    return [(name, panel, target) for name, model in _dashboards().items() for panel in _panels(model)
            for target in panel["targets"]]


def _is_seed(model: dict[str, Any], panel: dict[str, Any]) -> bool:
    return model["uid"] == OVERVIEW_UID and panel["title"] in {p[1] for p in SEED_PANELS}


def documented_metrics() -> dict[str, set[str]]:
    """Metric name -> label names, as the Metrics section of docs/platform.md (the platform's contract) lists
    them: ``name`` and ``name{label, ...}`` in the text, and the table rows ``| `name` | labels | service |``."""
    text = PLATFORM_DOC.read_text()
    section = text[text.index("## Metrics"):text.index("\n## ", text.index("## Metrics") + 1)]
    metrics: dict[str, set[str]] = {name: set() for name in re.findall(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`", section)}
    for name, labels in re.findall(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\{([^`}]*)\}`", section):
        metrics[name] = {label.strip() for label in labels.split(",")}
    for name, column in re.findall(r"^\| `([a-z][a-z0-9_]+)` \| ([^|]*) \|", section, flags=re.MULTILINE):
        metrics[name] = set(re.findall(r"[a-z][a-z0-9_]*", re.sub(r"\(.*?\)", "", column)))
    return metrics


def allowed_metrics() -> set[str]:
    """Every series name a query may select: the documented metrics (``*_seconds`` are histograms: their
    ``_bucket``/``_sum``/``_count`` series), the DCGM exporter's (gpu_sim), node_exporter's, and ``up``."""
    series = set()
    for name in documented_metrics():
        series.add(name)
        if name.endswith("_seconds") or METRIC_FAMILIES.get(name) == "histogram":
            series.update(name + suffix for suffix in ("_bucket", "_sum", "_count"))
    return series | {f.name for f in DCGM_FIELDS} | {UP_METRIC} | NODE_EXPORTER | {"up"}


def allowed_labels() -> set[str]:
    documented = {label for labels in documented_metrics().values() for label in labels}
    return documented | set(LABELS) | NODE_LABELS | PROMETHEUS_LABELS


def selectors(expr: str) -> tuple[list[str | None], set[str]]:
    """Metric names of every vector selector in ``expr`` (None when unnamed) and every label it names."""
    names: list[str | None] = []
    labels: set[str] = set()

    def visit(node: promql_parser.Expr) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            names.append(node.name)
            labels.update(m.name for m in node.matchers.matchers)
        elif isinstance(node, promql_parser.AggregateExpr) and node.modifier is not None:
            labels.update(node.modifier.labels)
        elif isinstance(node, promql_parser.BinaryExpr) and node.modifier and node.modifier.matching:
            labels.update(node.modifier.matching.labels)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names, labels


def test_three_datasources_with_fixed_uids_and_one_default() -> None:
    sources = {d["uid"]: d for d in _datasources()}
    assert {uid: (d["type"], d["url"]) for uid, d in sources.items()} == {
        "prometheus": ("prometheus", "http://prometheus:9090"),
        "elasticsearch": ("elasticsearch", "http://elasticsearch:9200"),
        "jaeger": ("jaeger", "http://jaeger:16686")}
    assert [uid for uid, d in sources.items() if d.get("isDefault")] == ["prometheus"]
    assert all(d["access"] == "proxy" for d in sources.values())
    es = sources["elasticsearch"]["jsonData"]
    assert (es["index"], es["timeField"], es["esVersion"]) == ("recoloca-logs-*", "@timestamp", "8.0.0")


def test_logs_and_traces_link_each_other_by_trace_id() -> None:
    sources = {d["uid"]: d for d in _datasources()}
    (link,) = sources["elasticsearch"]["jsonData"]["dataLinks"]
    assert (link["field"], link["datasourceUid"], link["url"]) == ("trace_id", "jaeger", "$${__value.raw}")
    to_logs = sources["jaeger"]["jsonData"]["tracesToLogsV2"]
    assert to_logs["datasourceUid"] == "elasticsearch" and to_logs["customQuery"] is True
    # "$$" survives Grafana's env expansion of provisioning files as a literal "$".
    assert to_logs["query"].startswith("trace_id:") and "$${__span.traceId}" in to_logs["query"]
    assert all(uid in sources for uid in (link["datasourceUid"], to_logs["datasourceUid"]))


def test_dashboard_provider_reads_the_mounted_dashboards_dir() -> None:
    config = _yaml(GRAFANA / "provisioning" / "dashboards" / "dashboards.yaml")
    assert config["apiVersion"] == 1
    (provider,) = config["providers"]
    assert provider["type"] == "file" and provider["options"]["path"] == DASHBOARDS_DIR
    assert provider["allowUiUpdates"] is False
    assert (GRAFANA / "dashboards").is_dir() and (GRAFANA / "provisioning" / "datasources").is_dir()


def test_component_env_points_at_the_mount_and_calls_nothing_outside() -> None:
    env = grafana_env("s3cret")
    assert env["GF_PATHS_PROVISIONING"] == PROVISIONING_DIR
    assert env["GF_SECURITY_ADMIN_PASSWORD"] == "s3cret"
    assert (env["GF_AUTH_ANONYMOUS_ENABLED"], env["GF_AUTH_ANONYMOUS_ORG_ROLE"]) == ("true", "Viewer")
    for key in ("GF_ANALYTICS_REPORTING_ENABLED", "GF_ANALYTICS_CHECK_FOR_UPDATES",
                "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES"):
        assert env[key] == "false", key
    assert env["GF_PLUGINS_PREINSTALL_DISABLED"] == "true"


@pytest.mark.parametrize("name", sorted(_dashboards()))
def test_dashboard_is_a_provisionable_model(name: str) -> None:
    model = _dashboards()[name]
    assert "dashboard" not in model, "provisioned files hold the dashboard model itself, not an API wrapper"
    assert model["uid"] and model["title"] and isinstance(model["schemaVersion"], int)
    panels = _panels(model)
    assert panels and len({p["id"] for p in panels}) == len(panels)
    uids = {d["uid"] for d in _datasources()}
    for panel in panels:
        assert panel["targets"], f"{name}: panel {panel['title']!r} has no targets"
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"])
        refs = [panel["datasource"], *(t["datasource"] for t in panel["targets"])]
        assert all(ref["uid"] in uids for ref in refs), f"{name}: {panel['title']!r}: unknown datasource uid"
        assert len({t["refId"] for t in panel["targets"]}) == len(panel["targets"])


def test_dashboard_uids_and_titles_are_unique() -> None:
    models = list(_dashboards().values())
    assert len({m["uid"] for m in models}) == len({m["title"] for m in models}) == len(models) >= 4


def test_overview_is_the_seed_dashboard_verbatim() -> None:
    model = _dashboards()["application-overview.json"]
    assert (model["uid"], model["title"], model["tags"]) == (
        OVERVIEW_UID, "Recoloca.ai - Application Overview", ["recoloca", "overview"])
    assert (model["timezone"], model["time"], model["refresh"]) == ("browser", {"from": "now-1h", "to": "now"}, "30s")
    panels = {p["id"]: p for p in _panels(model)}
    assert sorted(panels) == [p[0] for p in SEED_PANELS]
    for pid, title, ptype, targets, unit, steps in SEED_PANELS:
        panel = panels[pid]
        assert (panel["title"], panel["type"]) == (title, ptype)
        assert [(t["expr"], t["legendFormat"]) for t in panel["targets"]] == CORRECTED.get(title, targets), title
        if title in CORRECTED:
            assert "No data" in panel["description"], title  # the description says why the seed's query changed
        defaults = panel.get("fieldConfig", {}).get("defaults", {})
        assert defaults.get("unit") == unit, title
        got = defaults.get("thresholds", {}).get("steps")
        assert (None if got is None else [(s["color"], s["value"]) for s in got]) == steps, title


def test_seed_panels_without_platform_data_say_so() -> None:
    panels = {p["title"]: p for p in _panels(_dashboards()["application-overview.json"])}
    assert "a user_id label no metric carries" in panels["Active Users"]["description"]
    assert "database_queries_total" in panels["Database Performance"]["description"]


@pytest.mark.parametrize(("name", "panel", "target"), _targets(),
                         ids=[f"{n}:{p['title']}:{t['refId']}" for n, p, t in _targets()])
def test_promql_parses_and_uses_only_platform_metrics(name: str, panel: dict[str, Any],
                                                      target: dict[str, Any]) -> None:
    try:
        names, labels = selectors(target["expr"])
    except ValueError as exc:
        pytest.fail(f"{name}: {panel['title']!r}: PromQL does not parse: {exc}: {target['expr']}")
    model = _dashboards()[name]
    seed = _is_seed(model, panel)
    allowed = allowed_metrics() | (SEED_ONLY_METRICS if seed else set())
    assert names and None not in names, f"{name}: {panel['title']!r}: every selector names its metric"
    assert set(names) <= allowed, f"{name}: {panel['title']!r}: unknown metric(s) {set(names) - allowed}"
    if not seed:  # the seed's own panels are kept verbatim (Active Users filters on a user_id label)
        legend = set(re.findall(r"\{\{\s*(\w+)\s*\}\}", target["legendFormat"]))
        unknown = (labels | legend) - allowed_labels()
        assert not unknown, f"{name}: {panel['title']!r}: unknown label(s) {unknown}"


def test_documented_metrics_cover_what_the_services_register() -> None:
    documented = documented_metrics()
    assert len(documented) >= 13 and documented["ai_generations_total"] == {"model", "status"}
    assert documented["http_requests_total"] == {"method", "endpoint", "status_code"}
    registry = CollectorRegistry()
    SeedMetrics(registry)
    for family in registry.collect():
        name = family.name + "_total" if family.type == "counter" else family.name
        assert name in documented, f"{name} is registered by synthetic_services but not in docs/platform.md"


def test_client_reads_a_dashboard_api_answer() -> None:
    model = _dashboards()["application-overview.json"]
    row = {"id": 99, "type": "row", "title": "collapsed", "panels": [model["panels"][0]], "collapsed": True}
    answer = {"dashboard": {**model, "panels": [row, *model["panels"][1:]]},
              "meta": {"provisioned": True, "folderTitle": "Recoloca.ai"}}
    dashboard = Dashboard.from_json(answer)
    assert (dashboard.uid, dashboard.provisioned, dashboard.folder) == (OVERVIEW_UID, True, "Recoloca.ai")
    assert [p.id for p in dashboard.panels] == [1, 2, 3, 4, 5, 6]
    panel = dashboard.panel("Database Performance")
    assert panel is not None and panel.datasource_uid == "prometheus"
    assert panel.exprs == ("database_connections_active", "rate(database_queries_total[5m])")
