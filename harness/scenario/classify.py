"""What a scenario is about, derived from what it expects: its concerns (alerting, routing, logs, traces,
GPU), the highest severity of its expected alerts, and their runbooks (the rendered rules' runbook_url).
The report turns these into suites, a severity and links (harness/reporting/allure.py)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from harness.config import AlertRule
from harness.events import ScenarioDescribed
from harness.platform import GPU_FAULTS, GPU_SIM
from harness.scenario.model import AlertExpectation, Scenario

ALERTING, ROUTING, LOGS, TRACES, GPU = "alerting", "routing", "logs", "traces", "GPU"
SEVERITY_ORDER = ("critical", "warning", "info")  # highest first; '' when no expected alert has one
_LABEL = re.compile(r"\{\{\s*\$labels\.(\w+)\s*\}\}")


def concerns(scenario: Scenario) -> tuple[str, ...]:
    """The concerns of ``scenario``, the first being its suite: GPU (a gpu-sim fault), alerting (alerts
    expected, or none may fire), routing (notifications or several receivers), logs, traces."""
    expect = scenario.expect
    found = []
    if any(f.service == GPU_SIM or f.fault in GPU_FAULTS for f in scenario.method):
        found.append(GPU)
    if expect.alerts or expect.not_firing or expect.no_other_alerts:
        found.append(ALERTING)
    if expect.notifications or any(a.also or a.only for a in expect.alerts):
        found.append(ROUTING)
    if expect.logs is not None:
        found.append(LOGS)
    if expect.traces is not None:
        found.append(TRACES)
    return tuple(found) or (ALERTING,)


def _rule(rules: Iterable[AlertRule], name: str) -> AlertRule | None:
    return next((r for r in rules if r.name == name), None)


def alert_severity(exp: AlertExpectation, rule: AlertRule | None) -> str:
    """The severity the alert fires with: the expected label, else the rule's, else ''."""
    return exp.label_dict().get("severity") or (rule.severity if rule else None) or ""


def severity(scenario: Scenario, rules: Iterable[AlertRule]) -> str:
    """The highest severity of the expected alerts (critical > warning > info > anything else), '' if none."""
    rules = tuple(rules)
    found = {alert_severity(exp, _rule(rules, exp.name)) for exp in scenario.alerts} - {""}
    known = [s for s in SEVERITY_ORDER if s in found]
    return known[0] if known else min(found, default="")


def runbook(exp: AlertExpectation, rule: AlertRule | None) -> str:
    """The rule's runbook_url with ``{{ $labels.x }}`` filled from the expected labels ('' if none)."""
    url = dict(rule.annotations).get("runbook_url", "") if rule else ""
    labels = {**dict(rule.labels), **exp.label_dict()} if rule else exp.label_dict()
    return _LABEL.sub(lambda m: labels.get(m.group(1), m.group(0)), url)


def describe(scenario: Scenario, rules: Iterable[AlertRule]) -> ScenarioDescribed:
    rules = tuple(rules)
    books: dict[tuple[str, str], None] = {}
    for exp in scenario.alerts:
        url = runbook(exp, _rule(rules, exp.name))
        if url:
            books.setdefault((exp.name, url), None)
    return ScenarioDescribed(scenario.name, concerns(scenario), severity(scenario, rules), tuple(books),
                             tuple(dict.fromkeys(exp.name for exp in scenario.alerts)))
