"""What the time-factor checks need from a PromQL expression, read from the promql-parser AST: the series
it reads (following recording rules to their inputs), how far back it looks, and whether its value grows
with the length of its range windows (a window total such as ``increase(x[5m])``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import promql_parser as pp

# Functions whose value is a total over the window: a shorter window holds fewer events at the same rate.
WINDOW_TOTALS = frozenset({"increase", "changes", "resets", "count_over_time", "sum_over_time", "delta"})
# Functions that read the wall clock (or a sample's timestamp), which a time factor does not slow down.
CLOCK_FUNCTIONS = frozenset({"time", "timestamp", "minute", "hour", "day_of_week", "day_of_month",
                             "day_of_year", "days_in_month", "month", "year"})
COMPARISONS = frozenset({">", "<", ">=", "<=", "==", "!="})


def parse(expr: str) -> Any:
    return pp.parse(expr)


def nodes(expr: Any) -> Iterator[Any]:
    """Every node of the AST, depth first (a matrix selector and its vector selector both)."""
    found: list[Any] = []

    def visit(node: Any) -> bool:
        found.append(node)
        return True

    pp.walk(expr, visit)
    return iter(found)


def _record(node: Any, records: Mapping[str, str], seen: frozenset[str] = frozenset()) -> str | None:
    """The recording rule a vector selector reads the output of, if any (and not already followed)."""
    name = node.name if isinstance(node, pp.VectorSelector) else None
    return name if name is not None and name in records and name not in seen else None


def selector_text(vs: Any) -> str:
    """``name{matchers}`` of a vector selector, without offset or @ (the export covers the whole window)."""
    matchers = vs.matchers.matchers
    if vs.name and not matchers:
        return str(vs.name)
    return f"{vs.name or ''}{vs.matchers}"


def selectors(expr: str, records: Mapping[str, str], _seen: frozenset[str] = frozenset()) -> set[str]:
    """Selectors of every raw series ``expr`` reads; a selector of a recording rule's output is replaced by
    the selectors of that rule's expression (transitively)."""
    out: set[str] = set()
    for node in nodes(parse(expr)):
        if not isinstance(node, pp.VectorSelector):
            continue
        record = _record(node, records, _seen)
        if record is not None:
            out |= selectors(records[record], records, _seen | {record})
        else:
            out.add(selector_text(node))
    return out


def reach(expr: str, records: Mapping[str, str], _seen: frozenset[str] = frozenset()) -> float:
    """Seconds before an evaluation that ``expr`` reads: the longest range (subquery range) plus offset,
    through recording rules."""
    longest = 0.0
    for node in nodes(parse(expr)):
        if isinstance(node, pp.MatrixSelector):
            longest = max(longest, node.range.total_seconds() + _offset(node.vector_selector))
        elif isinstance(node, pp.SubqueryExpr):
            longest = max(longest, (node.range.total_seconds() if node.range else 0.0) + _offset(node))
        elif isinstance(node, pp.VectorSelector):
            longest = max(longest, _offset(node))
            record = _record(node, records, _seen)
            if record is not None:
                longest = max(longest, _offset(node) + reach(records[record], records, _seen | {record}))
    return longest


def _offset(node: Any) -> float:
    return node.offset.total_seconds() if node.offset is not None else 0.0


def is_window_total(node: Any, records: Mapping[str, str]) -> bool:
    """Whether the value of ``node`` is proportional to the length of its range windows (so a shorter,
    scaled window gives a smaller value at the same request rate). Ratios of two totals are not."""
    if isinstance(node, pp.Call):
        if node.func.name in WINDOW_TOTALS:
            return True
        return any(is_window_total(arg, records) for arg in node.args if isinstance(arg, pp.Expr))
    if isinstance(node, pp.AggregateExpr):
        return str(node.op) not in ("count", "count_values") and is_window_total(node.expr, records)
    if isinstance(node, pp.BinaryExpr):
        op, lhs, rhs = str(node.op), is_window_total(node.lhs, records), is_window_total(node.rhs, records)
        if op == "/":
            return lhs != rhs  # total/total is a ratio; total/rate or rate/total is not
        if op in COMPARISONS or op in ("and", "unless", "atan2"):
            return lhs  # a filter keeps the left-hand values
        return lhs or rhs
    if isinstance(node, pp.ParenExpr | pp.UnaryExpr | pp.SubqueryExpr):
        return is_window_total(node.expr, records)
    record = _record(node, records)
    if record is not None:  # a recording rule's output: what it records (rule files may not loop)
        return is_window_total(parse(records[record]), records)
    return False


def window_total_comparisons(expr: str, records: Mapping[str, str]) -> list[str]:
    """Every comparison in ``expr`` of a window total against something that is not one (a constant,
    a gauge, a rate), as PromQL text."""
    out = []
    for node in nodes(parse(expr)):
        if (isinstance(node, pp.BinaryExpr) and str(node.op) in COMPARISONS
                and is_window_total(node.lhs, records) != is_window_total(node.rhs, records)):
            out.append(" ".join(node.prettify().split()))
    return out
