"""Every mutant of a config: the rule, Alertmanager and pipeline operators, in a stable order, ids unique."""

from __future__ import annotations

from harness.config import SourceConfig
from harness.mutate.mutant import Mutant
from harness.mutate.ops_alertmanager import alertmanager_mutants
from harness.mutate.ops_pipeline import pipeline_mutants
from harness.mutate.ops_rules import rule_mutants


def generate(source: SourceConfig) -> list[Mutant]:
    found: dict[str, Mutant] = {}
    for mutant in [*rule_mutants(source), *alertmanager_mutants(source), *pipeline_mutants(source)]:
        found.setdefault(mutant.id, mutant)
    return list(found.values())


def only(mutants: list[Mutant], ids: list[str]) -> list[Mutant]:
    """The mutants whose id is one of ``ids`` or starts with one followed by ':' (an operator, a subject)."""
    if not ids:
        return mutants
    return [m for m in mutants if any(m.id == i or m.id.startswith(f"{i}:") for i in ids)]
