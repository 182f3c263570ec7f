"""The stack of one run: images chosen, config rendered, containers started on a run network and torn
down in ``finally``. Leftovers of killed runs are reaped before anything starts."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar, cast

from testcontainers.core.network import Network

from harness import progress, reconfigure, stackfaults, topology, volumes
from harness.clients import AlertmanagerClient, PromClient, ServiceClient, SinkClient
from harness.clients.bugsink import BugsinkClient
from harness.clients.elasticsearch import EsClient
from harness.clients.jaeger import JaegerClient
from harness.components import datatier
from harness.components.base import ObsContainer
from harness.components.spec import RunContext, owner_labels
from harness.config import SourceConfig, load_source
from harness.errors import ReadinessTimeoutError, StackError
from harness.images import ImageChoice, load_recipes, resolve_images
from harness.progress import Log
from harness.reaper import process_labels, reap
from harness.render import RenderedConfig
from harness.runtime import Runtime
from harness.settings import Settings
from harness.volumes import DataVolume

C = TypeVar("C")


@dataclass
class StackTimings:
    images: float = 0.0
    containers: float = 0.0
    ready: dict[str, float] = field(default_factory=dict)
    targets_up: float = 0.0
    total: float = 0.0


class Stack:
    def __init__(self, settings: Settings, runtime: Runtime, source: SourceConfig | None = None,
                 log: Log = progress.say, ready_timeout: float = 120.0, detached: bool = False) -> None:
        self.settings = settings
        self.runtime = runtime
        self.source = source or load_source(settings.config_dir)
        self.log = log
        self.ready_timeout = ready_timeout
        self.detached = detached
        self.run_id = uuid.uuid4().hex[:10]
        self.run_dir = settings.reports_dir / "runs" / self.run_id
        self.client = runtime.client()
        self.timings = StackTimings()
        self.images: dict[str, ImageChoice] = {}
        self.containers: dict[str, ObsContainer] = {}
        self._clients: dict[str, Any] = {}  # by component: made once per container start (see heal)
        self.volume: DataVolume | None = None
        self._network: Network | None = None
        self.config: RenderedConfig | None = None
        self._hosts: set[str] = set()  # what its rendered prometheus.yml may scrape (reconfigure renders again)

    # lifecycle ---------------------------------------------------------------------------------
    def start(self) -> Stack:
        started = time.monotonic()
        reap(self.client, log=self.log, cache_dir=self.settings.cache_dir)
        try:
            self._start(started)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, started: float) -> None:
        recipes = load_recipes(self.settings.config_dir / "images")
        self.images = resolve_images(self.client, self.settings, recipes,
                                     topology.images_for(self.settings.stack_mode), self.log)
        self.timings.images = time.monotonic() - started
        labels = owner_labels(self.run_id, process_labels(self.detached))
        self.volume = volumes.create(self.settings.cache_dir, self.run_id, "data", 64, labels)
        self.log(f"{self.volume.describe()}")
        self._network = Network(docker_network_kw={"labels": labels})
        self._network.create()
        tiers = topology.build(self.settings, self.images, RunContext(self.run_id, tuple(labels.items()), self.run_dir),
                               self.volume)
        self._render(tiers)
        t0 = time.monotonic()
        for spec in tiers.first + tiers.second:
            self._run(ObsContainer(spec, self._network))
        for spec in tiers.first:
            self.timings.ready[spec.alias] = self.containers[spec.alias].wait_ready(self.ready_timeout)
        if self.has("elasticsearch"):
            self.elasticsearch.put_logs_template()
        for spec in tiers.after_logs_index:
            self._run(ObsContainer(spec, self._network))
        self.timings.containers = time.monotonic() - t0
        for spec in tiers.second + tiers.after_logs_index:
            self.timings.ready[spec.alias] = self.containers[spec.alias].wait_ready(self.ready_timeout)
        self._wait_targets_up()
        self.timings.total = time.monotonic() - started
        self.log(f"stack ready in {self.timings.total:.1f}s: " +
                 ", ".join(f"{k} {v}" for k, v in self.urls().items()))
        for name, choice in self.images.items():
            if not choice.available:
                self.log(f"{name.capitalize()}: unavailable (no image): {choice.reason}")

    def _run(self, container: ObsContainer) -> None:
        self.containers[container.alias] = container.start()

    def _render(self, tiers: topology.Tiers) -> None:
        self._hosts = topology.scrape_hosts(tiers)
        self.config = topology.prepare_run_dir(self.settings, self.source, self.run_dir, tiers)
        self.log(f"run {self.run_id}: {self.settings.stack_mode} stack, time factor "
                 f"{self.settings.time_factor} (scrape {self.config.timing.scrape_interval:g}s, eval "
                 f"{self.config.timing.evaluation_interval:g}s); rendered config in {self.run_dir}")
        for note in self.config.copied:  # files the config references travel with it
            self.log(f"  {note}")

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
        self._clients.clear()
        if self._network is not None:
            try:
                self._network.remove()
            except Exception as exc:
                errors.append(f"network: {exc}")
            self._network = None
        leftovers = reap(self.client, run_id=self.run_id, log=self.log)
        leftovers += volumes.release_run(self.settings.cache_dir, self.run_id)
        if errors and leftovers:
            raise StackError(f"teardown of run {self.run_id} needed the reaper: {'; '.join(errors)}")

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # access ------------------------------------------------------------------------------------
    def has(self, component: str) -> bool:
        return component in self.containers

    def url(self, component: str, port: int | None = None) -> str:
        return self._container(component).url(port)

    def urls(self) -> dict[str, str]:
        return {name: c.url() for name, c in self.containers.items()}

    def _container(self, name: str) -> ObsContainer:
        if name not in self.containers:
            why = f" ({self.images[name].describe()})" if name in self.images else ""
            raise StackError(f"no {name!r} in this stack{why}; it has {', '.join(self.containers)}")
        return self.containers[name]

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(s for s in topology.SERVICES if s in self.containers)

    def _client(self, component: str, make: Callable[[], C]) -> C:
        """The component's client, made on first use (its URL resolved then) and kept until it restarts."""
        if component not in self._clients:
            self._clients[component] = make()
        return cast(C, self._clients[component])

    @property
    def prometheus(self) -> PromClient:
        return self._client("prometheus", lambda: PromClient(self.url("prometheus")))

    @property
    def alertmanager(self) -> AlertmanagerClient:
        from harness.components.alertmanager import CONFIG_DIR  # amtool runs in the container on this file

        return self._client("alertmanager", lambda: AlertmanagerClient(
            self.url("alertmanager"), self._container("alertmanager"), f"{CONFIG_DIR}/alertmanager.yml"))

    @property
    def sink(self) -> SinkClient:
        return self._client("sink", lambda: SinkClient(self.url("sink")))

    @property
    def elasticsearch(self) -> EsClient:
        return self._client("elasticsearch", lambda: EsClient(self.url("elasticsearch")))

    @property
    def jaeger(self) -> JaegerClient:
        return self._client("jaeger", lambda: JaegerClient(self.url("jaeger")))

    @property
    def bugsink(self) -> BugsinkClient:
        from harness.components.bugsink import ErrorTracking

        token = ErrorTracking.for_run(self.run_id).token
        return self._client("bugsink", lambda: BugsinkClient(self.url("bugsink"), token))

    def service(self, name: str) -> ServiceClient:
        """Admin client of a synthetic service or of the GPU simulator (``gpu-sim``)."""
        if name not in (*self.services, "gpu-sim"):
            raise StackError(f"no service {name!r} in this stack (services: {', '.join(self.services)}, gpu-sim)")
        return self._client(name, lambda: ServiceClient(name, self.url(name)))

    def heal(self, name: str) -> None:
        """A crashed or stopped service is started again (and waited for); then its faults are cleared."""
        container = self._container(name)
        if not container.is_running():
            self._clients.pop(name, None)  # the restarted container may have other host ports
            seconds = container.restart(self.ready_timeout)
            self.log(f"  restarted {name} (ready after {seconds:.1f}s)")
        self.service(name).clear_fault()

    def stack_fault(self, component: str, fault: str, spec: dict[str, Any]) -> dict[str, Any]:
        """A fault on a stack component (harness/stackfaults.py): restart it, or make the receiver fail."""
        if fault == "restart":
            self._clients.pop(component, None)  # the restarted container may have other host ports
            seconds = self._container(component).bounce(self.ready_timeout)
            self.log(f"  restarted {component} (ready after {seconds:.1f}s)")
            return {"restarted": component, "ready_after_s": round(seconds, 1)}
        if fault == "stop":
            self._container(component).stop_for_fault()
            self.log(f"  stopped {component} (until rollback)")
            return {"stopped": component}
        receiver = stackfaults.receiver_errors(lambda: self.sink, component, fault, spec)
        if receiver is not None:
            return receiver
        raise StackError(f"no stack fault {fault!r} on {component!r}")

    def clear_stack_fault(self, component: str, fault: str) -> dict[str, Any]:
        if fault == "stop":
            container = self._container(component)
            if container.is_running():
                return {}
            self._clients.pop(component, None)
            seconds = container.restart(self.ready_timeout)
            self.log(f"  started {component} again (ready after {seconds:.1f}s)")
            return {"started": component, "ready_after_s": round(seconds, 1)}
        return stackfaults.receiver_errors(lambda: self.sink, component, fault, None) or {}

    def reconfigure(self, config_dir: Path) -> reconfigure.Change:
        """This stack on the config of ``config_dir`` without a restart (harness/reconfigure.py): Prometheus and
        Alertmanager reload it; the collector, which cannot reload, restarts when its config dir differs. The
        rendered config, the source and the settings follow, so bounds are the new config's."""
        source = load_source(config_dir)
        change, config = reconfigure.swap(source, self.settings.time_factor, self.run_dir, self._hosts)
        self.source, self.config = source, config
        self.settings = self.settings.validated(config_dir=config_dir)
        if not change.empty:
            for name in reconfigure.RELOADED:
                reconfigure.post_reload(name, self.url(name))
        collector = config_dir / "otelcol"
        if self.has("otelcol") and collector.is_dir() and topology.differs(collector, self.run_dir / "otelcol"):
            topology.stage_config(collector, self.run_dir, "otelcol")
            self.stack_fault("otelcol", "restart", {})
            change.diffs["otelcol"] = "collector config changed: restarted"
        return change

    def reset(self) -> None:
        """Healthy state between tests and scenarios: every service running, every fault cleared, Prometheus's
        samples deleted, receivers emptied, the error tracker's issues deleted."""
        self.prometheus.forget()  # every window starts empty: no scenario sees an earlier one's samples
        for name in stackfaults.STOPPABLE:  # a data tier server a failed scenario left stopped
            if self.has(name):
                self.clear_stack_fault(name, "stop")
        for name in (*self.services, "gpu-sim"):
            if self.has(name):
                self.heal(name)
        self.sink.clear()
        if self.has("bugsink"):  # no scenario counts an earlier one's exceptions
            self.bugsink.clear()

    def cannot(self, faults: list[tuple[str, str]]) -> list[str]:
        return []  # every fault kind runs on a stack the harness started (crashed services are restarted)

    def rendered(self) -> RenderedConfig:
        if self.config is None:
            raise StackError("the stack is not started")
        return self.config

    @property
    def config_dir(self) -> Path:
        return self.rendered().directory

    def facts(self) -> dict[str, str]:
        """What a report should say about this run's stack."""
        facts = {"run id": self.run_id, "stack mode": self.settings.stack_mode,
                 "time factor": f"{self.settings.time_factor:g}", "trace sampling": f"{self.settings.trace_sampling:g}",
                 "container runtime": self.runtime.describe()}
        for name, choice in self.images.items():
            facts[f"image {name}"] = choice.describe()
        if "grafana" in self.images:
            facts["Grafana"] = self.url("grafana") if self.has("grafana") else "unavailable (no image)"
        if self.volume is not None:
            facts["data volume"] = self.volume.describe()
        facts["cadvisor"] = datatier.CADVISOR
        return facts
