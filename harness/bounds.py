"""Deadlines computed from the (scaled) config: when must an alert have reached its receiver, and when
must it have resolved. Every bound explains itself term by term."""

from __future__ import annotations

from dataclasses import dataclass

from harness import durations
from harness.config import AlertRule
from harness.render import Timing


@dataclass(frozen=True)
class Bound:
    parts: tuple[tuple[str, float], ...]

    @property
    def seconds(self) -> float:
        return sum(v for _, v in self.parts)

    def explain(self) -> str:
        return f"{self.seconds:.1f}s = " + " + ".join(f"{name} {value:g}s" for name, value in self.parts)


def _window(rule: AlertRule) -> float:
    windows = rule.windows()
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
    evaluation and Alertmanager sends the resolved notification at the group's next group_interval."""
    return Bound((("range window", _window(rule)), ("scrape", timing.scrape_interval),
                  ("2x evaluation", 2 * timing.evaluation_interval), ("group_interval", timing.group_interval),
                  ("slack", slack)))


def explicit(within: str, where: str) -> Bound:
    return Bound(((f"{where} (set in scenario)", durations.parse(within, where)),))
