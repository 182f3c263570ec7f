"""What the scenario engine needs from a running stack (harness.stack.Stack provides it). Typed as a
Protocol so the engine can be driven by a fake in unit tests."""

from __future__ import annotations

from typing import Any, Protocol

from harness.clients import AlertmanagerClient, PromClient, ServiceClient, SinkClient
from harness.clients.bugsink import BugsinkClient
from harness.clients.elasticsearch import EsClient
from harness.clients.jaeger import JaegerClient
from harness.render import RenderedConfig
from harness.settings import Settings


class StackApi(Protocol):
    settings: Settings
    run_id: str

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
    def bugsink(self) -> BugsinkClient: ...

    @property
    def services(self) -> tuple[str, ...]: ...

    def has(self, component: str) -> bool: ...

    def service(self, name: str) -> ServiceClient: ...

    def url(self, component: str) -> str: ...

    def heal(self, name: str) -> None: ...

    def stack_fault(self, component: str, fault: str, spec: dict[str, Any]) -> dict[str, Any]: ...

    def clear_stack_fault(self, component: str, fault: str) -> dict[str, Any]: ...

    def reset(self) -> None: ...

    def rendered(self) -> RenderedConfig: ...

    def cannot(self, faults: list[tuple[str, str]]) -> list[str]:
        """Why faults (where, fault kind) cannot run on this stack (empty: all can)."""
        ...
