"""eventually(): poll until a check passes or its bound passes; the failure says what was seen and the
bound term by term. A transient error of a component (connection refused or reset, timeout, 5xx: see
harness/clients/http.py) does not end the wait: it is counted and shown with the near misses, and only one
still happening when the bound passes fails the wait, as that component's infrastructure error (exit 3)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from harness.bounds import Bound
from harness.clients.http import transient
from harness.errors import ExpectationFailed, TransientError

T = TypeVar("T")


@dataclass
class TransientLog:
    """The transient errors one wait saw, by component (count and the latest)."""

    counts: dict[str, int] = field(default_factory=dict)
    latest: dict[str, str] = field(default_factory=dict)

    def add(self, error: TransientError) -> None:
        self.counts[error.component] = self.counts.get(error.component, 0) + 1
        self.latest[error.component] = error.detail

    def show(self) -> str:
        return "\n".join(f"{n} transient error{'s' if n != 1 else ''} from {c}: {self.latest[c]}"
                         for c, n in sorted(self.counts.items()))


def _attempt(check: Callable[[], T | None], log: TransientLog) -> tuple[T | None, TransientError | None]:
    try:
        return check(), None
    except Exception as error:  # re-raised below unless it is transient
        found = transient(error)
        if found is None:
            raise
        log.add(found)
        return None, found


def _near(near_miss: Callable[[], str], log: TransientLog) -> str:
    try:
        seen = near_miss()
    except Exception as error:  # an unreadable near miss is transient too
        found = transient(error)
        if found is None:
            raise
        log.add(found)
        seen = ""
    return "\n".join(part for part in (seen, log.show()) if part)


def eventually(check: Callable[[], T | None], within: Bound, what: str,
               near_miss: Callable[[], str] = lambda: "", interval: float = 0.5) -> tuple[T, float]:
    """(result, seconds waited) of the first truthy ``check()``; ExpectationFailed after ``within``, or the
    component's TransientError when the last check failed with one."""
    started, log = time.monotonic(), TransientLog()
    while True:
        result, error = _attempt(check, log)
        elapsed = time.monotonic() - started
        if result:
            return result, elapsed
        if elapsed >= within.seconds:
            if error is not None:
                raise TransientError(error.component, f"{what} (bound {within.explain()}) could not be judged: "
                                     f"{error.component} still failing after {elapsed:.1f}s\n{log.show()}")
            raise ExpectationFailed(f"{what} (bound {within.explain()}): not seen after waiting {elapsed:.1f}s\n"
                                    f"{_near(near_miss, log)}".rstrip())
        time.sleep(interval)
