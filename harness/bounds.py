"""Deadlines computed from the (scaled) config: when must an alert have reached its receiver, when must
it have resolved, when must a PromQL expression show the fault, when must logs and traces be searchable.
Every bound explains itself term by term; :class:`Deadlines` builds all of them from one timing and slack."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import promql_parser

from harness import durations
from harness.config import AlertRule
from harness.render import Timing

# The services' OTel batch delay (docs/platform.md) plus the collector's batch, Elasticsearch's refresh
# and Jaeger's write path. Not part of the config under test, so not scaled.
EXPORT_DELAY = 0.5
PIPELINE_DELAY = 10.0
# The terms of a fire bound that the config under test sets (scaled): what a paging budget is held against.
CONFIG_TERMS = ("range window", "scrape", "2x evaluation", "for", "group_wait")
# The longest real-time wait a scenario spends on one resolve: an alert whose computed resolve bound is longer
# (an SLO ticket's 6 h short window is 36 min at 0.1, its 3 d window 7.2 h) is left out of the live recovery
# check, saying so; its long windows are checked by replay (promtool test rules at real time) instead.
REACH = 600.0
DELAY = "fault delay + ramp"  # bound term: the latest fault's `after` plus its `ramp`
RAMP = "fault ramp"  # bound term of a recovery: the longest ramp of the method's faults


@dataclass(frozen=True)
class Bound:
    parts: tuple[tuple[str, float], ...]

    @classmethod
    def of(cls, seconds: float, term: str = "within") -> Bound:
        """A bound of one term (a deadline given as a number)."""
        return cls(((term, seconds),))

    @property
    def seconds(self) -> float:
        return sum(v for _, v in self.parts)

    def explain(self) -> str:
        return f"{self.seconds:.1f}s = " + " + ".join(f"{name} {value:g}s" for name, value in self.parts)

    def plus(self, name: str, value: float) -> Bound:
        """This bound with one more term (terms of 0 s are left out)."""
        return self if value <= 0 else Bound((*self.parts, (name, value)))

    def terms(self) -> dict[str, float]:
        return dict(self.parts)


def _window(expr_or_rule: AlertRule | str) -> float:
    expr = expr_or_rule if isinstance(expr_or_rule, str) else expr_or_rule.expr
    windows = durations.range_windows(expr)
    return max(windows) if windows else 0.0


def _resolve_window(rule: AlertRule) -> float:
    """The window after which the fault's samples no longer hold the rule true: the widest, except that
    ``A and B`` where both sides are one signal at two windows (a multiwindow burn-rate alert) goes false
    with its shorter side, and ``A or B`` needs both branches false."""
    try:
        return _resolving(promql_parser.parse(rule.expr))
    except (ValueError, TypeError):
        return _window(rule)


def _resolving(node: Any) -> float:
    if type(node).__name__ == "ParenExpr":
        return _resolving(node.expr)
    op = str(getattr(node, "op", "")) if type(node).__name__ == "BinaryExpr" else ""
    if op == "or":
        return max(_resolving(node.lhs), _resolving(node.rhs))
    if op == "and" and durations.without_ranges(str(node.lhs)) == durations.without_ranges(str(node.rhs)):
        return min(_resolving(node.lhs), _resolving(node.rhs))
    return _window(str(node))


@dataclass(frozen=True)
class Budget:
    """A paging budget: the longest acceptable REAL-TIME delay from fault to notification, and where it is set."""

    seconds: float
    source: str

    @classmethod
    def tightest(cls, *budgets: Budget | None) -> Budget | None:
        given = [b for b in budgets if b is not None]
        return min(given, key=lambda b: b.seconds) if given else None


def budget_of(own: float | None, rule: AlertRule, per_severity: Iterable[tuple[str, float]]) -> Budget | None:
    """The tightest of a scenario's own ``budget:`` and the config's default for the rule's severity."""
    scenario = Budget(own, "expect.alerts[].budget") if own is not None else None
    default = dict(per_severity).get(rule.severity or "")
    config = Budget(default, f"obsdrill.yml paging_budgets.{rule.severity}") if default is not None else None
    return Budget.tightest(scenario, config)


def _real(seconds: float) -> str:
    return durations.format(seconds) if seconds > 0 else "0s"


def explicit(within: float, where: str) -> Bound:
    return Bound.of(within, f"{where} (set in scenario)")


def choose(within: float | None, where: str, computed: Bound) -> Bound:
    """The scenario's own deadline when it sets one, else the computed bound."""
    return computed if within is None else explicit(within, where)


