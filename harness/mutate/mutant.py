"""One mutant: a small defect of one file of the config under test, with a stable id, a one-line description,
what it touches (for selection) and what a failure message must name to have caught it by name."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True)
class Mutant:
    id: str  # stable: <operator>:<subject>[:<detail>]
    operator: str
    description: str
    file: str  # relative to the config dir ("prometheus/alert_rules.yml")
    text: str  # the mutated file's content
    alerts: tuple[str, ...] = ()  # alert rules the change touches
    receivers: tuple[str, ...] = ()  # receivers the change touches
    services: tuple[str, ...] = ()  # hosts whose signals the change touches (scrape targets)
    pillars: bool = False  # needs logs/traces (a full stack) to be observable
    names: tuple[str, ...] = ()  # a failure message naming all of these names the defect
    eager: bool = False  # makes its alerts fire sooner: best seen by a scenario that forbids them
    raised: bool = False  # needs a stronger signal to fire: seen only where a scenario drives one in between
    grouping: bool = False  # changes which alerts share a notification: seen where several fire at once

    def named_by(self, message: str) -> bool:
        low = message.lower()
        return all(n.lower() in low for n in self.names)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "operator": self.operator, "description": self.description, "file": self.file,
                "alerts": list(self.alerts), "receivers": list(self.receivers), "services": list(self.services),
                "names": list(self.names)}


def dump(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False, width=1000)


def edited(doc: dict[str, Any]) -> dict[str, Any]:
    """A deep copy to mutate (the loaded documents stay as they are)."""
    return copy.deepcopy(doc)


def number(value: float) -> str:
    return f"{value:g}"
