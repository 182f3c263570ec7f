"""Metric assertions against a real Prometheus."""

from __future__ import annotations

import re

from harness.assertions.wait import eventually
from harness.clients.prometheus import PromClient, Sample

_COMPARISON = re.compile(r"\s*(==|!=|>=|<=|>|<)\s*(-?[0-9.eE+]+)\s*$")


def value_part(expr: str) -> tuple[str, str]:
    """Split 'X > 0.05' into ('X', '> 0.05'): the value side shows the near miss of a threshold."""
    text = expr.strip()
    match = _COMPARISON.search(text)
    if not match:
        return text, ""
    return text[: match.start()].strip(), f"{match.group(1)} {match.group(2)}"


def near_misses(prom: PromClient, expr: str, limit: int = 5) -> str:
    value_expr, threshold = value_part(expr)
    try:
        samples = prom.query(value_expr)
    except Exception as exc:
        return f"  query: {value_expr}\n  (could not query: {exc})"
    closest = sorted(samples, key=lambda s: -s.value)[:limit]
    lines = [f"  query: {value_expr}" + (f"   (threshold {threshold})" if threshold else "")]
    lines += [f"    {s.show()}" for s in closest] or ["    (no series at all)"]
    return "\n".join(lines)


def assert_query_eventually(prom: PromClient, expr: str, within: float) -> tuple[list[Sample], float]:
    """Wait until ``expr`` returns at least one series; failure shows the closest series."""
    return eventually(lambda: prom.query(expr), within, f"PromQL {expr!r} returned no series",
                      lambda: near_misses(prom, expr))
