"""The burn-rate alerts generated from the objectives, replayed at real time by promtool (from the stack's
Prometheus image) over days of synthetic samples: what a compressed live run cannot reach (a 3-day window is
7.2 h at 0.1). promtool judges every expectation itself (alert_rule_test): a slow burn opens the ticket and
never pages, and the ticket resolves about 3 h after the errors stop (its 6 h short window halves below 1x);
a ten-minute burst pages within minutes, and the page resolves with its 5 m short window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.certify import promtool
from harness.images import load_recipes, resolve_images
from harness.runtime import Runtime
from harness.settings import Settings, project_root
from harness.slo import rules
from harness.slo.objectives import load_objectives

pytestmark = pytest.mark.stack
MINUTES_3D = 3 * 24 * 60
AVAILABILITY = next(o for o in load_objectives(project_root() / "stack") if o.name == "api-availability")


def _alerts(kind: str, at: str, firing: bool) -> dict[str, Any]:
    rule = rules.alert(AVAILABILITY, next(p for p in rules.POLICIES if p.kind == kind))
    exp = [{"exp_labels": rule["labels"], "exp_annotations": rule["annotations"]}] if firing else []
    return {"eval_time": at, "alertname": rule["alert"], "exp_alerts": exp}


def _series(ok: str, errors: str) -> list[dict[str, str]]:
    return [{"series": 'http_requests_total{service="backend", status_code="200"}', "values": ok},
            {"series": 'http_requests_total{service="backend", status_code="500"}', "values": errors}]


# 100 requests a minute. Slow burn: 0.2 errors a minute (2x the 0.1% budget) for 2 days, then none.
SLOW = {"interval": "1m", "input_series": _series(f"0+100x{MINUTES_3D}", f"0+0.2x{2 * 24 * 60} 576+0x{24 * 60}"),
        "alert_rule_test": [_alerts("ticket", "2d", True), _alerts("page", "2d", False),
                            _alerts("ticket", "2d2h", True), _alerts("ticket", "2d4h", False)]}
# Fast burn: one clean day, then 20 errors a minute (20%, 200x) for 10 minutes, then none.
FAST = {"interval": "1m", "input_series": _series(f"0+100x{26 * 60}", f"0+0x{24 * 60} 0+20x10 200+0x{2 * 60}"),
        "alert_rule_test": [_alerts("page", "1d", False), _alerts("page", "1d10m", True),
                            _alerts("ticket", "1d10m", True), _alerts("page", "1d20m", False)]}


def _replay(settings: Settings, runtime: Runtime, directory: Path, rule_text: str,
            cases: list[dict[str, Any]]) -> tuple[int, str]:
    """promtool test rules (the stack's Prometheus image) on ``rule_text`` with ``cases``, at real time."""
    client = runtime.client()
    image = resolve_images(client, settings, load_recipes(settings.config_dir / "images"), ("prometheus",))
    directory.chmod(0o755)
    (directory / "slo_rules.yml").write_text(rule_text)
    test = {"rule_files": ["slo_rules.yml"], "evaluation_interval": "1m", "tests": cases}
    (directory / "slo_test.yml").write_text(yaml.safe_dump(test, sort_keys=False, width=1_000_000))
    for path in directory.iterdir():
        path.chmod(0o644)
    return promtool.ContainerPromtool(client, image["prometheus"].image).run(directory, "slo_test.yml")


def test_burn_rate_alerts_at_real_time(obsdrill_settings: Settings, obsdrill_runtime: Runtime,
                                      tmp_path: Path) -> None:
    shipped = (project_root() / "stack/prometheus/slo_rules.yml").read_text()
    assert shipped == rules.render(load_objectives(project_root() / "stack"))
    code, out = _replay(obsdrill_settings, obsdrill_runtime, tmp_path, shipped, [SLOW, FAST])
    assert code == 0 and "SUCCESS" in out, out


def test_promtool_fails_a_broken_burn_factor(obsdrill_settings: Settings, obsdrill_runtime: Runtime,
                                            tmp_path: Path) -> None:
    """The replay can fail: the page's 14.4x raised to 144x no longer pages on the ten-minute 20% burst."""
    text = rules.render(load_objectives(project_root() / "stack")).replace("(14.4 * 0.001)", "(144 * 0.001)")
    code, out = _replay(obsdrill_settings, obsdrill_runtime, tmp_path, text, [FAST])
    assert code != 0 and "APIAvailabilityBudgetBurnPage" in out, out
