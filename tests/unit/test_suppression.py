"""A notification that never came because Alertmanager holds the alert suppressed says so, naming the
alert that inhibits it (an inhibit rule widened past its `equal` shows as exactly this)."""

from types import SimpleNamespace
from typing import Any

from harness.routing import Routing


def _alert(fingerprint: str, state: str, inhibited_by: list[str] | None = None, **labels: str) -> dict[str, Any]:
    return {"fingerprint": fingerprint, "labels": labels,
            "status": {"state": state, "inhibitedBy": inhibited_by or [], "silencedBy": []}}


def test_an_inhibited_alert_is_named_with_the_alert_that_inhibits_it() -> None:
    alerts = [_alert("a1", "active", alertname="PaymentsDown", severity="P1", service="payments"),
              _alert("b2", "suppressed", ["a1"], alertname="BackendErrorsP2", severity="P2", service="backend"),
              _alert("c3", "active", alertname="Other", severity="P2")]
    routing = Routing(SimpleNamespace(alerts=lambda: alerts))  # type: ignore[arg-type]
    text = routing.suppression_text({"alertname": "BackendErrorsP2", "severity": "P2"})
    assert 'Alertmanager holds {alertname="BackendErrorsP2", service="backend", severity="P2"} suppressed' in text
    assert "inhibited by" in text and "PaymentsDown" in text and "payments" in text
    assert routing.suppression_text({"alertname": "Other"}) == ""  # active, not suppressed: nothing to say


def test_alertmanager_unreachable_is_said_not_raised() -> None:
    def broken() -> list[dict[str, Any]]:
        raise ConnectionError("refused")
    text = Routing(SimpleNamespace(alerts=broken)).suppression_text({"alertname": "X"})  # type: ignore[arg-type]
    assert "unavailable: refused" in text
