from pathlib import Path

import yaml

from harness.config import load_source
from harness.render import render
from harness.settings import project_root


def _rendered(tmp_path: Path, factor: float = 0.1):  # type: ignore[no-untyped-def]
    return render(load_source(project_root() / "stack"), factor, tmp_path)


def test_seed_rules_are_loaded_with_their_severities() -> None:
    source = load_source(project_root() / "stack")
    severities = {r.name: r.severity for r in source.rules() if r.file != "slo_rules.yml"}
    assert severities == {
        "HighErrorRate": "critical", "HighResponseTime": "warning", "DatabaseConnectionHigh": "warning",
        "CVAnalysisQueueBackup": "warning", "PaymentProcessingFailures": "critical", "HighCPUUsage": "warning",
        "HighMemoryUsage": "warning", "DiskSpaceLow": "critical", "ServiceDown": "critical",
        "GPUTemperatureHigh": "critical", "AIGenerationSuccessLow": "critical",
        "FrontendLCPPoor": "warning", "FrontendErrorRateHigh": "critical"}
    # the one correction to the seed (see alert_rules.yml): no static service label on the by-(service) rules
    assert source.rule("HighErrorRate").label("service") is None
    assert source.rule("HighResponseTime").label("service") is None
    assert source.rule("DatabaseConnectionHigh").label("service") == "database"
    assert dict(source.rule("HighErrorRate").annotations)["runbook_url"].endswith("/high-error-rate")


def test_time_factor_scales_every_timing(tmp_path: Path) -> None:
    cfg = _rendered(tmp_path)
    rule = cfg.rule("HighErrorRate")
    assert rule.for_seconds == 12 and rule.windows() == [30, 30]
    assert (cfg.timing.evaluation_interval, cfg.timing.group_wait, cfg.timing.repeat_interval) == (1.5, 1, 360)
    prom = yaml.safe_load((tmp_path / "prometheus" / "prometheus.yml").read_text())
    backend = next(j for j in prom["scrape_configs"] if j["job_name"] == "recoloca-backend")
    assert (backend["scrape_interval"], backend["scrape_timeout"]) == ("1s", "500ms")


def test_real_time_leaves_seed_timings(tmp_path: Path) -> None:
    cfg = _rendered(tmp_path, 1.0)
    assert cfg.rule("HighErrorRate").for_seconds == 120
    assert (cfg.timing.group_wait, cfg.timing.group_interval) == (10, 10)


def test_receivers_point_at_the_sink_only(tmp_path: Path) -> None:
    cfg = _rendered(tmp_path)
    text = (tmp_path / "alertmanager" / "alertmanager.yml").read_text()
    am = yaml.safe_load(text)
    assert am["global"]["smtp_smarthost"] == "sink:1025" and "smtp_auth_password" not in am["global"]
    critical = next(r for r in am["receivers"] if r["name"] == "critical-alerts")
    assert critical["slack_configs"][0]["api_url"] == "http://sink:8080/slack/critical-alerts"
    assert critical["webhook_configs"][-1] == {"url": "http://sink:8080/tap/critical-alerts", "send_resolved": True}
    assert "gmail" not in text and "${" not in text
    assert cfg.receivers == ("default", "critical-alerts", "warning-alerts")


def test_targets_the_run_does_not_start_are_dropped_and_reported(tmp_path: Path) -> None:
    source = load_source(project_root() / "stack")
    present = {"backend", "node-exporter", "alertmanager", "localhost"}
    cfg = render(source, 0.1, tmp_path, present)
    prom = yaml.safe_load((tmp_path / "prometheus" / "prometheus.yml").read_text())
    assert {j["job_name"] for j in prom["scrape_configs"]} == {"recoloca-backend", "node-exporter", "prometheus",
                                                                 "alertmanager"}
    assert any("recoloca-payments: target payments:8000 dropped" in note for note in cfg.rewrites)


def test_an_unknown_rule_of_the_rendered_config_is_a_config_error_naming_the_known_ones(tmp_path: Path) -> None:
    import pytest

    from harness.errors import ConfigError

    rendered = render(load_source(project_root() / "stack"), 0.1, tmp_path)
    with pytest.raises(ConfigError, match=r"'NoSuchAlert' is not defined in the rendered rules \(.*HighErrorRate"):
        rendered.rule("NoSuchAlert")