@dataclass(frozen=True)
class Deadlines:
    """Every deadline of a run, from the rendered timing and the slack of the settings."""

    timing: Timing
    slack: float

    def fire(self, rule: AlertRule, delay: float = 0.0) -> Bound:
        """A fault whose steady value crosses the threshold is fully inside every range window after one
        window; then the expression is true at the next scrape and evaluation, pending for `for`, firing at
        the evaluation after that, and Alertmanager sends after group_wait. ``delay``: the faults' own."""
        t = self.timing
        return Bound((("range window", _window(rule)), ("scrape", t.scrape_interval),
                      ("2x evaluation", 2 * t.evaluation_interval), ("for", rule.for_seconds),
                      ("group_wait", t.group_wait), ("slack", self.slack))).plus(DELAY, delay)

    def resolve(self, rule: AlertRule) -> Bound:
        """After rollback the fault leaves every window after one window; the rule goes inactive at the next
        evaluation (after keep_firing_for, when the rule has one) and Alertmanager sends the resolved
        notification at the group's next group_interval."""
        t = self.timing
        keep = (("keep_firing_for", rule.keep_firing_seconds),) if rule.keep_firing_seconds else ()
        return Bound((("range window", _resolve_window(rule)), ("scrape", t.scrape_interval),
                      ("2x evaluation", 2 * t.evaluation_interval), *keep, ("group_interval", t.group_interval),
                      ("slack", self.slack)))

    def recovery(self, rule: AlertRule, ramp: float = 0.0) -> Bound:
        """The resolve bound plus the longest ramp of the faults (undoing a ramp takes as long)."""
        return self.resolve(rule).plus(RAMP, ramp)

    def beyond_reach(self, rule: AlertRule, bound: Bound) -> str | None:
        """Why ``rule``'s resolve is left out of a live run (None when ``bound`` is within REACH)."""
        if bound.seconds <= REACH:
            return None
        window = _resolve_window(rule)
        return (f"{rule.name} resolves only after its window {_real(window / (self.timing.factor or 1))} "
                f"real ({_real(window)} at factor {self.timing.factor:g}): its resolve bound {bound.seconds:.0f}s is "
                f"beyond the {REACH:.0f}s a live run waits; left out here, checked by replay at real time "
                f"(promtool test rules, tests/integration/test_slo.py)")

    def settle(self, rules: Iterable[AlertRule]) -> Bound:
        """How long alerts left over from before may take to resolve: the longest resolve bound, at most REACH
        (a reset normally deletes the samples that keep a long-window alert firing)."""
        longest = max((self.resolve(r) for r in rules), key=lambda b: b.seconds, default=Bound(()))
        return longest if longest.seconds <= REACH else Bound.of(REACH, "reach of a live run")

    def metric(self, expr: str, delay: float = 0.0) -> Bound:
        """A PromQL expression (not a rule) shows a change after its widest range window and one scrape."""
        return Bound((("range window", _window(expr)), ("scrape", self.timing.scrape_interval),
                      ("slack", self.slack))).plus(DELAY, delay)

    def notification(self) -> Bound:
        """Once an alert fired, every integration of its receiver is sent by group_wait, updates by
        group_interval."""
        return Bound((("group_wait", self.timing.group_wait), ("group_interval", self.timing.group_interval),
                      ("slack", self.slack)))

    def panels(self) -> Bound:
        """A dashboard panel's query over live data has series once two scrapes saw them (a rate needs two
        samples, whatever its window: the dashboards are not rendered for the time factor)."""
        return Bound((("2x scrape", 2 * self.timing.scrape_interval), ("slack", self.slack)))

    def pipeline(self) -> Bound:
        """A request's log lines and spans are searchable after the export batch delay and the pipeline."""
        return Bound((("export batch delay", EXPORT_DELAY), ("collector + index", PIPELINE_DELAY),
                      ("slack", self.slack)))

    def paged(self, rule: AlertRule, delay: float = 0.0, budget: Budget | None = None) -> Bound:
        """The fire bound held to a paging budget: the smaller of the computed bound and the budget scaled by
        the time factor (plus slack and the faults' own delay, which the config does not set)."""
        computed = self.fire(rule, delay)
        if budget is None:
            return computed
        factor = self.timing.factor
        capped = Bound(((f"paging budget {_real(budget.seconds)} x factor {factor:g} ({budget.source})",
                         budget.seconds * factor), ("slack", self.slack))).plus(DELAY, delay)
        return min(computed, capped, key=lambda b: b.seconds)

    def real_terms(self, rule: AlertRule) -> list[tuple[str, float]]:
        """The config's own terms of ``rule``'s fire bound at real time (unscaled), the largest first."""
        factor = self.timing.factor or 1.0
        terms = [(name, value / factor) for name, value in self.fire(rule).parts if name in CONFIG_TERMS]
        return sorted((t for t in terms if t[1] > 0), key=lambda t: -t[1])

    def late_terms(self, rule: AlertRule) -> str:
        """Why a fixed deadline was missed, in the config's words: its fire terms at real time."""
        return ("  the config's own terms of the fire bound at real time, largest first: "
                + " + ".join(f"{name} {_real(value)}" for name, value in self.real_terms(rule))
                + f" (computed bound at factor {self.timing.factor:g}: {self.fire(rule).explain()})")

    def over_budget(self, rule: AlertRule, budget: Budget | None) -> str | None:
        """Why ``rule`` can page later than ``budget`` allows, term by term in real time (None when it cannot):
        the config's own terms of the fire bound (range window, scrape, evaluation, for, group_wait), the
        largest first; those that alone exceed the budget are named as such."""
        if budget is None:
            return None
        ranked = self.real_terms(rule)
        total = sum(v for _, v in ranked)
        if total <= budget.seconds + 1e-6:
            return None
        alone = [name for name, value in ranked if value > budget.seconds]
        blame = (f"{' and '.join(alone)} alone exceed{'s' if len(alone) == 1 else ''} it" if alone else
                 f"the largest: {ranked[0][0]} {_real(ranked[0][1])}")
        return (f"{rule.name} can page {_real(total)} (real time) after its fault, over its paging budget "
                f"{_real(budget.seconds)} ({budget.source}) by {_real(total - budget.seconds)}: "
                + " + ".join(f"{name} {_real(value)}" for name, value in ranked) + f"; {blame}")
