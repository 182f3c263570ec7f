"""Alert routing features the seed's alertmanager.yml does not configure, checked on a real Alertmanager
with a bring-your-own config (a copy of stack/ with additions): a PagerDuty Events v2 receiver (trigger and
resolve events with the routing key, dedup key and severity) and an inhibition rule (a warning that fires
while a critical alert of the same service fires is never notified)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.assertions.wait import eventually
from harness.bounds import Bound
from harness.facade import Obsdrill
from harness.runtime import Runtime
from harness.settings import Settings
from harness.stack import Stack

pytestmark = pytest.mark.stack
ROUTING_KEY = "obsdrill-routing-key-123"
EARLY_RULE = {
    "alert": "HighErrorRateEarly",
    "expr": '(sum(rate(http_requests_total{status_code=~"5.."}[5m])) by (service) / '
            "sum(rate(http_requests_total[5m])) by (service)) > 0.01",
    "for": "3m",  # longer than HighErrorRate's 2m: the critical alert is already firing when this one fires
    "labels": {"severity": "warning"},
    "annotations": {"summary": "Error rate above 1%"},
}


def add_pagerduty_and_inhibition(cfg: Path) -> None:
    am_path = cfg / "alertmanager" / "alertmanager.yml"
    am = yaml.safe_load(am_path.read_text())
    critical = next(r for r in am["receivers"] if r["name"] == "critical-alerts")
    critical["pagerduty_configs"] = [{"routing_key": ROUTING_KEY, "severity": "critical",
                                      "description": "{{ .GroupLabels.alertname }} on {{ .GroupLabels.service }}"}]
    am["inhibit_rules"] = [{"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
                            "equal": ["service"]}]
    am_path.write_text(yaml.safe_dump(am, sort_keys=False))
    rules_path = cfg / "prometheus" / "alert_rules.yml"
    rules = yaml.safe_load(rules_path.read_text())
    rules["groups"][0]["rules"].append(EARLY_RULE)
    rules_path.write_text(yaml.safe_dump(rules, sort_keys=False))


def _pagerduty(obsdrill: Obsdrill, action: str) -> list[dict[str, Any]]:
    return [n.body for n in obsdrill.sink.of_kind("pagerduty", "critical-alerts")
            if isinstance(n.body, dict) and n.body.get("event_action") == action]


def _inhibited(obsdrill: Obsdrill) -> list[dict[str, Any]]:
    return [a for a in obsdrill.alertmanager.alerts() if a["labels"].get("alertname") == "HighErrorRateEarly"
            and a["labels"].get("service") == "backend" and a["status"].get("inhibitedBy")]


def test_pagerduty_events_and_inhibition(config_copy: Callable[[Callable[[Path], None]], Path],
                                         obsdrill_settings: Settings, obsdrill_runtime: Runtime) -> None:
    settings = obsdrill_settings.validated(config_dir=config_copy(add_pagerduty_and_inhibition), stack_mode="core")
    with Stack(settings, obsdrill_runtime) as stack:
        obsdrill = Obsdrill(stack)
        obsdrill.reset()
        with obsdrill.load(users=4, journeys={"browse": 3, "register": 1}):
            obsdrill.service("backend").set_fault("http_errors", {"rate": 0.2, "status": 500})
            obsdrill.expect_alert("HighErrorRate", "critical-alerts", {"service": "backend"})
            inhibited, _ = eventually(lambda: _inhibited(obsdrill), Bound.of(90), "HighErrorRateEarly{service=backend} "
                                      "active in Alertmanager and inhibited by HighErrorRate")
            assert inhibited[0]["status"]["state"] == "suppressed"
            early = [n.show() for n in obsdrill.sink.taps() if "HighErrorRateEarly" in n.alertnames()
                     and n.receiver == "warning-alerts" and any(a.get("labels", {}).get("service") == "backend"
                                                                for a in n.firing_alerts())]
            assert early == [], f"an inhibited alert was notified: {early}"
            trigger = _pagerduty(obsdrill, "trigger")  # HighErrorRate's, and the availability SLO's page
            event = next((e for e in trigger if e["payload"]["summary"].startswith("HighErrorRate on ")), None)
            assert event is not None, [n.show() for n in obsdrill.sink.all()]
            assert event["routing_key"] == ROUTING_KEY and event["payload"]["severity"] == "critical"
            obsdrill.reset()  # rollback: faults cleared (and the sink emptied: only the resolve events count now)
            resolved, _ = eventually(lambda: _pagerduty(obsdrill, "resolve"), Bound.of(90), "PagerDuty resolve event")
        assert {e["dedup_key"] for e in resolved} <= {e["dedup_key"] for e in trigger}
