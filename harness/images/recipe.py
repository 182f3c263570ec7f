"""Image recipes: YAML files in stack/images/, validated into frozen dataclasses and hashed.

The tag of a local image is a hash of its recipe, of every file it copies in, of its build script and
declared build inputs, and of the builder's version, so a rebuild happens exactly when one of those changes.

Three bases: ``debian`` (default: debootstrap of ``suite`` with ``packages``), ``scratch`` (an empty
rootfs the ``build`` script fills, e.g. with a static Go binary) and ``none`` (no offline build is known:
the upstream image or nothing; the stack then runs without that component and says so). ``build`` is a
host-side script (path relative to the recipe's directory) run as root with ROOTFS, CACHE, WORK, RECIPE_DIR
and ``build_env``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from harness.config import load_yaml
from harness.errors import ConfigError
from harness.settings import project_root

BUILDER_VERSION = "1"
BASES = ("debian", "scratch", "none")
_KNOWN = {"name", "description", "upstream", "suite", "packages", "pip", "python", "copy", "entrypoint",
          "env", "user", "workdir", "post", "base", "build", "build_env", "inputs", "cmd", "expose"}
_STR_LISTS = ("packages", "entrypoint", "pip", "copy", "post", "inputs", "cmd")
# Fields added after the first images were tagged: left out of the hashed document while they hold their
# default, so recipes that do not use them keep exactly the digest (and image tag) they had before.
_OPTIONAL_DEFAULTS: dict[str, Any] = {"base": "debian", "build": None, "build_env": (), "inputs": (),
                                      "cmd": (), "expose": ()}
_PORT = re.compile(r"^\d{1,5}(/(tcp|udp))?$")


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
    base: str = "debian"
    build: str | None = None
    build_env: tuple[tuple[str, str], ...] = ()
    inputs: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    expose: tuple[str, ...] = ()
    extra_hash: str = field(default="", compare=False)

    @property
    def repository(self) -> str:
        return f"localhost/obsdrill/{self.name}"

    @property
    def directory(self) -> Path:
        return self.path.parent

    @property
    def build_script(self) -> Path | None:
        return self.directory / self.build if self.build else None

    def hashed_document(self) -> dict[str, Any]:
        doc = {k: v for k, v in asdict(self).items() if k not in ("path", "extra_hash")}
        for key, default in _OPTIONAL_DEFAULTS.items():
            if doc[key] == default:
                del doc[key]
        return doc

    def digest(self) -> str:
        h = hashlib.sha256(json.dumps(self.hashed_document(), sort_keys=True, default=str).encode())
        h.update(BUILDER_VERSION.encode())
        for rel in self.copy:
            _hash_tree(h, project_root() / rel, project_root())
        for rel in ((self.build,) if self.build else ()) + self.inputs:
            _hash_tree(h, self.directory / rel, self.directory)
        return h.hexdigest()[:12]

    @property
    def tag(self) -> str:
        return f"{self.repository}:{self.digest()}"


def _hash_tree(h: Any, root: Path, base: Path) -> None:
    if not root.exists():
        raise ConfigError(f"image recipe: {root} does not exist")
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for path in files:
        if "__pycache__" in path.parts:
            continue
        h.update(_relative(path, base).encode())
        h.update(path.read_bytes())


def _relative(path: Path, base: Path) -> str:
    """Path as hashed: relative to ``base`` (``..`` allowed), so the digest does not depend on the checkout."""
    return os.path.relpath(path.resolve(), base.resolve())


def _read(path: Path) -> dict[str, Any]:
    doc = load_yaml(path)
    unknown = set(doc) - _KNOWN
    if unknown:
        raise ConfigError(f"{path}: unknown field(s) {', '.join(sorted(unknown))}")
    return doc


def _check_fields(path: Path, doc: dict[str, Any]) -> None:
    base = doc.get("base", "debian")
    if base not in BASES:
        raise ConfigError(f"{path}: base: {base!r} is not one of {', '.join(BASES)}")
    required = {"scratch": ("name", "entrypoint"), "none": ("name", "upstream")}.get(
        base, ("name", "packages", "entrypoint"))
    for key in required:
        if key not in doc:
            raise ConfigError(f"{path}: {key}: required field is missing")
    for key in _STR_LISTS:
        if key in doc and not (isinstance(doc[key], list) and all(isinstance(x, str) for x in doc[key])):
            raise ConfigError(f"{path}: {key}: expected a list of strings")
    for key in ("env", "build_env"):
        if not isinstance(doc.get(key, {}), dict):
            raise ConfigError(f"{path}: {key}: expected a mapping of NAME: value")
    expose = doc.get("expose", [])
    if not isinstance(expose, list) or not all(_PORT.match(str(p)) for p in expose):
        raise ConfigError(f"{path}: expose: expected a list of ports (4317 or \"4317/tcp\")")


def _check_build(path: Path, doc: dict[str, Any]) -> None:
    build = doc.get("build")
    if doc.get("base") == "none":
        extra = sorted(set(doc) - {"name", "description", "upstream", "base"})
        if extra:
            raise ConfigError(f"{path}: {', '.join(extra)}: not possible with base: none (nothing is built)")
    if doc.get("base") == "scratch":
        if not build:
            raise ConfigError(f"{path}: build: required with base: scratch (nothing would fill the rootfs)")
        for key in ("packages", "post"):
            if doc.get(key):
                raise ConfigError(f"{path}: {key}: not possible with base: scratch (no Debian, no shell)")
    if build is not None and not (isinstance(build, str) and (path.parent / build).is_file()):
        raise ConfigError(f"{path}: build: {build!r} is not a script file relative to {path.parent}")
    for rel in doc.get("inputs", []):
        if not (path.parent / rel).exists():
            raise ConfigError(f"{path}: inputs: {rel!r} does not exist (relative to {path.parent})")


def _pairs(doc: dict[str, Any], key: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((str(k), str(v)) for k, v in doc.get(key, {}).items()))


def load_recipe(path: Path) -> Recipe:
    doc = _read(path)
    _check_fields(path, doc)
    _check_build(path, doc)
    user = doc.get("user")
    return Recipe(
        name=str(doc["name"]), path=path, upstream=doc.get("upstream"), suite=doc.get("suite", "bookworm"),
        description=doc.get("description", ""), packages=tuple(doc.get("packages", [])),
        entrypoint=tuple(doc.get("entrypoint", [])), pip=tuple(doc.get("pip", [])),
        python=str(doc.get("python", "3.11")),
        copy=tuple(doc.get("copy", [])), env=_pairs(doc, "env"), user=None if user is None else str(user),
        workdir=doc.get("workdir"), post=tuple(doc.get("post", [])), base=doc.get("base", "debian"),
        build=doc.get("build"), build_env=_pairs(doc, "build_env"), inputs=tuple(doc.get("inputs", [])),
        cmd=tuple(doc.get("cmd", [])), expose=tuple(str(p) for p in doc.get("expose", [])),
    )


def load_recipes(directory: Path) -> dict[str, Recipe]:
    recipes = {}
    for path in sorted(directory.glob("*.yaml")):
        recipe = load_recipe(path)
        recipes[recipe.name] = recipe
    if not recipes:
        raise ConfigError(f"{directory}: no image recipes (*.yaml) found")
    return recipes
