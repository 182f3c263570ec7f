"""`obsdrill validate` warns about an alert rule that reads a metric no component of the stack exports (issue
9.3); the catalogue it reads is kept equal to what the services and the GPU exporter really register."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from prometheus_client import CollectorRegistry

from gpu_sim.exporter import DCGM_FIELDS, UP_METRIC
from harness.config import load_source
from harness.exports import EXPORTER_PREFIXES, exported, metric_names, service_series, unexported_warnings
from harness.scenario.check import validate
from synthetic_services.metrics import SeedMetrics
from synthetic_services.platform import METRIC_FAMILIES


def test_the_declared_families_are_what_the_services_register() -> None:
    registry = CollectorRegistry()
    SeedMetrics(registry)
    kinds = {family.name: family.type for family in registry.collect()}
    declared = {name.removesuffix("_total") if kind == "counter" else name: kind
                for name, kind in METRIC_FAMILIES.items()}
    assert kinds == declared
    samples = {s.name for family in registry.collect() for s in family.samples if not s.name.endswith("_created")}
    assert samples <= service_series()


def test_every_gpu_exporter_name_has_a_declared_prefix() -> None:
    prefixes = [prefix for prefix, who in EXPORTER_PREFIXES if who == "the GPU exporter"]
    for name in [field.name for field in DCGM_FIELDS] + [UP_METRIC]:
        assert any(name.startswith(p) for p in prefixes), name


def test_names_are_read_from_the_ast() -> None:
    expr = 'sum(rate(a_total{x="1"}[5m])) / on() group_left b + {__name__=~"c.*"} and absent(d) > bool 0.5'
    assert metric_names(expr) == ["a_total", "b", "d"]
    assert metric_names("vector(1)") == [] and metric_names("((") == []


def test_exported() -> None:
    assert exported("http_request_duration_seconds_bucket") and exported("node_cpu_seconds_total")
    assert exported("up") and exported("DCGM_FI_DEV_GPU_TEMP") and exported("job:errors:rate5m", ["job:errors:rate5m"])
    assert not exported("http_request_total") and not exported("http_request_duration_seconds")


def test_a_typo_in_a_metric_name_is_warned_about(config_copy: Callable[[Callable[[Path], None]], Path]) -> None:
    def typo(config: Path) -> None:
        rules = config / "prometheus" / "alert_rules.yml"
        rules.write_text(rules.read_text().replace("http_requests_total", "http_request_total"))

    config = config_copy(typo)
    warnings = unexported_warnings(load_source(config))
    assert warnings and all("http_request_total" in w and "cannot fire on this stack" in w for w in warnings)
    assert any(w.startswith("prometheus/alert_rules.yml: alert HighErrorRate reads http_request_total")
               for w in warnings)
    assert set(validate([], config).warnings) >= set(warnings)


def test_the_shipped_config_and_a_recorded_name_raise_no_warning(
        config_copy: Callable[[Callable[[Path], None]], Path]) -> None:
    def recorded(config: Path) -> None:
        (config / "prometheus" / "recorded.yml").write_text(
            "groups:\n- name: r\n  rules:\n  - record: job:errors:ratio\n    expr: sum(rate(http_requests_total[5m]))\n"
            "  - alert: RecordedHigh\n    expr: job:errors:ratio > 1\n")
        prom = config / "prometheus" / "prometheus.yml"
        prom.write_text(prom.read_text().replace("rule_files:\n", "rule_files:\n  - recorded.yml\n", 1))

    config = config_copy(recorded)
    assert any(r.name == "RecordedHigh" for r in load_source(config).rules())
    assert unexported_warnings(load_source(config)) == []
