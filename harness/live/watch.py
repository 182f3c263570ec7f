"""``obsdrill watch``: the running stack refreshed in place (rich Live): every rule's state, how long it has been
in it, its PromQL value against its threshold; the notifications per receiver and integration (the sink's
records); the faults that are on. ``--once --json`` prints one snapshot for scripts."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import promql_parser
from rich.console import Group
from rich.table import Table

from harness.clients import PromClient, SinkClient
from harness.clients.prometheus import RuleStatus
from harness.config import AlertRule

COMPARISONS = (">", "<", ">=", "<=", "==", "!=")


def threshold(expr: str) -> tuple[str, str, float] | None:
    """``(lhs) > 0.05`` -> (lhs, ">", 0.05); None when the expression is no comparison with a number."""
    try:
        node: Any = promql_parser.parse(expr)
    except (ValueError, TypeError):
        return None
    if type(node).__name__ != "BinaryExpr" or str(node.op) not in COMPARISONS:
        return None
    if type(node.rhs).__name__ != "NumberLiteral":
        return None
    return str(node.lhs.prettify()), str(node.op), float(node.rhs.val)


@dataclass
class RuleRow:
    name: str
    state: str
    seconds_in_state: float | None
    at_least: bool  # in this state since before the watch started: seconds_in_state is a lower bound
    threshold: str
    values: list[str] = field(default_factory=list)
    error: str = ""


@dataclass
class Watcher:
    """Polls once per ``snapshot``; remembers when each rule last changed state (for inactive rules)."""

    prometheus: PromClient
    sink: SinkClient
    faults: Callable[[], dict[str, dict[str, Any]]]
    rules: Callable[[], tuple[AlertRule, ...]]  # the rules as Prometheus evaluates them now (reload changes them)
    changed: dict[str, tuple[str, float, bool]] = field(default_factory=dict)  # rule -> (state, since, seen)

    def _row(self, rule: RuleStatus, now: float, known: dict[str, AlertRule]) -> RuleRow:
        expr, for_seconds = (known[rule.name].expr, known[rule.name].for_seconds) if rule.name in known else ("", 0.0)
        last = self.changed.get(rule.name)
        if last is None or last[0] != rule.state:
            self.changed[rule.name] = (rule.state, now, last is not None)
        _, since, seen = self.changed[rule.name]
        started = [s for a in rule.alerts if (s := a.active_since) is not None]
        if started and rule.state in ("pending", "firing"):  # Prometheus knows when it became pending
            since, seen = min(started) + (for_seconds if rule.state == "firing" else 0.0), True
        split = threshold(expr)
        row = RuleRow(rule.name, rule.state, max(0.0, now - since), not seen,
                      f"{split[1]} {split[2]:g}" if split else "", error=rule.last_error)
        if split:
            try:
                row.values = [f"{s.value:.4g}" + (f" {s.labels.get('service') or ''}".rstrip())
                              for s in self.prometheus.query(split[0])][:4]
            except Exception as exc:  # a broken expression shows as the rule's error, never ends the watch
                row.values = [f"(query failed: {exc})"]
        return row

    def snapshot(self) -> dict[str, Any]:
        now = time.time()
        known = {r.name: r for r in self.rules()}
        rules = [self._row(rule, now, known) for rule in self.prometheus.rules()]
        notes: dict[str, dict[str, Any]] = {}
        for n in self.sink.all():
            entry = notes.setdefault(f"{n.receiver or '(smtp)'} {n.kind}", {"count": 0, "last": "", "at": 0.0})
            entry["count"] += 1
            if n.received_at >= entry["at"]:
                entry.update(last=n.show(), at=n.received_at)
        return {"at": now, "rules": [vars(r) for r in rules], "notifications": notes, "faults": self.faults()}


TABLE_LINES = 5  # a rich table's title, top border, header, header rule and bottom border


def _rule_rows(snap: dict[str, Any], room: int | None) -> list[tuple[str, ...]]:
    """What is happening first (firing, pending), the rest by name; on a terminal too short for all of them
    the last row names how many (and which) are not shown, so a cropped screen never hides that it is."""
    colour = {"firing": "red", "pending": "yellow", "inactive": "green"}
    order = {"firing": 0, "pending": 1}
    rows: list[tuple[str, ...]] = []
    for r in sorted(snap["rules"], key=lambda r: (order.get(r["state"], 2), r["name"])):
        took = ("≥" if r["at_least"] else "") + f"{r['seconds_in_state']:.0f}s"
        rows.append((r["name"], f"[{colour.get(r['state'], 'white')}]{r['state']}[/]", took,
                     ", ".join(r["values"]) or "-", r["threshold"] or "-"))
    if room is None or len(rows) <= room:
        return rows
    keep, rest = rows[:max(0, room - 1)], rows[max(0, room - 1):]
    return [*keep, (f"(+{len(rest)} more)", "", "", ", ".join(row[0] for row in rest), "")]


def render(snap: dict[str, Any], height: int | None = None) -> Group:
    """The three tables, one line per row; ``height`` (the terminal's) caps the rules table so it fits."""
    faults = Table(title="faults on", expand=True)
    faults.add_column("service")
    faults.add_column("fault")
    faults.add_column("state", no_wrap=True)
    for service, on in snap["faults"].items():
        for name, state in on.items():
            faults.add_row(service, name, str(state)[:80])
    notes = Table(title="notifications (receiver, integration)", expand=True)
    for column in ("receiver integration", "count", "last"):
        notes.add_column(column, no_wrap=True)
    for key, entry in sorted(snap["notifications"].items()):
        notes.add_row(key, str(entry["count"]), entry["last"])
    room = None if height is None else height - 3 * TABLE_LINES - faults.row_count - notes.row_count - 1
    rows = _rule_rows(snap, room)
    rules = Table(title="rules", expand=True)
    def width(i: int, least: int) -> int:
        return min(40, max([least, *(len(r[i]) for r in rows)]))
    rules.add_column("alert", no_wrap=True, width=width(0, 5))
    rules.add_column("state", no_wrap=True, width=8)
    rules.add_column("for", no_wrap=True, width=width(2, 3))
    rules.add_column("value", no_wrap=True, overflow="ellipsis", ratio=1)  # what gives way on a narrow screen
    rules.add_column("threshold", no_wrap=True, width=width(4, 9))
    for row in rows:
        rules.add_row(*row)
    return Group(faults, notes, rules)  # the short tables first, so a terminal too short crops only rules
