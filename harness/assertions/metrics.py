"""Metric assertions against a real Prometheus. A failure shows the near misses: the value side of the
expression, the series closest to the threshold with their last values, and how long it waited."""

from __future__ import annotations

import operator
import re
from typing import Any

import promql_parser

from harness.assertions.wait import eventually
from harness.bounds import Bound
from harness.clients.prometheus import PromClient, Sample

_COMPARISON = re.compile(r"\s*(==|!=|>=|<=|>|<)\s*(-?[0-9.eE+]+)\s*$")


def value_part(expr: str) -> tuple[str, str]:
    """Split 'X > 0.05' into ('X', '> 0.05'): the value side shows the near miss of a threshold."""
    text = expr.strip()
    match = _COMPARISON.search(text)
    if not match:
        return text, ""
    return text[: match.start()].strip(), f"{match.group(1)} {match.group(2)}"


def closest_first(samples: list[Sample], threshold: str) -> list[Sample]:
    """Samples ordered by how close they come to crossing ``threshold`` ('> 0.05'; '' = largest first)."""
    if not threshold:
        return sorted(samples, key=lambda s: -s.value)
    op, number = threshold.split()
    limit = float(number)
    if op in (">", ">="):
        return sorted(samples, key=lambda s: -s.value)
    if op in ("<", "<="):
        return sorted(samples, key=lambda s: s.value)
    return sorted(samples, key=lambda s: abs(s.value - limit))


