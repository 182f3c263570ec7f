"""A stand-in for Testcontainers' DockerClient that records what a container asks the engine for, so the
path container spec -> ObsContainer -> ``DockerClient.create`` runs without an engine."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from testcontainers.core.config import testcontainers_config

from harness.components.base import ObsContainer
from harness.components.spec import ContainerSpec

NETWORK = SimpleNamespace(name="run-net")


@dataclass
class FakeWrapped:
    """The docker-py Container that ``create`` returns: started, then ``status`` as the test sets it."""

    id: str
    status: str = "created"
    starts: int = 0
    short_id: str = "fake"

    def start(self) -> None:
        self.starts += 1
        self.status = "running"

    def reload(self) -> None:
        pass


@dataclass
class RecordingEngine:
    created: list[dict[str, Any]] = field(default_factory=list)
    containers: list[FakeWrapped] = field(default_factory=list)
    host_ports: dict[int, int] = field(default_factory=dict)
    port_calls: int = 0

    def create(self, image: str, **kwargs: Any) -> FakeWrapped:
        self.created.append({"image": image, **kwargs})
        self.containers.append(FakeWrapped(id=f"id-{kwargs['name']}"))
        return self.containers[-1]

    def start(self, container: FakeWrapped) -> None:
        container.start()

    def port(self, container_id: str, port: int) -> str:
        self.port_calls += 1
        return str(self.host_ports.get(port, 40000 + port))


class RecordedContainer(ObsContainer):
    """An ObsContainer whose engine is a RecordingEngine (no docker client dials anything)."""

    def __init__(self, spec: ContainerSpec) -> None:
        super().__init__(spec, NETWORK, docker_client_kw={"version": "1.41"})  # type: ignore[arg-type]
        self.engine = RecordingEngine()

    def get_docker_client(self) -> Any:
        return self.engine

    @property
    def wrapped(self) -> FakeWrapped:
        return self.engine.containers[-1]

    def created(self) -> dict[str, Any]:
        """The keyword arguments of the one ``create`` call ``start()`` made."""
        assert len(self.engine.created) == 1, self.engine.created
        return self.engine.created[0]


@pytest.fixture
def no_ryuk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Testcontainers would start its Ryuk reaper container on the first start(); the harness disables it too."""
    monkeypatch.setattr(testcontainers_config, "ryuk_disabled", True)


def started(spec: ContainerSpec) -> RecordedContainer:
    return RecordedContainer(spec).start()
