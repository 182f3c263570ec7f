"""A running stack on another config without a restart: the config rendered for the stack's time factor into
its run dir (the containers mount it), what changed said (rules by name, a diff per rendered file), and
Prometheus and Alertmanager reloaded (POST /-/reload). `obsdrill reload` does this to the `up` stack;
`obsdrill mutate` to its one stack per mode, once per mutant."""

from __future__ import annotations

import dataclasses
import difflib
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import requests
import yaml

from harness.config import AlertRule, SourceConfig, parse_rules
from harness.errors import StackError
from harness.render import RenderedConfig, render

RELOADED = ("prometheus", "alertmanager")  # the rendered subdirs, each mounted by its component


@dataclass
class Change:
    rules: list[str] = field(default_factory=list)  # "changed HighErrorRate: for 6s -> 3s"
    diffs: dict[str, str] = field(default_factory=dict)  # rendered file -> unified diff

    @property
    def empty(self) -> bool:
        return not self.rules and not self.diffs


def texts(run_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(run_dir)): p.read_text() for sub in RELOADED if (run_dir / sub).is_dir()
            for p in sorted((run_dir / sub).rglob("*")) if p.is_file()}


def _rules(texts: dict[str, str]) -> dict[str, AlertRule]:
    out: dict[str, AlertRule] = {}
    for rel, text in texts.items():
        if not rel.startswith("prometheus/") or not rel.endswith((".yml", ".yaml")):
            continue  # Alertmanager's template files, a rule file's neighbours: not rules, maybe not YAML
        doc = yaml.safe_load(text) or {}
        if isinstance(doc, dict) and isinstance(doc.get("groups"), list):
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


def swap(source: SourceConfig, factor: float, run_dir: Path, hosts: set[str]) -> tuple[Change, RenderedConfig]:
    """Render ``source`` for ``factor`` and put it in place of ``run_dir``'s rendered files (in place: the
    containers mount those dirs). Nothing is written when nothing changed."""
    old = texts(run_dir)
    with tempfile.TemporaryDirectory(prefix="obsdrill-reconfigure-") as tmp:
        config = render(source, factor, Path(tmp), hosts)
        new = texts(Path(tmp))
        change = changes(old, new)
        if not change.empty:
            for rel in set(old) - set(new):  # a file the config no longer has
                (run_dir / rel).unlink()
            for sub in RELOADED:
                shutil.copytree(Path(tmp) / sub, run_dir / sub, dirs_exist_ok=True)
                for path in (run_dir / sub).rglob("*"):
                    path.chmod(0o755 if path.is_dir() else 0o644)
    return change, dataclasses.replace(config, directory=run_dir)


def post_reload(name: str, url: str) -> None:
    """POST /-/reload; a server that rejects the config (or cannot be reached) is a StackError with its answer."""
    try:
        response = requests.post(f"{url}/-/reload", timeout=30)
    except requests.RequestException as exc:
        raise StackError(f"{name}: POST {url}/-/reload failed: {exc}") from None
    if response.status_code != 200:
        raise StackError(f"{name} rejected the new config (POST /-/reload answered {response.status_code}): "
                         f"{response.text.strip()[:500]}")
