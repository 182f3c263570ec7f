"""Project test helpers. The obsdrill fixtures themselves come from the installed pytest plugin; ``start`` serves
synthetic services in-process on loopback."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest
import requests
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from harness.runtime import ensure_runtime
from harness.settings import Settings, project_root
from synthetic_services.app import ServiceApp
from synthetic_services.catalog import build_app
from synthetic_services.server import Server


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


@dataclass
class Running:
    app: ServiceApp
    server: Server
    spans: InMemorySpanExporter
    log_file: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.port}"

    def call(self, method: str, path: str, body: Any = None, timeout: float = 10,
             headers: dict[str, str] | None = None) -> requests.Response:
        return requests.request(method, self.url + path, json=body, timeout=timeout, headers=headers)

    def fault(self, name: str, spec: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.call("PUT", f"/admin/faults/{name}", spec or {})
        assert response.status_code == 200, response.text
        return dict(response.json()["faults"][name])

    def clear(self, name: str | None = None) -> dict[str, Any]:
        return dict(self.call("DELETE", "/admin/faults" + (f"/{name}" if name else "")).json()["faults"])

    def sample(self, metric: str, **labels: str) -> float:
        return self.app.registry.get_sample_value(metric, labels) or 0.0

    def logs(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.log_file.read_text().splitlines()]


Start = Callable[..., Running]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    running: list[Running] = []

    def make(name: str, env: dict[str, str] | None = None, **downstreams: Running) -> Running:
        exporter = InMemorySpanExporter()
        log_file = tmp_path / f"{name}.log"
        app = build_app(name, log_file=log_file, log_stdout=False, span_exporter=exporter, env=env or {},
                        downstreams={k.replace("_", "-"): v.url for k, v in downstreams.items()})
        service = Running(app, app.start(), exporter, log_file)
        running.append(service)
        return service

    yield make
    for service in reversed(running):
        service.server.shutdown()
        service.server.server_close()
        service.app.close()
