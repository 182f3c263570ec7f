"""The time-factor lint: every setting the factor cannot scale is named with its file, rule and reason;
per-second rates and ratios are not."""

from __future__ import annotations

from pathlib import Path

import yaml

from harness.certify import promql
from harness.certify.lint import lint
from harness.config import load_source
from harness.scenario.check import validate
from harness.settings import project_root

STACK = project_root() / "stack"


def _config(tmp_path: Path, rules: list[dict[str, object]], resolve_timeout: str | None = None) -> Path:
    import shutil

    target = tmp_path / "stack"
    shutil.copytree(STACK, target)
    path = target / "prometheus" / "threshold_rules.yml"
    doc = yaml.safe_load(path.read_text())
    doc["groups"][0]["rules"] += rules
    path.write_text(yaml.safe_dump(doc))
    if resolve_timeout:
        am = yaml.safe_load((target / "alertmanager" / "alertmanager.yml").read_text())
        am["global"]["resolve_timeout"] = resolve_timeout
        (target / "alertmanager" / "alertmanager.yml").write_text(yaml.safe_dump(am))
    return target


def _lines(config: Path, rule: str) -> list[str]:
    return [f.line() for f in lint(load_source(config)).for_rule(rule)]


def test_absolute_threshold_on_a_window_total_is_named_with_file_and_rule(tmp_path: Path) -> None:
    config = _config(tmp_path, [{"alert": "ManyRequests", "expr": "increase(http_requests_total[5m]) > 10"}])
    [line] = _lines(config, "ManyRequests")
    assert line.startswith("threshold_rules.yml: alert ManyRequests: `increase(http_requests_total[5m]) > 10`")
    assert "window total" in line


def test_shipped_rate_and_ratio_rules_are_clean() -> None:
    report = lint(load_source(STACK))
    assert [f for f in report.findings if f.rule] == []
    assert any("scale cleanly" in line for line in report.lines())


def test_every_unscalable_construct_is_named(tmp_path: Path) -> None:
    rules = [
        {"alert": "Offset", "expr": "rate(http_requests_total[5m] offset 10m) > 1"},
        {"alert": "Predict", "expr": "predict_linear(node_filesystem_avail_bytes[1h], 4 * 3600) < 0"},
        {"alert": "Clock", "expr": "time() - process_start_time_seconds < 300"},
        {"alert": "Night", "expr": "up == 0 and on() hour() < 6"},
        {"alert": "Changes", "expr": "changes(up[10m]) >= 3"},
        {"alert": "Counted", "expr": "sum(count_over_time(up[5m])) < 10"},
        {"record": "job:requests:increase5m", "expr": "sum(increase(http_requests_total[5m]))"},
        {"alert": "ViaRecord", "expr": "job:requests:increase5m > 100"},
    ]
    report = lint(load_source(_config(tmp_path, rules)))
    named = {f.rule: f.setting for f in report.findings if f.rule}
    assert named["alert Offset"] == "offset 10m"
    assert named["alert Predict"] == "predict_linear horizon 4 * 3600"
    assert named["alert Clock"] == "time()"
    assert named["alert Night"] == "hour()"
    assert named["alert Changes"] == "`changes(up[10m]) >= 3`"
    assert named["alert Counted"] == "`sum(count_over_time(up[5m])) < 10`"
    assert named["alert ViaRecord"] == "`job:requests:increase5m > 100`"
    assert "record job:requests:increase5m" not in named  # it compares nothing


def test_ratios_of_totals_and_rates_are_not_named() -> None:
    clean = ["sum(increase(a_total[5m])) / sum(increase(b_total[5m])) > 0.05",
             "rate(a_total[5m]) > 1", "increase(a_total[5m]) > increase(b_total[5m])",
             "count(rate(a_total[5m]) > 1) > 3"]
    for expr in clean:
        assert promql.window_total_comparisons(expr, {}) == [], expr
    assert promql.window_total_comparisons("increase(a_total[5m]) / 300 > 1", {}) != []
    assert promql.window_total_comparisons("increase(a_total[5m]) > bool rate(b_total[5m])", {}) != []


def test_config_wide_settings_are_named(tmp_path: Path) -> None:
    report = lint(load_source(_config(tmp_path, [], resolve_timeout="2m")))
    settings = [f.setting for f in report.findings if not f.rule]
    assert not any(s.startswith("--") for s in settings)  # the harness scales Prometheus's duration flags
    assert "global.resolve_timeout (2m)" in settings
    assert any(s.startswith("scrape_timeout (") for s in settings)  # a target's own answer time is not scaled


def test_prometheus_duration_flags_are_scaled_by_the_time_factor() -> None:
    from harness.components.prometheus import scaled_flags

    assert scaled_flags(0.1) == ("--query.lookback-delta=30000ms", "--rules.alert.resend-delay=6000ms",
                                 "--rules.alert.for-grace-period=60000ms")
    assert scaled_flags(1.0)[1] == "--rules.alert.resend-delay=60000ms"


def test_selectors_follow_recording_rules_and_reach_counts_offsets() -> None:
    records = {"slo:ratio": 'sum(rate(http_requests_total{status_code!~"5.."}[5m])) / sum(rate(up[1m]))'}
    assert promql.selectors("slo:ratio < 0.9 and x", records) == {
        'http_requests_total{status_code!~"5.."}', "up", "x"}
    assert promql.reach("rate(a[5m] offset 1m) + max_over_time(b[2m:10s])", {}) == 360
    assert promql.reach("slo:ratio offset 1m", records) == 360


def test_validate_reports_the_lint_as_warnings_without_failing(tmp_path: Path) -> None:
    config = _config(tmp_path, [{"alert": "ManyRequests", "expr": "increase(http_requests_total[5m]) > 10"}])
    result = validate([], config)
    assert result.passed
    assert any("alert ManyRequests" in w for w in result.warnings)
    assert any(line.startswith("warning: threshold_rules.yml: alert ManyRequests") for line in result.lines())
