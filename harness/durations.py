"""Prometheus/Alertmanager duration strings: parse, format and scale ("5m", "1h30m", "1500ms")."""

from __future__ import annotations

import re
from collections.abc import Callable

from harness.errors import ConfigError

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0, "y": 31536000.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")
_FULL = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w|y))+$")
# A range selector or subquery window inside PromQL: [5m], [1h30m], [5m:30s].
_RANGE = re.compile(r"\[(\s*[0-9a-z.]+\s*)(?::(\s*[0-9a-z.]*\s*))?\]")
# String literals are skipped so a regex matcher like status_code=~"[45].." is never taken for a range.
_STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')


def parse(text: str | int | float, where: str = "duration") -> float:
    """Seconds in a duration string. Bare numbers are seconds."""
    if isinstance(text, int | float):
        return float(text)
    value = str(text).strip()
    if re.fullmatch(r"\d+(?:\.\d+)?", value):
        return float(value)
    if not _FULL.match(value):
        raise ConfigError(f"{where}: {text!r} is not a duration (expected e.g. 15s, 5m, 1h30m, 1500ms)")
    return sum(float(num) * _UNITS[unit] for num, unit in _PART.findall(value))


def format(seconds: float) -> str:
    """Shortest exact Prometheus duration for ``seconds`` (millisecond resolution)."""
    millis = max(1, round(seconds * 1000))
    out = []
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)):
        count, millis = divmod(millis, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out)


def scale(text: str | int | float, factor: float, where: str = "duration") -> str:
    return format(parse(text, where) * factor)


def range_windows(expr: str) -> list[float]:
    """Seconds of every range/subquery window used in a PromQL expression."""
    code = _STRING.sub('""', expr)
    return [parse(match.group(1).strip(), "PromQL range") for match in _RANGE.finditer(code)]


def without_ranges(expr: str) -> str:
    """``expr`` with every range window emptied (``rate(x[5m])`` -> ``rate(x[])``): one signal at any window."""
    return _RANGE.sub("[]", _STRING.sub('""', expr))


def scale_ranges(expr: str, factor: float) -> str:
    """Rewrite every range and subquery window in ``expr`` multiplied by ``factor``."""
    return map_ranges(expr, lambda window: window * factor, lambda step: step * factor)


def map_ranges(expr: str, window: Callable[[float], float], step: Callable[[float], float] | None = None) -> str:
    """Rewrite every range and subquery window in ``expr`` as ``window(seconds)``, and each subquery step as
    ``step(seconds)`` (kept without ``step``)."""

    def _sub(match: re.Match[str]) -> str:
        size = format(window(parse(match.group(1).strip(), "PromQL range")))
        if match.group(2) is None:
            return f"[{size}]"
        every = match.group(2).strip()
        return f"[{size}:{format(step(parse(every, 'PromQL step'))) if every and step else every}]"

    out, last = [], 0
    for literal in _STRING.finditer(expr):
        out.append(_RANGE.sub(_sub, expr[last : literal.start()]))
        out.append(literal.group(0))
        last = literal.end()
    out.append(_RANGE.sub(_sub, expr[last:]))
    return "".join(out)
