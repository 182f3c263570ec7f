"""Metric assertions against a real Prometheus. A failure shows the near misses: the value side of the
expression, the series closest to the threshold with their last values, and how long it waited."""

from __future__ import annotations

import re

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
    return "\n".join(lines)


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
