"""Subscribers of the run's events (harness/events.py): the console printer, Allure steps and attachments,
and result.json. :func:`standard` wires them to one registry."""

from __future__ import annotations

from pathlib import Path

from harness.events import Events
from harness.reporting import environment
from harness.reporting.allure import AllureReporter
from harness.reporting.console import ConsolePrinter
from harness.reporting.result_file import ResultFile

__all__ = ["AllureReporter", "ConsolePrinter", "ResultFile", "environment", "standard"]


def standard(result_file: Path | None = None, events: Events | None = None) -> Events:
    """A registry with the console printer and Allure, plus result.json at ``result_file`` when given."""
    events = events or Events()
    ConsolePrinter().subscribe(events)
    AllureReporter().subscribe(events)
    if result_file is not None:
        ResultFile(result_file).subscribe(events)
    return events