def _key(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def _last_values(prom: PromClient, expr: str, seconds: float, step: float) -> dict[tuple[tuple[str, str], ...],
                                                                                    list[float]]:
    try:
        series = prom.query_range(expr, seconds, step)
    except Exception:
        return {}
    return {_key(labels): values for labels, values in series}


def near_misses(prom: PromClient, expr: str, limit: int = 5, history_s: float = 60.0, step: float = 5.0) -> str:
    value_expr, threshold = value_part(expr)
    try:
        samples = prom.query(value_expr)
    except Exception as exc:
        return f"  query: {value_expr}\n  (could not query: {exc})"
    last = _last_values(prom, value_expr, history_s, step)
    lines = [f"  query: {value_expr}" + (f"   (threshold {threshold})" if threshold else "")]
    for sample in closest_first(samples, threshold)[:limit]:
        values = last.get(_key(sample.labels), [])
        tail = f"   last {history_s:g}s: " + ", ".join(f"{v:.4g}" for v in values[-6:]) if values else ""
        lines.append(f"    {sample.show()}{tail}")
    if not samples:
        lines.append("    (no series at all)")
        lines += empty_parts(prom, value_expr)
    return "\n".join(lines)


# --- issue 16: near misses name the part of an expression that matched nothing ---
_SETS = {"and", "or", "unless"}


def _parts(node: Any) -> list[Any]:
    """The sub-expressions worth querying on their own: each side of and/or/unless and of a comparison or
    arithmetic (numbers left out), a function's or aggregation's argument, the inside of parentheses."""
    kind = type(node).__name__
    if kind == "BinaryExpr":
        return [n for n in (node.lhs, node.rhs) if type(n).__name__ not in ("NumberLiteral", "StringLiteral")]
    if kind in ("ParenExpr", "AggregateExpr", "SubqueryExpr", "UnaryExpr"):
        return [node.expr]
    if kind == "Call":
        return [a for a in node.args if type(a).__name__ not in ("NumberLiteral", "StringLiteral")]
    if kind == "MatrixSelector":
        return [node.vector_selector]
    return []


def _count(prom: PromClient, node: Any) -> int | None:
    if type(node).__name__ == "MatrixSelector":  # a range vector is not a query result: count its selector
        node = node.vector_selector
    try:
        return len(prom.query(node.prettify()))
    except Exception:
        return None


def empty_parts(prom: PromClient, expr: str, depth: int = 6) -> list[str]:
    """Why ``expr`` returns nothing: each part of it (promql-parser AST) with its series count, down to the
    innermost part that matched nothing (a selector with no series, a filter that drops every one)."""
    try:
        node: Any = promql_parser.parse(expr)
    except (ValueError, TypeError):
        return []
    lines: list[str] = []
    for level in range(depth):
        parts = [(p, _count(prom, p)) for p in _parts(node)]
        if not parts:
            break
        lines += [f"    {'  ' * level}part {p.prettify()}: " + ("could not query" if n is None else f"{n} series")
                  for p, n in parts]
        empty = [p for p, n in parts if n == 0]
        if not empty:
            sets = type(node).__name__ == "BinaryExpr" and str(node.op) in _SETS
            why = "their label sets do not match" if sets else "combined they are empty (a filter drops every one)"
            lines.append(f"    {'  ' * level}=> every part has series, {why}: {node.prettify()}")
            return lines
        node = empty[0]
    return [*lines, f"    => matched nothing: {node.prettify()}", *_unscraped(prom, node)] if lines else []


def _unscraped(prom: PromClient, node: Any) -> list[str]:
    """When the selector that matched nothing asks for a target label (service, job) no scrape target has:
    the config under test does not scrape it (a dropped job, a renamed label), with the jobs it does scrape."""
    if type(node).__name__ != "VectorSelector":
        return []
    wanted = [(m.name, m.value) for m in node.matchers.matchers
              if m.name in ("service", "job") and str(m.op) == "MatchOp.Equal"]
    try:
        targets = [t.get("labels", {}) for t in prom.targets()]
    except Exception:
        return []
    missing = [(k, v) for k, v in wanted if not any(t.get(k) == v for t in targets)]
    jobs = sorted({str(t.get("job")) for t in targets})
    return [f"    => no scrape target of the config under test has {k}=\"{v}\" (its jobs: {', '.join(jobs)})"
            for k, v in missing]


def baseline_report(prom: PromClient, expr: str) -> tuple[bool, str]:
    """A rule's condition before any fault: whether it holds, and its value against its threshold (the
    series closest to crossing first); each comparison on its own when the condition joins several (an SLO's
    burn-rate pairs: `(A > t1 and B > t1) or (C > t2 and D > t2)`)."""
    parts = comparisons(expr)
    pairs = parts if len(parts) > 1 else [value_part(expr)]
    try:
        holds = bool(prom.query(expr))
        shown = [(value_expr, threshold, closest_first(prom.query(value_expr), threshold)[:3])
                 for value_expr, threshold in pairs]
    except Exception as exc:
        return False, f"(could not query: {exc})"
    verdict = "its condition holds with no fault injected" if holds else "its condition does not hold now"
    return holds, f"{verdict}: " + "; ".join(
        f"{value_expr} = {', '.join(s.show() for s in values) or 'no series'} against threshold "
        f"{threshold or '(none)'}" for value_expr, threshold, values in shown)


_COMPARE = {"==", "!=", ">", "<", ">=", "<="}


def comparisons(expr: str) -> list[tuple[str, str]]:
    """Each comparison of ``expr`` against a constant (promql-parser AST), left to right, as (value side,
    'op constant') with the constant worked out: '(3 * 0.05)' -> '> 0.15'."""
    try:
        root: Any = promql_parser.parse(expr)
    except (ValueError, TypeError):
        return []
    found: list[tuple[str, str]] = []

    def walk(node: Any) -> None:
        if type(node).__name__ == "BinaryExpr" and str(node.op) in _COMPARE:
            limit = _constant(node.rhs)
            if limit is not None:
                found.append((" ".join(node.lhs.prettify().split()), f"{node.op} {limit:g}"))
                return
        for part in _parts(node):
            walk(part)

    walk(root)
    return found


_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def _constant(node: Any) -> float | None:
    """The value of a number, or of arithmetic on numbers only; None for anything that reads series."""
    kind = type(node).__name__
    if kind == "NumberLiteral":
        return float(node.prettify())
    if kind == "ParenExpr":
        return _constant(node.expr)
    if kind == "BinaryExpr" and str(node.op) in _ARITHMETIC:
        a, b = _constant(node.lhs), _constant(node.rhs)
        if a is None or b is None or (str(node.op) == "/" and b == 0):
            return None
        return float(_ARITHMETIC[str(node.op)](a, b))
    return None
# --- end issue 16 ---


def assert_query_eventually(prom: PromClient, expr: str, within: Bound,
                            empty: bool = False) -> tuple[list[Sample], float]:
    """Wait until ``expr`` returns at least one series (``empty``: none at all); the failure shows the
    closest series and their last values."""
    if empty:
        def gone() -> list[Sample] | None:
            return None if prom.query(expr) else [Sample({"__name__": "(no series)"}, 0.0)]

        def left() -> str:
            rows = prom.query(expr)
            return "  series left:\n" + "\n".join(f"    {s.show()}" for s in rows[:10]) if rows else ""

        _, waited = eventually(gone, within, f"PromQL {expr!r} returning no series", left)
        return [], waited
    return eventually(lambda: prom.query(expr), within, f"PromQL {expr!r} returned no series",
                      lambda: near_misses(prom, expr))
