"""Load scenario files: ${ENV} substitution, JSON Schema validation with path-carrying errors, models."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from harness.errors import ConfigError
from harness.scenario.build import build
from harness.scenario.model import Scenario

_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def schema() -> dict[str, Any]:
    text = resources.files("harness").joinpath("schemas/scenario.schema.json").read_text()
    return dict(json.loads(text))


def substitute(text: str, env: Mapping[str, str], path: Path) -> str:
    def repl(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            return env[name]
        if default is not None:
            return default
        line = text.count("\n", 0, match.start()) + 1
        raise ConfigError(f"{path}:{line}: ${{{name}}} is not set in the environment (use ${{{name}:-default}})")

    return _ENV.sub(repl, text)


def _where(error: jsonschema.ValidationError) -> str:
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def validate(doc: Any, path: Path) -> None:
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{path}: {_where(e)}: {e.message}" for e in errors[:10]]
        raise ConfigError("\n".join(lines))


def load_scenario(path: Path, env: Mapping[str, str] | None = None) -> Scenario:
    if not path.is_file():
        raise ConfigError(f"{path}: scenario file not found")
    try:
        doc = yaml.safe_load(substitute(path.read_text(), os.environ if env is None else env, path))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    validate(doc, path)
    return build(doc, path)


def load_scenarios(directory: Path, names: list[str] | None = None) -> list[Scenario]:
    found = {p.stem: p for p in sorted(directory.glob("*.yaml"))}
    if names:
        missing = [n for n in names if n not in found and not Path(n).is_file()]
        if missing:
            raise ConfigError(f"no scenario named {', '.join(missing)} in {directory} "
                              f"(known: {', '.join(found) or 'none'})")
        return [load_scenario(found[n] if n in found else Path(n)) for n in names]
    return [load_scenario(p) for p in found.values()]
