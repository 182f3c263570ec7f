"""``--stack external``: run the scenarios on a stack someone else runs (a staging gate), addressed only by URL.
Nothing is started or rendered; the config under test is what the servers report (harness/deployed.py).
Faults go through each service's admin API; routing is judged from Alertmanager's alert groups when no
harness sink receives the notifications. What this mode cannot check is said once per run and per scenario."""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness import deployed, envvars, progress, stackfaults
from harness.clients import AlertmanagerClient, PromClient, ServiceClient, SinkClient
from harness.clients.amgroups import AlertGroupsSink
from harness.clients.bugsink import BugsinkClient
from harness.clients.elasticsearch import EsClient
from harness.clients.jaeger import JaegerClient
from harness.config import load_source
from harness.errors import ConfigError, ObsdrillError, StackError
from harness.platform import GPU_SIM, RESTART_FAULTS
from harness.progress import Log
from harness.render import RenderedConfig
from harness.settings import Settings

COMPONENTS = ("prometheus", "alertmanager", "elasticsearch", "jaeger", "grafana", "sink")
REQUIRED = ("prometheus", "alertmanager")


@dataclass(frozen=True)
class ExternalTarget:
    """The URLs of an existing stack: its components and the admin APIs of the services to inject faults into."""

    urls: Mapping[str, str]  # component -> URL (COMPONENTS)
    services: Mapping[str, str] = field(default_factory=dict)  # service (or gpu-sim) -> admin URL

    def describe(self) -> dict[str, str]:
        return {**self.urls, **{f"service {k}": v for k, v in self.services.items()}}


