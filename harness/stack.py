"""The stack of one run: images chosen, config rendered, containers started on a run network and torn
down in ``finally``. Leftovers of killed runs are reaped before anything starts."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from testcontainers.core.network import Network

from harness.clients import AlertmanagerClient, PromClient, ServiceClient, SinkClient
from harness.components.alertmanager import AlertmanagerContainer
from harness.components.base import ObsContainer, RunContext, owner_labels
from harness.components.node_exporter import NodeExporterContainer
from harness.components.prometheus import PrometheusContainer
from harness.components.services import ServiceContainer, SinkContainer
from harness.config import SourceConfig, load_source
from harness.errors import ReadinessTimeoutError, StackError
from harness.images import ImageChoice, load_recipes, resolve_images
from harness.reaper import process_labels, reap
from harness.render import RenderedConfig, render
from harness.runtime import Runtime
from harness.settings import Settings

SERVICES = ("backend",)
IMAGES = ("prometheus", "alertmanager", "node-exporter", "services")


@dataclass
class StackTimings:
    images: float = 0.0
    containers: float = 0.0
    ready: dict[str, float] = field(default_factory=dict)
    targets_up: float = 0.0
    total: float = 0.0


class Stack:
    def __init__(self, settings: Settings, runtime: Runtime, source: SourceConfig | None = None,
                 log: Callable[[str], None] = print, ready_timeout: float = 90.0) -> None:
        self.settings = settings
        self.runtime = runtime
        self.source = source or load_source(settings.config_dir)
        self.log = log
        self.ready_timeout = ready_timeout
        self.run_id = uuid.uuid4().hex[:10]
        self.run_dir = settings.reports_dir / "runs" / self.run_id
        self.client = runtime.client()
        self.timings = StackTimings()
        self.images: dict[str, ImageChoice] = {}
        self.containers: dict[str, ObsContainer] = {}
        self._network: Network | None = None
        self.config: RenderedConfig | None = None

    # lifecycle ---------------------------------------------------------------------------------
    def start(self) -> Stack:
        started = time.monotonic()
        reap(self.client, log=self.log)
        try:
            self._start(started)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, started: float) -> None:
        recipes = load_recipes(self.settings.config_dir / "images")
        self.images = resolve_images(self.client, self.settings, recipes,
                                     IMAGES, self.log)
        self.timings.images = time.monotonic() - started
        self.config = render(self.source, self.settings.time_factor, self.run_dir)
        self.log(f"[obsdrill] run {self.run_id}: time factor {self.settings.time_factor} "
                 f"(scrape {self.config.timing.scrape_interval:g}s, eval {self.config.timing.evaluation_interval:g}s);"
                 f" rendered config in {self.run_dir}")
        labels = owner_labels(self.run_id, process_labels())
        self._network = Network(docker_network_kw={"labels": labels})
        self._network.create()
        run = RunContext(self.run_id, labels, self._network, self.run_dir, self.log)
        image = {k: v.image for k, v in self.images.items()}
        t0 = time.monotonic()
        order: list[ObsContainer] = [SinkContainer(image["services"], run)]
        order += [ServiceContainer(image["services"], run, name) for name in SERVICES]
        order += [NodeExporterContainer(image["node-exporter"], run), AlertmanagerContainer(image["alertmanager"], run),
                  PrometheusContainer(image["prometheus"], run)]
        for container in order:
            self.containers[container.alias] = container.start()
        self.timings.containers = time.monotonic() - t0
        for container in order:
            self.timings.ready[container.alias] = container.wait_ready(self.ready_timeout)
        self._wait_targets_up()
        self.timings.total = time.monotonic() - started
        self.log(f"[obsdrill] stack ready in {self.timings.total:.1f}s: " +
                 ", ".join(f"{k} {v}" for k, v in self.urls().items()))

    def _wait_targets_up(self) -> None:
        t0 = time.monotonic()
        down: list[str] = []
        while time.monotonic() - t0 < self.ready_timeout:
            targets = self.prometheus.targets()
            down = [f"{t['labels'].get('job')} ({t.get('lastError') or t['health']})"
                    for t in targets if t["health"] != "up"]
            if targets and not down:
                self.timings.targets_up = time.monotonic() - t0
                return
            time.sleep(0.5)
        raise ReadinessTimeoutError(
            f"Prometheus targets not all up after {self.ready_timeout:.0f}s: {', '.join(down)}\n"
            f"--- prometheus log ---\n{self.containers['prometheus'].logs_tail()}")

    def stop(self) -> None:
        errors = []
        for container in reversed(list(self.containers.values())):
            try:
                container.stop()
            except Exception as exc:
                errors.append(f"{container.alias}: {exc}")
        self.containers.clear()
        if self._network is not None:
            try:
                self._network.remove()
            except Exception as exc:
                errors.append(f"network: {exc}")
            self._network = None
        leftovers = reap(self.client, run_id=self.run_id, log=self.log)
        if errors and leftovers:
            raise StackError(f"teardown of run {self.run_id} needed the reaper: {'; '.join(errors)}")

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # access ------------------------------------------------------------------------------------
    def urls(self) -> dict[str, str]:
        return {name: c.url() for name, c in self.containers.items()}

    @property
    def prometheus(self) -> PromClient:
        return PromClient(self.containers["prometheus"].url())

    @property
    def alertmanager(self) -> AlertmanagerClient:
        return AlertmanagerClient(self.containers["alertmanager"].url())

    @property
    def sink(self) -> SinkClient:
        return SinkClient(self.containers["sink"].url())

    def service(self, name: str) -> ServiceClient:
        if name not in SERVICES:
            raise StackError(f"no service {name!r} in this stack (services: {', '.join(SERVICES)})")
        return ServiceClient(name, self.containers[name].url())

    def reset(self) -> None:
        """Healthy state between tests and scenarios: every fault cleared, receivers emptied."""
        for name in SERVICES:
            self.service(name).clear_fault()
        self.sink.clear()

    def rendered(self) -> RenderedConfig:
        if self.config is None:
            raise StackError("the stack is not started")
        return self.config

    @property
    def config_dir(self) -> Path:
        return self.rendered().directory
