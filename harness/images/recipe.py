"""Image recipes: YAML files in stack/images/, validated into frozen dataclasses and hashed.

The tag of a local image is a hash of its recipe, of every file it copies in and of the builder's
version, so a rebuild happens exactly when one of those changes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.errors import ConfigError
from harness.settings import project_root

BUILDER_VERSION = "1"
_KNOWN = {"name", "description", "upstream", "suite", "packages", "pip", "python", "copy", "entrypoint",
          "env", "user", "workdir", "post"}


@dataclass(frozen=True)
class Recipe:
    name: str
    path: Path
    upstream: str | None
    packages: tuple[str, ...]
    entrypoint: tuple[str, ...]
    suite: str = "bookworm"
    description: str = ""
    pip: tuple[str, ...] = ()
    python: str = "3.11"
    copy: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    user: str | None = None
    workdir: str | None = None
    post: tuple[str, ...] = ()
    extra_hash: str = field(default="", compare=False)

    @property
    def repository(self) -> str:
        return f"localhost/obsdrill/{self.name}"

    def digest(self) -> str:
        doc = {k: v for k, v in asdict(self).items() if k not in ("path", "extra_hash")}
        h = hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode())
        h.update(BUILDER_VERSION.encode())
        for rel in self.copy:
            _hash_tree(h, project_root() / rel)
        return h.hexdigest()[:12]

    @property
    def tag(self) -> str:
        return f"{self.repository}:{self.digest()}"


def _hash_tree(h: Any, root: Path) -> None:
    if not root.exists():
        raise ConfigError(f"image recipe copy: {root} does not exist")
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for path in files:
        if "__pycache__" in path.parts:
            continue
        h.update(str(path.relative_to(project_root())).encode())
        h.update(path.read_bytes())


def load_recipe(path: Path) -> Recipe:
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    unknown = set(doc) - _KNOWN
    if unknown:
        raise ConfigError(f"{path}: unknown field(s) {', '.join(sorted(unknown))}")
    for key in ("name", "packages", "entrypoint"):
        if key not in doc:
            raise ConfigError(f"{path}: {key}: required field is missing")
    for key in ("packages", "entrypoint", "pip", "copy", "post"):
        if key in doc and not (isinstance(doc[key], list) and all(isinstance(x, str) for x in doc[key])):
            raise ConfigError(f"{path}: {key}: expected a list of strings")
    env = doc.get("env", {})
    if not isinstance(env, dict):
        raise ConfigError(f"{path}: env: expected a mapping of NAME: value")
    return Recipe(
        name=str(doc["name"]), path=path, upstream=doc.get("upstream"), suite=doc.get("suite", "bookworm"),
        description=doc.get("description", ""), packages=tuple(doc["packages"]),
        entrypoint=tuple(doc["entrypoint"]), pip=tuple(doc.get("pip", [])), python=str(doc.get("python", "3.11")),
        copy=tuple(doc.get("copy", [])), env=tuple(sorted((str(k), str(v)) for k, v in env.items())),
        user=doc.get("user"), workdir=doc.get("workdir"), post=tuple(doc.get("post", [])),
    )


def load_recipes(directory: Path) -> dict[str, Recipe]:
    recipes = {}
    for path in sorted(directory.glob("*.yaml")):
        recipe = load_recipe(path)
        recipes[recipe.name] = recipe
    if not recipes:
        raise ConfigError(f"{directory}: no image recipes (*.yaml) found")
    return recipes
