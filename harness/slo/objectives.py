"""Load ``slo/objectives.yml`` (OpenSLO v1 ``kind: SLO`` documents) against the packaged JSON Schema into
frozen :class:`Objective` values; every problem of every document is reported at once, with its path."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from harness import durations
from harness.errors import ConfigError

OBJECTIVES_FILE = "slo/objectives.yml"  # relative to a config dir (layered like every other file)
WINDOW_PLACEHOLDER = "{{.window}}"  # Sloth's: a query that contains it is used as written, per window


@dataclass(frozen=True)
class Objective:
    name: str
    display_name: str
    description: str
    service: str
    target: float  # 0.999
    window: str  # the rolling window of the objective, as written (30d)
    good: str
    total: str

    @property
    def window_seconds(self) -> float:
        return durations.parse(self.window, f"{self.name}: timeWindow")

    @property
    def budget(self) -> float:
        """The error budget as a ratio of events (0.001 for 99.9 %)."""
        return round(1.0 - self.target, 12)

    def alert_name(self, kind: str) -> str:
        """APIAvailabilityBudgetBurnPage: the display name's words, capitalised, joined, and the alert's kind."""
        words = re.findall(r"[A-Za-z0-9]+", self.display_name)
        return "".join(w if w.isupper() else w[:1].upper() + w[1:] for w in words) + "BudgetBurn" + kind.title()

    def rate(self, which: str, window: str) -> str:
        """``sum(rate(<query>[window]))`` of the good or total counter (or the query with {{.window}} set)."""
        query = self.good if which == "good" else self.total
        if WINDOW_PLACEHOLDER in query:
            return query.replace(WINDOW_PLACEHOLDER, window)
        return f"sum(rate({query}[{window}]))"

    def error_ratio(self, window: str) -> str:
        return f"(1 - {self.rate('good', window)} / {self.rate('total', window)})"

    def increase(self, which: str, seconds: float) -> str:
        """Events counted over the last ``seconds`` (for the budget a scenario consumed)."""
        window = f"{max(1, round(seconds))}s"
        query = self.good if which == "good" else self.total
        if WINDOW_PLACEHOLDER in query:
            return f"({query.replace(WINDOW_PLACEHOLDER, window)}) * {max(1, round(seconds))}"
        return f"sum(increase({query}[{window}]))"


def schema() -> dict[str, Any]:
    return dict(json.loads(resources.files("harness").joinpath("schemas/openslo.schema.json").read_text()))


def _where(error: jsonschema.ValidationError) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path) or " (document)"


def _build(doc: dict[str, Any]) -> Objective:
    spec = doc["spec"]
    ratio = spec["indicator"]["spec"]["ratioMetric"]
    name = doc["metadata"]["name"]
    return Objective(
        name=name, display_name=str(doc["metadata"].get("displayName") or name),
        description=str(spec.get("description", "")), service=str(spec["service"]),
        target=float(spec["objectives"][0]["target"]),
        window=str(spec["timeWindow"][0]["duration"]),
        good=str(ratio["good"]["metricSource"]["spec"]["query"]).strip(),
        total=str(ratio["total"]["metricSource"]["spec"]["query"]).strip())


def parse_objectives(text: str, path: Path) -> tuple[Objective, ...]:
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    validator = jsonschema.Draft202012Validator(schema())
    problems = [f"{path}: document {i + 1}{_where(e)}: {e.message}"
                for i, doc in enumerate(docs) for e in sorted(validator.iter_errors(doc), key=lambda e: e.path)]
    if problems:
        raise ConfigError("\n".join(problems))
    objectives = tuple(_build(d) for d in docs)
    names = [o.name for o in objectives]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"{path}: metadata.name {', '.join(twice)} appears in more than one document")
    return objectives


def load_objectives(config_dir: Path) -> tuple[Objective, ...]:
    """The objectives of ``config_dir`` (none when it has no slo/objectives.yml)."""
    path = config_dir / OBJECTIVES_FILE
    return parse_objectives(path.read_text(), path) if path.is_file() else ()
