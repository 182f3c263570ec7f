"""Layered config: a user's config dir overrides only the files it contains; every other file (image recipes
and build scripts, collector, Elasticsearch, Jaeger, Grafana provisioning, rules it does not replace) comes
from the shipped defaults. The merged tree is materialised once per content under the cache dir
(``<cache>/config/<digest>``), with a manifest naming where each file came from (``obsdrill validate``)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from harness import resources
from harness.errors import ConfigError

MANIFEST = ".obsdrill-layers.json"
USER, SHIPPED = "user", "shipped"
_SKIP = {"__pycache__", ".git", MANIFEST}


@dataclass(frozen=True)
class LayeredFile:
    path: str  # relative to the config dir, with "/"
    origin: str  # USER or SHIPPED
    source: Path

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "from": self.origin, "source": str(self.source)}


def _files(root: Path) -> dict[str, Path]:
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not _SKIP.intersection(rel.parts):
            out[rel.as_posix()] = path
    return out


def layer(user_dir: Path, shipped: Path | None = None) -> list[LayeredFile]:
    """Every file of the merged config: the user's where it has one, else the shipped default."""
    if not user_dir.is_dir():
        raise ConfigError(f"config dir: {user_dir} does not exist or is not a directory")
    base = _files(shipped or resources.stack_dir())
    mine = _files(user_dir)
    merged = {rel: LayeredFile(rel, SHIPPED, src) for rel, src in base.items()}
    merged.update({rel: LayeredFile(rel, USER, src) for rel, src in mine.items()})
    return [merged[rel] for rel in sorted(merged)]


def _digest(files: list[LayeredFile]) -> str:
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.path}\0{f.origin}\0{f.source}\0".encode())
        h.update(f.source.read_bytes())
    return h.hexdigest()[:16]


def materialise(user_dir: Path, cache_dir: Path, shipped: Path | None = None) -> Path:
    """The merged config dir for ``user_dir`` (created on first use; same content, same dir)."""
    shipped = shipped or resources.stack_dir()
    if user_dir.resolve() == shipped.resolve() or (user_dir / MANIFEST).is_file():
        return user_dir  # the shipped defaults themselves, or an already merged dir
    files = layer(user_dir.resolve(), shipped)
    target = cache_dir / "config" / _digest(files)
    if (target / MANIFEST).is_file():
        return target
    staging = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    for f in files:
        dest = staging / f.path
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f.source, dest)
    manifest = {"user_dir": str(user_dir.resolve()), "files": [f.as_dict() for f in files]}
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=1) + "\n")
    try:
        staging.rename(target)
    except OSError:  # another process materialised the same content first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def provenance(config_dir: Path) -> list[LayeredFile]:
    """Where each file of ``config_dir`` came from: the manifest of a merged dir, else the dir itself
    (the shipped defaults, or a complete config dir given as is)."""
    manifest = config_dir / MANIFEST
    if manifest.is_file():
        doc = json.loads(manifest.read_text())
        return [LayeredFile(f["path"], f["from"], Path(f["source"])) for f in doc["files"]]
    origin = SHIPPED if config_dir.resolve() == resources.stack_dir().resolve() else USER
    return [LayeredFile(rel, origin, src) for rel, src in _files(config_dir).items()]


def user_config_dir(given: str | Path | None) -> Path | None:
    """The user's config dir: the one given (flag or OBSDRILL_CONFIG_DIR), else ``./config`` when the working
    directory has one (a project made by ``obsdrill init``), else None (the shipped defaults only)."""
    if given:
        return Path(given)
    local = resources.workdir_path("config")
    return local if local.is_dir() else None


def default_scenarios_dir(given: str | Path | None) -> Path:
    """The scenarios: the dir given, else ``./scenarios`` when the working directory has one, else the
    built-in scenarios."""
    if given:
        return Path(given)
    local = resources.workdir_path("scenarios")
    return local if local.is_dir() else resources.scenarios_dir()
