"""Error budgets in a scenario: the report of what it spent of each objective (slo/objectives.yml), and the
``expect.error_budget`` checks (a burn rate between bounds, measured from the fault's injection)."""

from __future__ import annotations

import time

import requests

from harness.errors import ConfigError, ExpectationFailed, ObsdrillError
from harness.events import BudgetConsumed, Events
from harness.scenario.check import unknown_objectives
from harness.scenario.model import BurnExpectation, Scenario
from harness.scenario.result import ScenarioResult
from harness.scenario.stackapi import StackApi
from harness.slo.budget import Consumed, consumed


def _verdict(check: BurnExpectation, got: Consumed) -> str | None:
    low = check.min_burn is not None and got.burn < check.min_burn
    high = check.max_burn is not None and got.burn > check.max_burn
    if not (low or high) and got.total > 0:
        return None
    why = "no events were counted" if got.total <= 0 else \
        f"burn {got.burn:.2f}x is {'below' if low else 'above'} {check.min_burn if low else check.max_burn:g}x"
    return f"error budget {check.describe()}: {why} ({got.explain()})"


def check_budgets(stack: StackApi, scenario: Scenario, since_wall: float, events: Events) -> None:
    """Each ``expect.error_budget`` burn rate, over the time from ``since_wall`` (the faults' injection)."""
    if not scenario.expect.error_budget:
        return
    objectives = {o.name: o for o in stack.rendered().objectives}
    if not objectives:  # an external stack: its config is what the servers report, no objectives file
        events.say("expect.error_budget not checked: this stack's config has no slo/objectives.yml")
        return
    problems = unknown_objectives(scenario, tuple(objectives.values()))
    if problems:
        raise ConfigError("\n".join(problems))
    seconds = time.time() - since_wall
    factor = stack.rendered().timing.factor
    with events.phase(f"error budget over the last {seconds:.0f}s: "
                      + "; ".join(b.describe() for b in scenario.expect.error_budget)):
        got = [(b, consumed(stack.prometheus, objectives[b.slo], seconds, factor))
               for b in scenario.expect.error_budget]
        events.attach("error budget checks", [c.explain() for _, c in got])
        failed = [v for v in (_verdict(b, c) for b, c in got) if v]
        if failed:
            raise ExpectationFailed("\n".join(failed))


def report_budgets(stack: StackApi, since_wall: float, result: ScenarioResult, events: Events) -> None:
    """What the whole scenario (from settle to now) spent of every objective's budget, for the report."""
    objectives = stack.rendered().objectives
    if not objectives:
        return
    seconds, factor = time.time() - since_wall, stack.rendered().timing.factor
    try:
        rows = [consumed(stack.prometheus, o, seconds, factor) for o in objectives]
    except (ObsdrillError, requests.RequestException, ValueError) as exc:
        events.say(f"error budget not measured: {exc}")
        return
    result.error_budget = [r.as_dict() for r in rows]
    events.attach("error budget this scenario spent", [r.explain() for r in rows])
    events.emit(BudgetConsumed(tuple(result.error_budget)))
