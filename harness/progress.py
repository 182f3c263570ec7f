"""Progress lines of the layers below the scenario engine (runtime set-up, image builds, stack start and
teardown, reaping): one prefix and one printer, handed down as a ``Log``. The scenario engine reports through
harness/events.py instead, whose console printer (harness/reporting/console.py) uses the same PREFIX."""

from __future__ import annotations

from collections.abc import Callable

PREFIX = "[obsdrill]"
Log = Callable[[str], None]


def say(text: str) -> None:
    """Print one progress line (what a ``Log`` defaults to)."""
    print(f"{PREFIX} {text}", flush=True)
