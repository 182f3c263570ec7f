"""Routing judged as Alertmanager routes: every expected receiver must get the alert whatever else also got
it (`continue: true` fan-out, whichever tap arrives first), `only: true` adds "nowhere else", and a wrong
route fails as soon as Alertmanager's own routing (amtool) of the delivered labels shows it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from harness.assertions.alerts import AlertWatch
from harness.bounds import Bound
from harness.clients import PromClient, SinkClient
from harness.clients.alertmanager import AlertmanagerClient, parse_routes
from harness.config import AlertRule
from harness.errors import ExpectationFailed, StackError
from harness.routing import Routing, alert_labels
from harness.scenario.model import AlertExpectation
from tests.unit.fake_http import FakePrometheus, FakeSink, alert, labels, rule, serve

RULE = AlertRule("DiskFull", "node_filesystem_avail_bytes < 1", 0.0, (("severity", "critical"),), (), "g", "r.yml")
BOTH = AlertExpectation("DiskFull", "oncall-pager", (("service", "db"),), also=("incident-channel",))
PAGER = AlertExpectation("DiskFull", "oncall-pager", (("service", "db"),))
ONLY_PAGER = AlertExpectation("DiskFull", "oncall-pager", (("service", "db"),), only=True)


class FakeAm(AlertmanagerClient):
    """Alertmanager's routing by alertname, as amtool would answer it."""

    def __init__(self, routes: Mapping[str, tuple[str, ...]], failed: dict[str, float] | None = None) -> None:
        super().__init__("http://unused")
        self.routes = dict(routes)
        self.failed = failed or {}

    def routes_test(self, labels: Mapping[str, str]) -> tuple[str, ...]:
        return self.routes[labels["alertname"]]

    def failed_notifications(self) -> dict[str, float]:
        return self.failed

    def notify_errors(self, lines: int = 400) -> list[str]:
        return ['level=error component=dispatcher msg="Notify for alerts failed" err="slack/slack[0]: template"'] \
            if self.failed else []


@pytest.fixture
def fakes() -> Iterator[tuple[FakePrometheus, FakeSink, AlertWatch]]:
    prom, sink = FakePrometheus(), FakeSink()
    with serve(prom.routes()) as prom_url, serve(sink.routes()) as sink_url:
        am = FakeAm({"DiskFull": ("incident-channel", "oncall-pager")})
        yield prom, sink, AlertWatch(PromClient(prom_url), SinkClient(sink_url), interval=0.05, routing=Routing(am))


def _firing(prom: FakePrometheus, sink: FakeSink, *receivers: str) -> None:
    prom.rules = [rule("DiskFull", "firing", [alert("DiskFull", "firing", service="db", severity="critical")])]
    for receiver in receivers:
        sink.tap(receiver, "firing", labels("DiskFull", service="db", severity="critical"))


@pytest.mark.parametrize("order", [("incident-channel", "oncall-pager"), ("oncall-pager", "incident-channel")])
def test_fan_out_holds_whichever_tap_arrives_first(fakes: tuple, order: tuple[str, str]) -> None:
    prom, sink, watch = fakes
    _firing(prom, sink, *order)
    assert watch.wait_fired(PAGER, RULE, Bound((("t", 5),))).labels["service"] == "db"
    assert watch.wait_fired(BOTH, RULE, Bound((("t", 5),))).name == "DiskFull"


def test_first_tap_elsewhere_waits_while_alertmanager_routes_it_here_too(fakes: tuple) -> None:
    prom, sink, watch = fakes
    _firing(prom, sink, "incident-channel")
    with pytest.raises(ExpectationFailed) as failure:
        watch.wait_fired(PAGER, RULE, Bound((("t", 0.5),)))
    text = str(failure.value)
    assert "did not reach receiver 'oncall-pager' within the bound" in text
    assert "sends {alertname=\"DiskFull\", service=\"db\", severity=\"critical\"} to 'incident-channel', " \
           "'oncall-pager'" in text


def test_only_fails_when_alertmanager_also_routes_it_elsewhere(fakes: tuple) -> None:
    prom, sink, watch = fakes
    _firing(prom, sink, "oncall-pager")
    with pytest.raises(ExpectationFailed, match=r"DiskFull was routed to receiver 'incident-channel' besides "
                                                r"receiver 'oncall-pager' \(only: true"):
        watch.wait_fired(ONLY_PAGER, RULE, Bound((("t", 5),)))


def test_missing_receiver_fails_fast_with_alertmanagers_verdict(fakes: tuple) -> None:
    prom, sink, watch = fakes
    watch.routing = Routing(FakeAm({"DiskFull": ("incident-channel",)}, failed={"slack": 2}))
    _firing(prom, sink, "incident-channel")
    with pytest.raises(ExpectationFailed) as failure:
        watch.wait_fired(PAGER, RULE, Bound((("t", 30),)))
    text = str(failure.value)
    assert "DiskFull was routed to receiver 'incident-channel', expected 'oncall-pager'" in text
    assert "alertmanager_notifications_failed_total by integration: slack=2" in text
    assert "Notify for alerts failed" in text


def test_parse_routes_and_labels() -> None:
    assert parse_routes("incident-channel,oncall-pager\n") == ("incident-channel", "oncall-pager")
    assert parse_routes("") == ()
    assert parse_routes("heartbeat\nWarning: --config.file flag overrides the --alertmanager.url.\n") == ("heartbeat",)
    assert alert_labels("X", RULE, (("service", "db"),), (("cluster", "eu"),)) == {
        "cluster": "eu", "severity": "critical", "service": "db", "alertname": "X"}


class _Exec:
    def __init__(self, code: int, out: bytes) -> None:
        self.result = (code, out)
        self.calls: list[Any] = []

    def exec(self, command: Any) -> tuple[int, bytes]:
        self.calls.append(command)
        return self.result

    def logs_tail(self, lines: int = 40) -> str:
        return ('ts=1 level=warn component=dispatcher msg="Notify attempt failed, will retry later"\n'
                'ts=2 level=info x\n'
                'time=3 level=ERROR source=notify.go msg="Notify for alerts failed" receiver=pager')  # 0.28+


def test_amtool_runs_in_the_container_with_quoted_matchers() -> None:
    box = _Exec(0, b"oncall-pager\n")
    am = AlertmanagerClient("http://unused", box, "/etc/am.yml")
    assert am.routes_test({"alertname": "A", "team": 'x"y'}) == ("oncall-pager",)
    assert box.calls[0] == ["amtool", "config", "routes", "test", 'alertname="A"', 'team="x\\"y"',
                            "--config.file=/etc/am.yml"]
    assert am.notify_errors() == ['ts=1 level=warn component=dispatcher msg="Notify attempt failed, will retry later"',
                                  'time=3 level=ERROR source=notify.go msg="Notify for alerts failed" receiver=pager']
    with pytest.raises(StackError, match="exit 1"):
        AlertmanagerClient("http://unused", _Exec(1, b"bad"), "/etc/am.yml").routes_test({"a": "b"})
    routing = Routing(AlertmanagerClient("http://unused"))
    assert routing.receivers({"a": "b"}) is None and "no Alertmanager container" in routing.error
