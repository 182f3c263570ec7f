"""The walking skeleton on the real stack: error-burst end to end, and broken configs that must fail it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import allure
import pytest

from harness.errors import ExpectationFailed
from harness.facade import Obsdrill
from harness.runtime import Runtime
from harness.scenario import load_scenario
from harness.scenario.runner import ScenarioRunner
from harness.settings import Settings, project_root
from harness.stack import Stack

SCENARIO = project_root() / "scenarios" / "error-burst.yaml"


@pytest.mark.stack
@pytest.mark.scenario
def test_error_burst_fires_routes_and_resolves(obsdrill: Obsdrill) -> None:
    result = obsdrill.run("error-burst")
    fired = result.fired[0]
    assert fired.name == "HighErrorRate"
    assert fired.notified_after <= fired.bound.seconds
    assert fired.notification["receiver"] == "critical-alerts"
    alert = fired.notification["alerts"][0]
    assert alert["labels"]["severity"] == "critical" and alert["annotations"]["runbook_url"]
    assert result.resolved["HighErrorRate"]["after_s"] <= result.resolved["HighErrorRate"]["bound_s"]
    taps = obsdrill.sink.taps()
    assert {n.receiver for n in taps if "HighErrorRate" in n.alertnames()} == {"critical-alerts"}
    assert any(n.status == "resolved" for n in taps)
    slack = [n for n in obsdrill.sink.all() if n.kind == "slack"]
    assert slack and slack[0].receiver == "critical-alerts" and slack[0].body["channel"] == "#alerts-critical"
    mails = [n for n in obsdrill.sink.all() if n.kind == "email"]
    assert any(m.subject == "[CRITICAL] HighErrorRate" for m in mails)
    assert result.load["requests"] > 100


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"mutation target {old!r} not in {path}"
    path.write_text(text.replace(old, new, 1))


def _severity_to_warning(cfg: Path) -> None:
    _replace(cfg / "prometheus" / "alert_rules.yml", "for: 2m\n        labels:\n          severity: critical",
             "for: 2m\n        labels:\n          severity: warning")


def _critical_route_to_warning_receiver(cfg: Path) -> None:
    _replace(cfg / "alertmanager" / "alertmanager.yml", "severity: critical\n      receiver: 'critical-alerts'",
             "severity: critical\n      receiver: 'warning-alerts'")


def _threshold_raised(cfg: Path) -> None:
    _replace(cfg / "prometheus" / "alert_rules.yml", ") > 0.05", ") > 0.5")


MUTATIONS = [
    pytest.param(_severity_to_warning, "HighErrorRate fired with wrong labels: severity='warning' "
                 "(expected 'critical')", id="severity-critical-to-warning"),
    pytest.param(_critical_route_to_warning_receiver, "HighErrorRate was routed to receiver 'warning-alerts', "
                 "expected 'critical-alerts'", id="critical-route-to-warning-receiver"),
    pytest.param(_threshold_raised, "HighErrorRate did not reach receiver 'critical-alerts' within the bound",
                 id="threshold-5pct-to-50pct"),
]


@pytest.mark.stack
@pytest.mark.mutation
@pytest.mark.parametrize(("mutate", "defect"), MUTATIONS)
def test_broken_config_fails_error_burst(mutate: Callable[[Path], None], defect: str,
                                         config_copy: Callable[[Callable[[Path], None]], Path],
                                         obsdrill_settings: Settings, obsdrill_runtime: Runtime) -> None:
    settings = obsdrill_settings.validated(config_dir=config_copy(mutate))
    with Stack(settings, obsdrill_runtime) as stack, pytest.raises(ExpectationFailed) as failure:
        ScenarioRunner(stack).run(load_scenario(SCENARIO))
    allure.attach(str(failure.value), name="failure message", attachment_type=allure.attachment_type.TEXT)
    assert defect in str(failure.value)
    if "threshold" in defect or "within the bound" in defect:
        assert "(threshold > 0.5)" in str(failure.value)  # the near miss shows the live value and threshold
