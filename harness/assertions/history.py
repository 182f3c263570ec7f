"""State history of alerting rules and of each alert (one per label set) as the rule manager reported it,
with times relative to a clock the scenario restarts at the injection (earlier states turn negative), and
each rule's evaluation errors (health `err`, lastError)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from harness.clients.prometheus import RuleStatus

LabelKey = tuple[tuple[str, str], ...]
Steps = list[tuple[float, str]]


def label_key(labels: Mapping[str, str]) -> LabelKey:
    """An alert's identity within its rule: every label but alertname, sorted."""
    return tuple(sorted((k, v) for k, v in labels.items() if k != "alertname"))


def show_labels(key: LabelKey) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in key) + "}"


def _append(steps: Steps, now: float, state: str) -> None:
    if not steps or steps[-1][1] != state:
        steps.append((now, state))


def _text(steps: Steps) -> str:
    return " -> ".join(f"{state}@{t:+.1f}s" for t, state in steps)


@dataclass
class AlertHistory:
    started: float = field(default_factory=time.monotonic)
    started_wall: float = field(default_factory=time.time)
    rules: dict[str, Steps] = field(default_factory=dict)
    alerts: dict[str, dict[LabelKey, Steps]] = field(default_factory=dict)
    errors: dict[str, Steps] = field(default_factory=dict)

    @property
    def history(self) -> dict[str, Steps]:
        """Rule-level history (alertname -> steps); kept for callers of the first API."""
        return self.rules

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def restart_clock(self) -> None:
        """Times become relative to now; earlier history turns negative."""
        shift = time.monotonic() - self.started

        def moved(steps: Steps) -> Steps:
            return [(t - shift, s) for t, s in steps]

        self.rules = {k: moved(v) for k, v in self.rules.items()}
        self.errors = {k: moved(v) for k, v in self.errors.items()}
        self.alerts = {k: {key: moved(v) for key, v in per.items()} for k, per in self.alerts.items()}
        self.started, self.started_wall = time.monotonic(), time.time()

    def record(self, rules: Iterable[RuleStatus]) -> None:
        now = self.elapsed()
        for rule in rules:
            _append(self.rules.setdefault(rule.name, []), now, rule.state)
            _append(self.errors.setdefault(rule.name, []), now, rule.last_error if rule.failing else "")
            per = self.alerts.setdefault(rule.name, {})
            present = {label_key(a.labels): a.state for a in rule.alerts}
            for key in set(per) | set(present):
                _append(per.setdefault(key, []), now, present.get(key, "inactive"))

    def text(self, name: str, match: Callable[[Mapping[str, str]], bool] | None = None) -> str:
        """The rule's history, then each matching alert's (label set) history."""
        lines = [_text(self.rules.get(name, [])) or "(never seen by the rule manager)"]
        for key, steps in sorted(self.alerts.get(name, {}).items()):
            if match is None or match(dict(key)):
                lines.append(f"{show_labels(key)}: {_text(steps)}")
        return "\n    ".join(lines)

    def other_label_sets(self, name: str, match: Callable[[Mapping[str, str]], bool]) -> list[str]:
        return [f"{show_labels(key)}: {_text(steps)}" for key, steps in sorted(self.alerts.get(name, {}).items())
                if not match(dict(key))]

    def last_error(self, name: str) -> str:
        """The last evaluation error of the rule since the clock started, or ''."""
        errors = [e for t, e in self.errors.get(name, []) if e and t >= 0] or [
            e for _, e in self.errors.get(name, [])[-1:] if e]
        return errors[-1] if errors else ""

    def fired_since(self, since: float = 0.0) -> list[tuple[str, LabelKey, Steps]]:
        """(alertname, labels, steps) of every alert that was firing at or after ``since``."""
        out = []
        for name, per in self.alerts.items():
            for key, steps in per.items():
                if any(state == "firing" and (t >= since or i == len(steps) - 1 or steps[i + 1][0] >= since)
                       for i, (t, state) in enumerate(steps)):
                    out.append((name, key, steps))
        return out

    def steps_text(self, steps: Steps) -> str:
        return _text(steps)
