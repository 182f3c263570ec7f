"""Operators on alerting rules: threshold moved past the driven value (both directions), comparison flipped,
burn factors of a burn-rate alert x10 or /10,
`for` multiplied, range windows widened, severity swapped or dropped, a static label renamed, an annotation
dropped. The threshold is found with the promql-parser AST (a comparison with a number), edited in the text."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator
from typing import Any

import promql_parser

from harness import durations
from harness.assertions.metrics import value_part
from harness.config import SourceConfig
from harness.mutate.mutant import Mutant, dump, edited, number

FLIP = {">": "<", "<": ">", ">=": "<=", "<=": ">=", "==": "!=", "!=": "=="}
FOR_FACTOR = 3  # `for` multiplied by this (a `for` of 0 becomes 5m)
WINDOW_FACTOR = 3  # range windows multiplied by this
THRESHOLD_FACTOR = 10  # thresholds moved this many times past the value
# A burn-rate comparison as `obsdrill slo rules` writes it: `> (14.4 * 0.001)`, burn factor times the budget.
_BURN = re.compile(r"(>=?)\s*\(\s*(\d+(?:\.\d+)?)\s*\*\s*(\d+(?:\.\d+)?(?:e-?\d+)?)\s*\)")


def _threshold(expr: str) -> tuple[str, float] | None:
    """The top-level comparison against a number, ``(op, value)``, as the AST sees it."""
    try:
        node = promql_parser.parse(expr)
    except (ValueError, TypeError):
        return None
    rhs = getattr(node, "rhs", None)
    op = str(getattr(node, "op", ""))
    if type(node).__name__ != "BinaryExpr" or op not in FLIP or type(rhs).__name__ != "NumberLiteral":
        return None
    return op, float(getattr(rhs, "val", 0.0))


RuleEdit = Callable[[dict[str, Any]], tuple[str, ...] | None]  # edits the rule in place: (suffix, description)


def _with_rule(source: SourceConfig, operator: str, edit: RuleEdit) -> Iterator[Mutant]:
    for file, doc in source.rule_files:
        for gi, group in enumerate(doc.get("groups") or []):
            for ri, rule in enumerate(group.get("rules") or []):
                if "alert" not in rule:
                    continue
                copy = edited(doc)
                target = copy["groups"][gi]["rules"][ri]
                done = edit(target)
                if done is None:
                    continue
                suffix, description, *names = done
                name = str(rule["alert"])
                yield Mutant(f"{operator}:{name}{suffix}", operator, f"{name}: {description}",
                             f"prometheus/{file}", dump(copy), alerts=(name,), names=(name, *names))


def _set_expr(rule: dict[str, Any], old: str, new: str) -> None:
    expr = str(rule["expr"]).rstrip()
    rule["expr"] = expr[: len(expr) - len(old)] + new


def threshold(direction: str) -> RuleEdit:
    def edit(rule: dict[str, Any]) -> tuple[str, ...] | None:
        found = _threshold(str(rule["expr"]))
        value_expr, shown = value_part(str(rule["expr"]))
        if found is None or not shown or found[0] in ("==", "!="):
            return None
        op, value = found
        bigger = (direction == "up") == (op in (">", ">="))  # up: never fires; down: fires at a lower value
        new = value * THRESHOLD_FACTOR if bigger else value / THRESHOLD_FACTOR
        if value == 0:
            new = 1.0 if bigger else -1.0
        _set_expr(rule, str(rule["expr"]).rstrip()[len(value_expr):].lstrip(), f" {op} {number(new)}")
        effect = "needs a fault past the one the scenario drives" if direction == "up" else "fires sooner"
        moved = f"{op} {number(new)}"
        return f":{direction}", f"threshold {op} {number(value)} -> {moved} ({effect})", moved
    return edit


def burn_factor(direction: str) -> RuleEdit:
    """Every burn factor of a burn-rate alert x10 (up: pages only on a 10x stronger burn) or /10 (down: pages
    on a tenth of the burn it is meant for)."""
    def edit(rule: dict[str, Any]) -> tuple[str, ...] | None:
        expr = str(rule["expr"])
        factors = sorted({float(m.group(2)) for m in _BURN.finditer(expr)}, reverse=True)
        if not factors:
            return None
        scale = THRESHOLD_FACTOR if direction == "up" else 1 / THRESHOLD_FACTOR
        rule["expr"] = _BURN.sub(lambda m: f"{m.group(1)} ({number(float(m.group(2)) * scale)} * {m.group(3)})", expr)
        moved = [number(f * scale) for f in factors]
        return (f":{direction}", f"burn factors {', '.join(number(f) for f in factors)}x -> {', '.join(moved)}x",
                f"({moved[0]} * ")
    return edit


def flip(rule: dict[str, Any]) -> tuple[str, ...] | None:
    found = _threshold(str(rule["expr"]))
    value_expr, shown = value_part(str(rule["expr"]))
    if found is None or not shown:
        return None
    op, value = found
    _set_expr(rule, str(rule["expr"]).rstrip()[len(value_expr):].lstrip(), f" {FLIP[op]} {number(value)}")
    return "", f"comparison {op} {number(value)} flipped to {FLIP[op]} {number(value)}"


def longer_for(rule: dict[str, Any]) -> tuple[str, ...] | None:
    old = durations.parse(rule.get("for", 0))
    new = old * FOR_FACTOR if old else 300.0
    rule["for"] = durations.format(new)
    return "", f"for {durations.format(old) if old else '0s'} -> {rule['for']}", f"for {rule['for']}"


def wider_window(rule: dict[str, Any]) -> tuple[str, ...] | None:
    expr = str(rule["expr"])
    if not durations.range_windows(expr):
        return None
    rule["expr"] = durations.scale_ranges(expr, WINDOW_FACTOR)
    shown = ", ".join(durations.format(w) for w in durations.range_windows(expr))
    widest = durations.format(max(durations.range_windows(expr)) * WINDOW_FACTOR)
    return "", f"range windows [{shown}] x{WINDOW_FACTOR}", f"range window {widest}"


def severity_swapped(severities: list[str]) -> RuleEdit:
    def edit(rule: dict[str, Any]) -> tuple[str, ...] | None:
        old = (rule.get("labels") or {}).get("severity")
        others = [s for s in severities if s != old]
        if old is None or not others:
            return None
        rule["labels"]["severity"] = others[0]
        return f":{others[0]}", f"severity {old} -> {others[0]}", f"severity='{others[0]}'"
    return edit


def severity_dropped(rule: dict[str, Any]) -> tuple[str, ...] | None:
    if "severity" not in (rule.get("labels") or {}):
        return None
    old = rule["labels"].pop("severity")
    return "", f"severity label ({old}) dropped", "severity=None"


def _renamed(key: str) -> str:
    return re.sub(r"[aeiou]", "", key) if re.sub(r"[aeiou]", "", key) not in ("", key) else f"{key}_name"


def label_renamed(rule: dict[str, Any]) -> tuple[str, ...] | None:
    labels = rule.get("labels") or {}
    key = next((k for k in labels if k != "severity"), None)
    if key is None:
        return None
    labels[_renamed(key)] = labels.pop(key)
    return f":{key}", f"static label {key} renamed to {_renamed(key)}", _renamed(key)


def annotation_dropped(rule: dict[str, Any]) -> tuple[str, ...] | None:
    annotations = rule.get("annotations") or {}
    key = "runbook_url" if "runbook_url" in annotations else next(iter(annotations), None)
    if key is None:
        return None
    del annotations[key]
    return f":{key}", f"annotation {key} dropped", key


def rule_mutants(source: SourceConfig) -> Iterator[Mutant]:
    severities = sorted({r.severity for r in source.rules() if r.severity})
    raised = [*_with_rule(source, "threshold", threshold("up")), *_with_rule(source, "burn-factor", burn_factor("up"))]
    yield from (dataclasses.replace(mutant, raised=True) for mutant in raised)
    eager = [*_with_rule(source, "threshold", threshold("down")), *_with_rule(source, "comparison-flipped", flip),
             *_with_rule(source, "burn-factor", burn_factor("down"))]
    yield from (dataclasses.replace(mutant, eager=True) for mutant in eager)
    yield from _with_rule(source, "for-multiplied", longer_for)
    yield from _with_rule(source, "window-widened", wider_window)
    yield from _with_rule(source, "severity-swapped", severity_swapped(severities))
    yield from _with_rule(source, "severity-dropped", severity_dropped)
    yield from _with_rule(source, "label-renamed", label_renamed)
    yield from _with_rule(source, "annotation-dropped", annotation_dropped)
