"""``obsdrill reload``: validate the config under test, render it for the up-run's time factor into its run
dir (the containers mount it), make Prometheus and Alertmanager reload it (POST /-/reload), and say what
changed: rules added, removed or changed by name, and a diff of each rendered file."""

from __future__ import annotations

import difflib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

from harness.config import AlertRule, load_source, parse_rules
from harness.errors import ConfigError, StackError
from harness.render import render
from harness.scenario.check import validate
from harness.session import UpState, host_url
from harness.settings import Settings

RELOADED = ("prometheus", "alertmanager")  # the rendered subdirs, each mounted by its component


@dataclass
class Change:
    rules: list[str] = field(default_factory=list)  # "changed HighErrorRate: for 6s -> 3s"
    diffs: dict[str, str] = field(default_factory=dict)  # rendered file -> unified diff

    @property
    def empty(self) -> bool:
        return not self.rules and not self.diffs


def _texts(run_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(run_dir)): p.read_text() for sub in RELOADED if (run_dir / sub).is_dir()
            for p in sorted((run_dir / sub).rglob("*")) if p.is_file()}


def _rules(texts: dict[str, str]) -> dict[str, AlertRule]:
    out: dict[str, AlertRule] = {}
    for rel, text in texts.items():
        doc = yaml.safe_load(text) or {}
        if rel.startswith("prometheus/") and isinstance(doc, dict) and isinstance(doc.get("groups"), list):
            out.update({r.name: r for r in parse_rules(doc, rel)})
    return out


def _rule_changes(old: dict[str, AlertRule], new: dict[str, AlertRule]) -> list[str]:
    out = [f"added {n}: {new[n].expr} for {new[n].for_seconds:g}s" for n in new if n not in old]
    out += [f"removed {n}" for n in old if n not in new]
    for name in (n for n in new if n in old and new[n] != old[n]):
        a, b = old[name], new[name]
        parts = [f"{key} {getattr(a, key)!s} -> {getattr(b, key)!s}" for key in ("expr", "for_seconds", "labels")
                 if getattr(a, key) != getattr(b, key)]
        out.append(f"changed {name}: " + ("; ".join(parts) or "annotations"))
    return out


def changes(old: dict[str, str], new: dict[str, str]) -> Change:
    change = Change(_rule_changes(_rules(old), _rules(new)))
    for rel in sorted(set(old) | set(new)):
        if old.get(rel) != new.get(rel):
            change.diffs[rel] = "".join(difflib.unified_diff(
                old.get(rel, "").splitlines(keepends=True), new.get(rel, "").splitlines(keepends=True),
                f"a/{rel}", f"b/{rel}"))
    return change


def _post_reload(name: str, url: str) -> None:
    try:
        response = requests.post(f"{url}/-/reload", timeout=30)
    except requests.RequestException as exc:
        raise StackError(f"{name}: POST {url}/-/reload failed: {exc}") from None
    if response.status_code != 200:
        raise StackError(f"{name} rejected the new config (POST /-/reload answered {response.status_code}): "
                         f"{response.text.strip()[:500]}")


def reload(settings: Settings, state: UpState, containers: dict[str, object]) -> Change:
    """Validate, render, swap the rendered files of ``state``'s run dir, reload both servers."""
    result = validate([], settings.config_dir)
    if not result.passed:
        raise ConfigError("the config under test does not validate; nothing reloaded:\n" + "\n".join(result.problems))
    run_dir = Path(state.run_dir)
    old = _texts(run_dir)
    with tempfile.TemporaryDirectory(prefix="obsdrill-reload-") as tmp:
        render(load_source(settings.config_dir), state.time_factor, Path(tmp), set(state.ports) | {"localhost"})
        new = _texts(Path(tmp))
        change = changes(old, new)
        if change.empty:
            return change
        for rel in set(old) - set(new):  # a file the config no longer has
            (run_dir / rel).unlink()
        for sub in RELOADED:  # in place: the containers mount these dirs
            shutil.copytree(Path(tmp) / sub, run_dir / sub, dirs_exist_ok=True)
            for path in (run_dir / sub).rglob("*"):
                path.chmod(0o755 if path.is_dir() else 0o644)
    for name in RELOADED:
        _post_reload(name, host_url(containers[name], state.ports[name]))
    return change
