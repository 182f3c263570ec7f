"""Project test helpers. The obsdrill fixtures themselves come from the installed pytest plugin."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.settings import project_root


@pytest.fixture
def config_copy(tmp_path: Path) -> Callable[[Callable[[Path], None]], Path]:
    """A copy of the shipped stack/ config, changed by ``mutate(config_dir)``."""

    def make(mutate: Callable[[Path], None]) -> Path:
        target = tmp_path / "stack"
        shutil.copytree(project_root() / "stack", target)
        mutate(target)
        return target

    return make
