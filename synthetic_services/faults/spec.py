"""Validation of fault specs: every error names the field (``latency.ms: expected a number >= 0, got 'x'``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

REQUIRED: Any = object()


class FaultError(ValueError):
    """A fault request that cannot be applied; the message names the field (answered as HTTP 400)."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Spec:
    """Typed, validated access to one fault's JSON spec; unknown fields are rejected."""

    def __init__(self, fault: str, raw: Any, fields: Iterable[str]) -> None:
        self.fault = fault
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise FaultError(f"{fault}: expected a JSON object as spec, got {raw!r}")
        allowed = list(fields)
        unknown = sorted(set(raw) - set(allowed))
        if unknown:
            raise FaultError(f"{fault}.{unknown[0]}: unknown field; {fault} takes {', '.join(allowed) or 'none'}")
        self.raw: dict[str, Any] = raw

    def error(self, key: str, expected: str) -> FaultError:
        return FaultError(f"{self.fault}.{key}: expected {expected}, got {self.raw.get(key)!r}")

    def _get(self, key: str, default: Any) -> Any:
        if key in self.raw and self.raw[key] is not None:
            return self.raw[key]
        if default is REQUIRED:
            raise FaultError(f"{self.fault}.{key}: required")
        return default

    def number(self, key: str, default: Any = REQUIRED, *, low: float | None = None, high: float | None = None,
               low_open: bool = False) -> float:
        """A number in [low, high] (``(low, high]`` with ``low_open``)."""
        value = self._get(key, default)
        expected = "a number" + _range_text(low, high, low_open)
        if not _is_number(value):
            raise self.error(key, expected)
        too_low = low is not None and (value <= low if low_open else value < low)
        if too_low or (high is not None and value > high):
            raise self.error(key, expected)
        return float(value)

    def integer(self, key: str, default: Any = REQUIRED, *, low: int | None = None, high: int | None = None) -> int:
        value = self._get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or (low is not None and value < low) \
                or (high is not None and value > high):
            raise self.error(key, "an integer" + _range_text(low, high, False))
        return value

    def boolean(self, key: str, default: Any = REQUIRED) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, "true or false")
        return value

    def string(self, key: str, default: Any = REQUIRED, choices: Iterable[str] | None = None) -> str:
        value = self._get(key, default)
        options = list(choices) if choices is not None else None
        if not isinstance(value, str) or not value or (options is not None and value not in options):
            raise self.error(key, f"one of {', '.join(options)}" if options is not None else "a non-empty string")
        return value

    def optional_string(self, key: str, choices: Iterable[str] | None = None) -> str | None:
        return self.string(key, None, choices) if self.raw.get(key) is not None else None

    def rate(self, key: str = "rate", default: Any = REQUIRED) -> float:
        return self.number(key, default, low=0.0, high=1.0, low_open=True)


def _range_text(low: float | None, high: float | None, low_open: bool) -> str:
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{low:g}, {high:g}]"
    if low is not None:
        return f" {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f" <= {high:g}"
    return ""
