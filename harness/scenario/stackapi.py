"""What the scenario engine needs from a running stack (harness.stack.Stack provides it). Typed as a
Protocol so the engine can be driven by a fake in unit tests."""

from __future__ import annotations

from typing import Protocol

import docker

from harness.clients import AlertmanagerClient, PromClient, ServiceClient, SinkClient
from harness.clients.elasticsearch import EsClient
from harness.clients.jaeger import JaegerClient
from harness.config import SourceConfig
from harness.images.resolve import ImageChoice
from harness.render import RenderedConfig
from harness.settings import Settings


class StackApi(Protocol):
    settings: Settings
    source: SourceConfig  # the unscaled config under test (the equivalence certificate's reference)
    client: docker.DockerClient
    images: dict[str, ImageChoice]

    @property
    def prometheus(self) -> PromClient: ...

    @property
    def alertmanager(self) -> AlertmanagerClient: ...

    @property
    def sink(self) -> SinkClient: ...

    @property
    def elasticsearch(self) -> EsClient: ...

    @property
    def jaeger(self) -> JaegerClient: ...

    @property
    def services(self) -> tuple[str, ...]: ...

    def has(self, component: str) -> bool: ...

    def service(self, name: str) -> ServiceClient: ...

    def url(self, component: str) -> str: ...

    def heal(self, name: str) -> None: ...

    def reset(self) -> None: ...

    def rendered(self) -> RenderedConfig: ...
