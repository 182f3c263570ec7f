"""eventually(): poll until a check passes or a deadline passes; the failure says what was seen."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from harness.errors import ExpectationFailed

T = TypeVar("T")


def eventually(check: Callable[[], T | None], within: float, what: str,
               near_miss: Callable[[], str] = lambda: "", interval: float = 0.5) -> tuple[T, float]:
    """(result, seconds waited) of the first truthy ``check()``; ExpectationFailed after ``within`` s."""
    started = time.monotonic()
    while True:
        result = check()
        elapsed = time.monotonic() - started
        if result:
            return result, elapsed
        if elapsed >= within:
            raise ExpectationFailed(f"{what}: not seen after waiting {elapsed:.1f}s\n{near_miss()}".rstrip())
        time.sleep(interval)