def _url(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ConfigError(f"{where}: expected an http(s) URL, got {value!r}")
    return value.rstrip("/")


def _services(text: str, where: str) -> dict[str, str]:
    """``gateway=http://h:1,auth=http://h:2`` (commas or whitespace between)."""
    out = {}
    for item in text.replace(",", " ").split():
        name, sep, url = item.partition("=")
        if not sep or not name:
            raise ConfigError(f"{where}: {item!r} is not NAME=URL")
        out[name] = _url(url, f"{where}: {name}")
    return out


def load_target(file: str | Path | None = None, env: Mapping[str, str] | None = None) -> ExternalTarget:
    """The target from a YAML file (``prometheus: URL``, ..., ``services: {gateway: URL}``), each URL
    overridden by its environment variable (envvars.external(component), OBSDRILL_EXTERNAL_SERVICES)."""
    env = os.environ if env is None else env
    file = file or env.get(envvars.EXTERNAL) or None
    doc: dict[str, Any] = {}
    if file:
        path = Path(file)
        try:
            doc = yaml.safe_load(path.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read the external stack file: {exc}") from None
        if not isinstance(doc, dict):
            raise ConfigError(f"{path}: expected a mapping of component -> URL")
        unknown = sorted(set(doc) - {*COMPONENTS, "services"})
        if unknown:
            raise ConfigError(f"{path}: unknown key(s) {', '.join(unknown)} (known: {', '.join(COMPONENTS)}, services)")
    where = str(file or "external stack")
    urls = {c: _url(doc[c], f"{where}: {c}") for c in COMPONENTS if doc.get(c)}
    urls.update({c: _url(env[envvars.external(c)], envvars.external(c)) for c in COMPONENTS
                 if env.get(envvars.external(c))})
    services = {str(k): _url(v, f"{where}: services.{k}") for k, v in (doc.get("services") or {}).items()}
    services.update(_services(env.get(envvars.EXTERNAL_SERVICES, ""), envvars.EXTERNAL_SERVICES))
    missing = [c for c in REQUIRED if c not in urls]
    if missing:
        raise ConfigError(f"--stack external needs the URL of {' and '.join(missing)} (--external FILE, "
                          f"--external-{missing[0]} URL or {envvars.external(missing[0])})")
    return ExternalTarget(urls, services)


def add_options(parser: argparse.ArgumentParser) -> None:
    """``obsdrill run --stack external``'s options: a file, or one URL per component and NAME=URL services."""
    group = parser.add_argument_group("--stack external (an existing stack, addressed by URL; nothing started)")
    group.add_argument("--external", metavar="FILE", help="YAML file: prometheus: URL, alertmanager: URL, "
                       "elasticsearch/jaeger/grafana/sink: URL (optional), services: {NAME: admin URL}")
    for component in COMPONENTS:
        group.add_argument(f"--external-{component}", metavar="URL", help=f"{component} URL "
                           f"({envvars.external(component)}){' (required)' if component in REQUIRED else ''}")
    group.add_argument("--external-service", metavar="NAME=URL", action="append", default=[],
                       help="a service to inject faults into, by its admin API URL (repeatable)")


def options_env(args: argparse.Namespace) -> dict[str, str]:
    """The --external* options as the environment the pytest session reads them from (load_target)."""
    out = {envvars.EXTERNAL: str(Path(args.external).resolve())} if getattr(args, "external", None) else {}
    out.update({envvars.external(c): u for c in COMPONENTS if (u := getattr(args, f"external_{c}", None))})
    if getattr(args, "external_service", None):
        out[envvars.EXTERNAL_SERVICES] = " ".join(args.external_service)
    return out


class ExternalStack:
    """The StackApi over an ExternalTarget."""

    def __init__(self, settings: Settings, target: ExternalTarget, log: Log = progress.say) -> None:
        self.settings = settings
        self.target = target
        self.log = log
        self.run_id = "ext-" + uuid.uuid4().hex[:8]
        self.run_dir = settings.reports_dir / "runs" / self.run_id
        self.config: RenderedConfig | None = None
        self._clients: dict[str, Any] = {}
        self.containers: dict[str, Any] = {}  # none of its own to exec into (a reused up-stack has them)

    def start(self) -> ExternalStack:
        """Check every URL answers and read the deployed config; starts nothing."""
        for name, client in (("prometheus", self.prometheus), ("alertmanager", self.alertmanager)):
            if not client.ready():
                raise StackError(f"external {name} at {self.target.urls[name]} is not ready (/-/ready)")
        for name in self.target.services:
            try:
                self.service(name).faults()
            except (ObsdrillError, OSError) as exc:
                raise StackError(f"external service {name}: its admin API does not answer: {exc}") from None
        background = tuple(load_source(self.settings.config_dir).declared_background)
        self.config = deployed.read(self.url("prometheus"), self.url("alertmanager"), self.run_dir,
                                    self.settings.time_factor, background)
        self.log(f"run {self.run_id}: external stack ({', '.join(self.target.urls)}; services "
                 f"{', '.join(self.target.services) or 'none'}); deployed config in {self.run_dir}")
        for line in self.left_out():
            self.log(f"  not checked in this mode: {line}")
        return self

    def stop(self) -> None:
        """Nothing was started; faults this run set are cleared."""
        for name in self.target.services:
            try:
                self.service(name).clear_fault()
            except (ObsdrillError, OSError) as exc:
                self.log(f"external service {name}: faults not cleared: {exc}")

    # what this mode cannot do ------------------------------------------------------------------
    def left_out(self) -> list[str]:
        """The checks this mode cannot make, once per run."""
        out = [] if self.has("sink") else [
            "notification content and delivery (expect.notifications, annotations): no harness sink receives "
            "them; routing is judged from Alertmanager's alert groups (/api/v2/alerts/groups)"]
        out.append("routing predicted by amtool before the fault, and the heartbeats of background alerts (they "
                   "need amtool's route): no Alertmanager container to run it in")
        out.append("crash faults: a crashed external service cannot be restarted by the harness")
        out += [f"{name} checks: no {name} URL given" for name in ("elasticsearch", "jaeger") if not self.has(name)]
        return out

    def cannot(self, faults: list[tuple[str, str]]) -> list[str]:
        """Why faults (where, fault kind) cannot run here."""
        return [f"{where}: {kind} needs a container restart, which --stack external cannot do"
                for where, kind in faults if kind in RESTART_FAULTS or kind in ("restart", "stop")]

    def stack_fault(self, component: str, fault: str, spec: dict[str, Any]) -> dict[str, Any]:
        """Faults on the stack's own components (restart, receiver_errors) need its containers or the harness's
        sink: only a receiver with a sink URL can be made to fail here."""
        receiver = stackfaults.receiver_errors(lambda: self.sink, component, fault, spec)
        if receiver is not None:
            return receiver
        raise StackError(f"--stack external cannot inject {fault!r} into {component!r} (no container of its own)")

    def clear_stack_fault(self, component: str, fault: str) -> dict[str, Any]:
        return stackfaults.receiver_errors(lambda: self.sink, component, fault, None) or {}

    # StackApi ----------------------------------------------------------------------------------
    def has(self, component: str) -> bool:
        return component in self.target.urls or component in self.target.services

    def url(self, component: str) -> str:
        if component in self.target.services:
            return self.target.services[component]
        if component not in self.target.urls:
            raise StackError(f"no {component!r} URL given for the external stack; it has "
                             f"{', '.join([*self.target.urls, *self.target.services])}")
        return self.target.urls[component]

    def urls(self) -> dict[str, str]:
        return self.target.describe()

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(s for s in self.target.services if s != GPU_SIM)

    def _client(self, name: str, make: Callable[[], Any]) -> Any:
        if name not in self._clients:
            self._clients[name] = make()
        return self._clients[name]

    @property
    def prometheus(self) -> PromClient:
        return self._client("prometheus", lambda: PromClient(self.url("prometheus")))

    @property
    def alertmanager(self) -> AlertmanagerClient:
        return self._client("alertmanager",
                            lambda: AlertmanagerClient(self.url("alertmanager")))

    @property
    def sink(self) -> SinkClient:
        make = (lambda: SinkClient(self.url("sink"))) if self.has("sink") else (
            lambda: AlertGroupsSink(self.url("alertmanager")))
        return self._client("sink", make)

    @property
    def elasticsearch(self) -> EsClient:
        return self._client("elasticsearch", lambda: EsClient(self.url("elasticsearch")))

    @property
    def jaeger(self) -> JaegerClient:
        return self._client("jaeger", lambda: JaegerClient(self.url("jaeger")))

    @property
    def bugsink(self) -> BugsinkClient:
        token = os.environ.get(envvars.BUGSINK_TOKEN, "")
        return self._client("bugsink", lambda: BugsinkClient(self.url("bugsink"), token))

    def service(self, name: str) -> ServiceClient:
        if name not in self.target.services:
            raise StackError(f"no admin URL given for service {name!r} (given: {', '.join(self.target.services)})")
        return self._client(name, lambda: ServiceClient(name, self.url(name)))

    def heal(self, name: str) -> None:
        """Faults cleared; a service that does not answer cannot be restarted from here."""
        try:
            self.service(name).clear_fault()
        except (ObsdrillError, OSError) as exc:
            raise StackError(f"external service {name} does not answer and --stack external cannot restart it: "
                             f"{exc}") from None

    def reset(self) -> None:
        for name in self.target.services:
            self.heal(name)
        self.sink.clear()

    def rendered(self) -> RenderedConfig:
        if self.config is None:
            raise StackError("the external stack is not started (its config is read at start)")
        return self.config

    def facts(self) -> dict[str, str]:
        facts = {"run id": self.run_id, "stack mode": "external", "time factor": f"{self.settings.time_factor:g}",
                 **{f"url {k}": v for k, v in self.target.describe().items()}}
        facts.update({f"not checked {i + 1}": line for i, line in enumerate(self.left_out())})
        return facts
