"""``--resume RESULT_JSON``: score again after raising the suite without running every mutant again. A mutant
that an earlier result.json records as killed keeps that fate, unless the scenario that killed it was edited
after that run started (it runs again then); every other mutant (survived, not covered, not run, error)
runs."""

from __future__ import annotations

import json
from pathlib import Path

from harness.errors import ConfigError
from harness.mutate.execution import KILLED, UNNAMED, Fate
from harness.mutate.selection import Plan
from harness.scenario.model import Scenario


def kept(path: Path, plans: list[Plan], scenarios: list[Scenario]) -> dict[str, Fate]:
    """Mutant id -> the kill ``path`` records for it, for the mutants of ``plans`` it may keep."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--resume {path}: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("mutants"), list):
        raise ConfigError(f"--resume {path}: not a result.json of obsdrill mutate (no 'mutants' list)")
    started = float(doc.get("started_at") or path.stat().st_mtime)  # older results: when it was written
    files = {s.name: s.path for s in scenarios}
    mutants = {p.mutant.id: p.mutant for p in plans}
    out: dict[str, Fate] = {}
    for entry in doc["mutants"]:
        mutant_id, fate, killer = entry.get("id"), entry.get("fate"), str(entry.get("scenario") or "")
        if mutant_id not in mutants or fate not in (KILLED, UNNAMED):
            continue
        if killer not in files or files[killer].stat().st_mtime > started:
            continue  # the scenario that killed it is gone or was edited since: judged again
        out[mutant_id] = Fate(mutants[mutant_id], str(fate), killer, str(entry.get("message") or ""),
                              tuple(entry.get("tried") or ()), float(entry.get("seconds") or 0.0), kept=str(path))
    return out
