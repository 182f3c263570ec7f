"""Deadlines computed from the (scaled) config: when must an alert have reached its receiver, when must
it have resolved, when must a PromQL expression show the fault, when must logs and traces be searchable.
Every bound explains itself term by term."""

from __future__ import annotations

from dataclasses import dataclass

from harness import durations
from harness.config import AlertRule
from harness.render import Timing

# The services' OTel batch delay (docs/platform.md) plus the collector's batch, Elasticsearch's refresh
# and Jaeger's write path. Not part of the config under test, so not scaled.
EXPORT_DELAY = 0.5
PIPELINE_DELAY = 10.0


@dataclass(frozen=True)
class Bound:
    parts: tuple[tuple[str, float], ...]

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


def fire_bound(rule: AlertRule, timing: Timing, slack: float) -> Bound:
    """A fault whose steady value crosses the threshold is fully inside every range window after one
    window; then the expression is true at the next scrape and evaluation, pending for `for`, firing at
    the evaluation after that, and Alertmanager sends after group_wait."""
    return Bound((("range window", _window(rule)), ("scrape", timing.scrape_interval),
                  ("2x evaluation", 2 * timing.evaluation_interval), ("for", rule.for_seconds),
                  ("group_wait", timing.group_wait), ("slack", slack)))


def resolve_bound(rule: AlertRule, timing: Timing, slack: float) -> Bound:
    """After rollback the fault leaves every window after one window; the rule goes inactive at the next
    evaluation (after keep_firing_for, when the rule has one) and Alertmanager sends the resolved
    notification at the group's next group_interval."""
    keep = (("keep_firing_for", rule.keep_firing_seconds),) if rule.keep_firing_seconds else ()
    return Bound((("range window", _window(rule)), ("scrape", timing.scrape_interval),
                  ("2x evaluation", 2 * timing.evaluation_interval), *keep,
                  ("group_interval", timing.group_interval), ("slack", slack)))


def metric_bound(expr: str, timing: Timing, slack: float) -> Bound:
    """A PromQL expression (not a rule) shows a change after its widest range window and one scrape."""
    return Bound((("range window", _window(expr)), ("scrape", timing.scrape_interval), ("slack", slack)))


def notification_bound(timing: Timing, slack: float) -> Bound:
    """Once an alert fired, every integration of its receiver is sent by group_wait, updates by
    group_interval."""
    return Bound((("group_wait", timing.group_wait), ("group_interval", timing.group_interval),
                  ("slack", slack)))


def pipeline_bound(slack: float) -> Bound:
    """A request's log lines and spans are searchable after the export batch delay and the pipeline."""
    return Bound((("export batch delay", EXPORT_DELAY), ("collector + index", PIPELINE_DELAY), ("slack", slack)))


def explicit(within: float, where: str) -> Bound:
    return Bound(((f"{where} (set in scenario)", within),))


def choose(within: float | None, where: str, computed: Bound) -> Bound:
    """The scenario's own deadline when it sets one, else the computed bound."""
    return computed if within is None else explicit(within, where)
