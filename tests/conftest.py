"""Project test helpers. The obsdrill fixtures themselves come from the installed pytest plugin."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import docker
import pytest

from harness.runtime import ensure_runtime
from harness.settings import Settings, project_root


@pytest.fixture
def config_copy(tmp_path: Path) -> Callable[[Callable[[Path], None]], Path]:
    """A copy of the shipped stack/ config, changed by ``mutate(config_dir)``."""

    def make(mutate: Callable[[Path], None]) -> Path:
        target = tmp_path / "stack"
        shutil.copytree(project_root() / "stack", target)
        mutate(target)
        return target

    return make


@pytest.fixture(scope="session")
def engine() -> Iterator[docker.DockerClient]:
    """A client of the container engine obsdrill itself finds (DOCKER_HOST, Docker's socket or Podman's):
    ``docker.from_env()`` sees only DOCKER_HOST, which a fresh shell does not set."""
    client = ensure_runtime(Settings.from_env().cache_dir, install=False).client()
    yield client
    client.close()
