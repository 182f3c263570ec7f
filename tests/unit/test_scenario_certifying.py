"""The certificate step of a scenario: per expected alert an AlertCertified event, a failing certificate fails
the scenario with both timelines, and a run at factor 1.0 (or without promtool) skips it with its reason."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness.certify.certificate import AlertCertificate, Certificate, InstanceTimelines
from harness.certify.timeline import Transition
from harness.errors import ExpectationFailed
from harness.events import AlertCertified, Events
from harness.images.resolve import ImageChoice
from harness.scenario import certifying
from harness.scenario.model import AlertExpectation, Expect, Scenario

SCENARIO = Scenario(name="s", path=Path("s.yaml"), method=(),
                    expect=Expect(alerts=(AlertExpectation("A", "r"), AlertExpectation("A", "r", (("x", "1"),)))))


def _stack(factor: float, image: bool = True) -> Any:
    rendered = SimpleNamespace(timing=SimpleNamespace(factor=factor, evaluation_interval=0.01, scrape_interval=0.01))
    images = {"prometheus": ImageChoice("prometheus", "prom:test", "local", "")} if image else {}
    return SimpleNamespace(rendered=lambda: rendered, images=images, client=object(), source="SOURCE",
                           prometheus=SimpleNamespace(url="http://prom"))


def _certificate(holds: bool) -> Certificate:
    inst = InstanceTimelines((("alertname", "A"),), (Transition(10.0, "pending"),),
                             (Transition(10.0 if holds else 99.0, "pending"),), holds)
    return Certificate(0.1, 0.0, 60.0, 3, "promtool in prom:test", (AlertCertificate("A", 20.0, (inst,), ()),))


def _run(monkeypatch: pytest.MonkeyPatch, stack: Any, cert: Certificate) -> tuple[list[AlertCertified], list[Any]]:
    calls: list[Any] = []

    def fake(url: str, source: Any, start: float, end: float, factor: float, alerts: Any, runner: Any) -> Certificate:
        calls.append((url, source, start, factor, alerts, runner.describe()))
        return cert

    monkeypatch.setattr(certifying, "certify_run", fake)
    events, seen = Events(), []
    events.subscribe(seen.append, AlertCertified)
    certifying.CertifyPhase(stack, events).run(SCENARIO, 5.0)
    return seen, calls


def test_a_holding_certificate_is_reported_per_alert(monkeypatch: pytest.MonkeyPatch) -> None:
    seen, calls = _run(monkeypatch, _stack(0.1), _certificate(True))
    assert calls == [("http://prom", "SOURCE", 5.0, 0.1, ["A"], "promtool in prom:test")]
    assert [(e.alert, e.holds) for e in seen] == [("A", True)]


def test_a_failing_certificate_is_reported_and_fails_the_scenario_when_enforced(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OBSDRILL_CERTIFY", raising=False)
    seen, _ = _run(monkeypatch, _stack(0.1), _certificate(False))
    assert [e.holds for e in seen] == [False]
    monkeypatch.setenv("OBSDRILL_CERTIFY", "enforce")
    with pytest.raises(ExpectationFailed) as failed:
        _run(monkeypatch, _stack(0.1), _certificate(False))
    assert "compressed run:" in str(failed.value) and "promtool (real):" in str(failed.value)


def test_a_mutation_run_certifies_only_when_asked_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OBSDRILL_CERTIFY", raising=False)
    assert not certifying.enforced() and not certifying.asked_for()
    monkeypatch.setenv("OBSDRILL_CERTIFY", "enforce")
    assert certifying.asked_for()


def test_factor_one_and_no_promtool_skip_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    seen, calls = _run(monkeypatch, _stack(1.0), _certificate(False))
    assert not calls and seen[0].holds is None and "real time" in seen[0].detail
    monkeypatch.setattr(certifying.promtool, "host_promtool", lambda: None)
    seen, calls = _run(monkeypatch, _stack(0.1, image=False), _certificate(False))
    assert not calls and seen[0].holds is None and "no promtool" in seen[0].detail
