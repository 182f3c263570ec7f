"""eventually(): poll until a check passes or its bound passes; the failure says what was seen and the
bound term by term."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from harness.bounds import Bound
from harness.errors import ExpectationFailed

T = TypeVar("T")


def eventually(check: Callable[[], T | None], within: Bound, what: str,
               near_miss: Callable[[], str] = lambda: "", interval: float = 0.5) -> tuple[T, float]:
    """(result, seconds waited) of the first truthy ``check()``; ExpectationFailed after ``within``."""
    started = time.monotonic()
    while True:
        result = check()
        elapsed = time.monotonic() - started
        if result:
            return result, elapsed
        if elapsed >= within.seconds:
            raise ExpectationFailed(f"{what} (bound {within.explain()}): not seen after waiting {elapsed:.1f}s\n"
                                    f"{near_miss()}".rstrip())
        time.sleep(interval)
