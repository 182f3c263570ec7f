"""Alert assertions against fakes of Prometheus's rules API and the sink: matching by name AND labels,
fail-fast on wrong labels or receiver, rule evaluation errors and near misses in the failure text."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from harness.assertions.alerts import AlertWatch
from harness.assertions.expectations import AlertExpectation
from harness.bounds import Bound
from harness.clients import PromClient, SinkClient
from harness.config import AlertRule
from harness.errors import ExpectationFailed
from tests.unit.fake_http import FakePrometheus, FakeSink, alert, labels, rule, serve

EXPR = ('(sum(rate(http_requests_total{status_code=~"5.."}[30s])) by (service) / '
        'sum(rate(http_requests_total[30s])) by (service)) > 0.05')
RULE = AlertRule("HighErrorRate", EXPR, 12.0, (("severity", "critical"),), (), "recoloca-backend", "alert_rules.yml")
BACKEND = AlertExpectation("HighErrorRate", "critical-alerts", (("service", "backend"), ("severity", "critical")),
                           ("summary",))


@pytest.fixture
def fakes() -> Iterator[tuple[FakePrometheus, FakeSink, AlertWatch]]:
    prom, sink = FakePrometheus(), FakeSink()
    with serve(prom.routes()) as prom_url, serve(sink.routes()) as sink_url:
        yield prom, sink, AlertWatch(PromClient(prom_url), SinkClient(sink_url), interval=0.05)


def _bound(seconds: float) -> Bound:
    return Bound((("test", seconds),))


def test_expectation_matches_the_alert_with_its_labels_among_several(fakes: tuple) -> None:
    prom, sink, watch = fakes
    both = [alert("HighErrorRate", "firing", service="gateway", severity="critical"),
            alert("HighErrorRate", "firing", service="backend", severity="critical")]
    prom.rules = [rule("HighErrorRate", "firing", both)]
    sink.tap("critical-alerts", "firing", labels("HighErrorRate", service="gateway", severity="critical"))
    sink.tap("critical-alerts", "firing", labels("HighErrorRate", service="backend", severity="critical"))
    fired = watch.wait_fired(BACKEND, RULE, _bound(5))
    assert fired.labels["service"] == "backend" and fired.firing_after is not None
    assert watch.others([BACKEND]) == [
        "HighErrorRate{service=gateway, severity=critical} fired: firing@+0.0s",
        "notification tap->critical-alerts [firing] HighErrorRate {service=gateway, severity=critical}"]
    gateway = AlertExpectation("HighErrorRate", "critical-alerts", (("service", "gateway"),))
    assert watch.others([BACKEND, gateway]) == []


def test_firing_is_dated_by_the_rule_managers_active_at_not_by_when_the_check_looked(fakes: tuple) -> None:
    """An alert looked at only after another alert's wait: pending 20 s before the check, `for` 12 s, so it
    fired 8 s before the check, not when the check first saw it."""
    prom, sink, watch = fakes
    firing = alert("HighErrorRate", "firing", service="backend", severity="critical")
    firing["activeAt"] = datetime.fromtimestamp(watch.history.started_wall - 20, UTC).isoformat()
    prom.rules = [rule("HighErrorRate", "firing", [firing])]
    sink.tap("critical-alerts", "firing", labels("HighErrorRate", service="backend", severity="critical"))
    fired = watch.wait_fired(BACKEND, RULE, _bound(5))
    assert fired.firing_after == pytest.approx(-8, abs=0.01)


def test_wrong_severity_fails_fast_with_both_values(fakes: tuple) -> None:
    prom, _, watch = fakes
    prom.rules = [rule("HighErrorRate", "firing", [alert("HighErrorRate", "firing", service="backend",
                                                         severity="warning")])]
    started = time.monotonic()
    with pytest.raises(ExpectationFailed) as failure:
        watch.wait_fired(BACKEND, RULE, _bound(30))
    assert time.monotonic() - started < 5
    assert "HighErrorRate fired with wrong labels: severity='warning' (expected 'critical')" in str(failure.value)


def test_a_dropped_severity_label_reads_none(fakes: tuple) -> None:
    prom, _, watch = fakes
    prom.rules = [rule("HighErrorRate", "firing", [alert("HighErrorRate", "firing", service="backend")])]
    with pytest.raises(ExpectationFailed, match=r"severity=None \(expected 'critical'\)"):
        watch.wait_fired(BACKEND, RULE, _bound(30))


def test_routing_to_another_receiver_names_it(fakes: tuple) -> None:
    from harness.routing import Routing
    from tests.unit.test_amtool_routing import FakeAm

    prom, sink, watch = fakes
    watch.routing = Routing(FakeAm({"HighErrorRate": ("warning-alerts",)}))  # Alertmanager's own verdict
    prom.rules = [rule("HighErrorRate", "firing", [alert("HighErrorRate", "firing", service="backend",
                                                         severity="critical")])]
    sink.tap("warning-alerts", "firing", labels("HighErrorRate", service="backend", severity="critical"))
    with pytest.raises(ExpectationFailed) as failure:
        watch.wait_fired(BACKEND, RULE, _bound(30))
    text = str(failure.value)
    assert "HighErrorRate was routed to receiver 'warning-alerts', expected 'critical-alerts'" in text
    assert "tap->warning-alerts [firing] HighErrorRate {service=backend, severity=critical}" in text


def test_rule_evaluation_error_explains_why_it_did_not_fire(fakes: tuple) -> None:
    prom, _, watch = fakes
    error = "vector contains metrics with the same labelset after applying alert labels"
    prom.rules = [rule("HighErrorRate", "inactive", health="err", error=error)]
    value_side = EXPR.rsplit(">", 1)[0].strip()
    prom.series[value_side] = [({"service": "backend"}, [0.01, 0.12, 0.2]), ({"service": "gateway"}, [0.0, 0.1, 0.19])]
    with pytest.raises(ExpectationFailed) as failure:
        watch.wait_fired(BACKEND, RULE, _bound(0.3))
    text = str(failure.value)
    assert "HighErrorRate did not reach receiver 'critical-alerts' within the bound 0.3s = test 0.3s" in text
    assert f"rule HighErrorRate failed to evaluate: {error}" in text
    assert "(threshold > 0.05)" in text
    # the closest series first, with its last values
    assert text.index('{service="backend"} = 0.2') < text.index('{service="gateway"} = 0.19')
    assert "last 60s: 0.01, 0.12, 0.2" in text
    assert "receivers got:\n    (nothing)" in text


def test_not_fired_shows_the_other_label_sets_and_their_history(fakes: tuple) -> None:
    prom, _, watch = fakes
    prom.rules = [rule("HighErrorRate", "pending", [alert("HighErrorRate", "pending", service="gateway",
                                                          severity="critical")])]
    watch.restart_clock()  # the first poll comes at +0.0s, however long the fixture took
    with pytest.raises(ExpectationFailed) as failure:
        watch.wait_fired(BACKEND, RULE, _bound(0.3))
    text = str(failure.value)
    assert "expected labels: {'service': 'backend', 'severity': 'critical'}" in text
    assert "other label sets of HighErrorRate:\n    {service=gateway, severity=critical}: pending@+0.0s" in text


def test_resolution_waits_for_the_matching_resolved_notification(fakes: tuple) -> None:
    prom, sink, watch = fakes
    prom.rules = [rule("HighErrorRate", "firing", [alert("HighErrorRate", "firing", service="backend",
                                                         severity="critical")])]

    def resolve() -> None:
        time.sleep(0.3)
        prom.rules = [rule("HighErrorRate", "inactive")]
        time.sleep(0.2)
        sink.tap("critical-alerts", "resolved", labels("HighErrorRate", service="backend", severity="critical"))

    watch.restart_clock()  # the first poll comes at +0.0s, however long the fixture took
    threading.Thread(target=resolve, daemon=True).start()
    seconds = watch.wait_resolved(BACKEND, _bound(5), notification=True)
    assert 0.4 < seconds < 5
    assert "firing@+0.0s -> inactive@" in watch.history.text("HighErrorRate", BACKEND.matches)


def test_resolution_failure_says_what_is_missing(fakes: tuple) -> None:
    prom, _, watch = fakes
    prom.rules = [rule("HighErrorRate", "inactive")]
    with pytest.raises(ExpectationFailed, match=r"resolved notification to critical-alerts: no"):
        watch.wait_resolved(BACKEND, _bound(0.3), notification=True)


def test_not_firing_names_are_checked_over_the_history(fakes: tuple) -> None:
    prom, _, watch = fakes
    prom.rules = [rule("ServiceDown", "firing", [alert("ServiceDown", "firing", job="recoloca-payments")])]
    watch.poll()
    prom.rules = [rule("ServiceDown", "inactive")]
    fired = watch.fired_of(["ServiceDown"])
    assert fired and fired[0].startswith("ServiceDown{job=recoloca-payments} fired: firing@")
    assert watch.fired_of(["HighErrorRate"]) == []


def test_history_is_relative_to_the_injection() -> None:
    from harness.assertions.history import AlertHistory
    from harness.clients.prometheus import PromAlert, RuleStatus

    history = AlertHistory()
    history.started -= 10
    history.rules["X"] = [(9.0, "inactive")]
    history.restart_clock()
    history.rules["X"].append((2.0, "pending"))
    assert history.text("X") == "inactive@-1.0s -> pending@+2.0s"
    pending = PromAlert("X", "pending", {"alertname": "X", "service": "a"}, {}, "", "1")
    history.record([RuleStatus("X", "g", "pending", "ok", "", (pending,))])
    history.record([RuleStatus("X", "g", "inactive", "err", "boom")])
    assert history.text("X").split("\n    ")[1].startswith("{service=a}: pending@+0.0s -> inactive@+0.0s")
    assert history.last_error("X") == "boom"
