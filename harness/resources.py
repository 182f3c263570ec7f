"""Data shipped with obsdrill, read through importlib.resources: the default config (stack/) and the built-in
scenarios (scenarios/), mapped into the wheel as ``harness/_data/...``; in a checkout the top-level folders.
Also where obsdrill writes: the caller's working directory (reports) and the user cache (tools, merged
config); never the installed package."""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def _shipped(name: str) -> Path:
    packaged = resources.files("harness").joinpath("_data", name)
    if isinstance(packaged, Path) and packaged.is_dir():
        return packaged  # an installed wheel
    checkout = _CHECKOUT / name
    if checkout.is_dir():
        return checkout  # a checkout (editable install or PYTHONPATH)
    raise FileNotFoundError(f"obsdrill installation is incomplete: no shipped {name}/ (looked in {packaged} "
                            f"and {checkout})")


def stack_dir() -> Path:
    """The shipped default config: prometheus/, alertmanager/, otelcol/, elasticsearch/, jaeger/, grafana/,
    images/ (recipes and build scripts)."""
    return _shipped("stack")


def scenarios_dir() -> Path:
    """The built-in scenarios."""
    return _shipped("scenarios")


def templates() -> Traversable:
    """The files ``obsdrill init`` scaffolds a project from."""
    return resources.files("harness").joinpath("templates")


def cache_home(env: Mapping[str, str] | None = None) -> Path:
    """``~/.cache/obsdrill`` (``$XDG_CACHE_HOME/obsdrill`` when set): downloaded tools, merged config, debs."""
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "obsdrill"


def workdir_path(name: str) -> Path:
    """``name`` under the caller's working directory (e.g. ``reports``), as an absolute path."""
    return Path.cwd() / name
