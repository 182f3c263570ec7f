"""``obsdrill run --repeat N``: the summary of a run that ran each scenario N times on one stack, from its
result.json: per scenario how many passed, and per alert the spread (min/median/max) of when it fired and
when its notification arrived, in seconds after the fault."""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Spread:
    values: tuple[float, ...]

    def show(self) -> str:
        if not self.values:
            return "never"
        v = sorted(self.values)
        return f"min {v[0]:.1f}s / median {statistics.median(v):.1f}s / max {v[-1]:.1f}s (n={len(v)})"


@dataclass
class Repeats:
    scenario: str
    runs: int = 0
    passed: int = 0
    failures: list[str] = field(default_factory=list)
    fired: dict[str, list[float]] = field(default_factory=dict)
    notified: dict[str, list[float]] = field(default_factory=dict)

    def add(self, row: Mapping[str, Any]) -> None:
        self.runs += 1
        self.passed += bool(row.get("passed"))
        if row.get("failure"):
            self.failures.append(str(row["failure"]).splitlines()[0][:160])
        for alert, times in (row.get("alerts") or {}).items():
            for key, into in (("fired_after_s", self.fired), ("notified_after_s", self.notified)):
                into.setdefault(alert, [])
                if times.get(key) is not None:
                    into[alert].append(float(times[key]))

    def show(self) -> list[str]:
        lines = [f"{self.scenario}: {self.passed}/{self.runs} passed"]
        for alert in sorted(self.notified):
            lines.append(f"  {alert}: notified after {Spread(tuple(self.notified[alert])).show()}; fired after "
                         f"{Spread(tuple(self.fired.get(alert, ()))).show()}")
        lines += [f"  failure: {text}" for text in self.failures]
        return lines


def repeat_count(text: str) -> int:
    """argparse type of ``--repeat``: a whole number, 1 or more."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number, 1 or more")
    return value


def summarize(rows: Iterable[Mapping[str, Any]]) -> list[Repeats]:
    """One Repeats per scenario, in the order they first ran."""
    out: dict[str, Repeats] = {}
    for row in rows:
        name = str(row.get("scenario", "?"))
        out.setdefault(name, Repeats(name)).add(row)
    return list(out.values())


def results_since(runs_dir: Path, since: float) -> list[Path]:
    """The result.json files written by the run that started at ``since``: one per stack (``--stacks N``
    gives N run dirs), oldest first."""
    return sorted((p for p in runs_dir.glob("*/result.json") if p.stat().st_mtime >= since),
                  key=lambda p: p.stat().st_mtime)


def report(runs_dir: Path, since: float) -> Sequence[str]:
    paths = results_since(runs_dir, since)
    if not paths:
        return [f"repeat: no result.json under {runs_dir} from this run"]
    rows = [row for path in paths for row in json.loads(path.read_text()).get("scenarios") or []]
    where = ", ".join(str(p) for p in paths)
    return [f"repeat summary ({where}):", *(line for r in summarize(rows) for line in r.show())]
