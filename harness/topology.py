"""Which containers one run has, built from the chosen images, in start order.

Tier 1 (slow to boot, started first): Elasticsearch and Jaeger. Tier 2: everything that does not wait for
anything. Tier 3 (after Elasticsearch is ready and has the log index template): the collector, so the first
log document lands in an index with the right mapping."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import synthetic_services.envvars as service_env
from harness.components import datatier
from harness.components.alertmanager import alertmanager
from harness.components.bugsink import ErrorTracking, bugsink
from harness.components.elasticsearch import elasticsearch
from harness.components.grafana import grafana
from harness.components.jaeger import jaeger
from harness.components.node_exporter import node_exporter
from harness.components.otelcol import otelcol
from harness.components.prometheus import prometheus
from harness.components.services import SINK_ALIAS, SINK_PORT, Tracing, data_dir, gpu_sim, service, sink
from harness.components.spec import ContainerSpec, RunContext
from harness.config import SourceConfig
from harness.images import ImageChoice
from harness.platform import SERVICES as SERVICES
from harness.render import RenderedConfig, render
from harness.resources import stack_dir
from harness.settings import CORE_IMAGES, FULL_IMAGES, Settings
from harness.volumes import DataVolume

DATA_SERVICE = "cv-analyzer"  # the service whose /data volume disk faults fill
DATABASE_USERS = ("backend", "payments")  # users and subscriptions; the payments ledger
CACHE_USERS = ("backend",)  # sessions and the job list cache
OTLP_HTTP = "http://otelcol:4318"
GRAFANA_PASSWORD = "obsdrill"  # a throwaway stack on 127.0.0.1; anonymous viewers need none
STAGED = ("elasticsearch", "otelcol", "jaeger", "grafana")  # config dirs of stack/ copied into the run dir
MACHINERY = ("bugsink",)  # dirs of the shipped stack/ staged whatever the config under test: not its config
BUGSINK_ALERTS = f"http://{SINK_ALIAS}:{SINK_PORT}/bugsink/new-issue"  # the project's new-issue webhook
SERVICE_VERSION = "1.0.0"  # what every service reports (python -m synthetic_services --version's default)


def images_for(mode: str) -> tuple[str, ...]:
    return FULL_IMAGES if mode == "full" else CORE_IMAGES


@dataclass
class Tiers:
    first: list[ContainerSpec] = field(default_factory=list)
    second: list[ContainerSpec] = field(default_factory=list)
    after_logs_index: list[ContainerSpec] = field(default_factory=list)

    def all(self) -> list[ContainerSpec]:
        return self.first + self.second + self.after_logs_index

    def aliases(self) -> set[str]:
        return {c.alias for c in self.all()}


def build(settings: Settings, images: dict[str, ImageChoice], run: RunContext, volume: DataVolume) -> Tiers:
    image = {k: v.image for k, v in images.items() if v.available}
    full = settings.stack_mode == "full"
    tiers = Tiers()
    if full:
        tiers.first += [elasticsearch(image["elasticsearch"], run), jaeger(image["jaeger"], run)]
        tiers.after_logs_index.append(otelcol(image["otelcol"], run))
    tiers.second += [*datatier.data_tier(image, run), sink(image["services"], run)]
    tracing = Tracing(OTLP_HTTP, settings.trace_sampling) if full else None
    errors = ErrorTracking.for_run(run.run_id) if full and "bugsink" in image else None
    for name in SERVICES:
        data = data_dir(volume.mount) if name == DATA_SERVICE else None
        env = stores(name) + error_tracking(name, errors, run.run_id)
        tiers.second.append(service(image["services"], run, name, tracing, data, env, settings.time_factor))
    if errors is not None:
        tiers.second.append(bugsink(image["bugsink"], run, errors, BUGSINK_ALERTS))
    tiers.second.append(gpu_sim(image["services"], run, time_scale=1.0 / settings.time_factor))
    volumes = {volume.name: volume.mount} if volume.mount is not None else {}
    tiers.second += [node_exporter(image["node-exporter"], run, volumes), alertmanager(image["alertmanager"], run),
                     prometheus(image["prometheus"], run, settings.time_factor)]
    if full and "grafana" in image:
        tiers.second.append(grafana(image["grafana"], run, admin_password=GRAFANA_PASSWORD))
    return tiers


def stores(service_name: str) -> tuple[tuple[str, str], ...]:
    """The env telling a service where its database and cache are (the services that have them)."""
    found: tuple[tuple[str, str], ...] = ()
    if service_name in DATABASE_USERS:
        found += ((service_env.DATABASE_URL, datatier.DATABASE_URL),)
    if service_name in CACHE_USERS:
        found += ((service_env.REDIS_URL, datatier.REDIS_URL),)
    return found


def error_tracking(service_name: str, errors: ErrorTracking | None, run_id: str) -> tuple[tuple[str, str], ...]:
    """The env telling a service where to report its exceptions (sentry-sdk's names): none without Bugsink."""
    if errors is None:
        return ()
    return ((service_env.SENTRY_DSN, errors.dsn), (service_env.SENTRY_ENVIRONMENT, errors.environment(run_id)),
            (service_env.SENTRY_RELEASE, f"{service_name}@{SERVICE_VERSION}"))


def scrape_hosts(tiers: Tiers) -> set[str]:
    """Hosts a rendered prometheus.yml may scrape in this run (the DNS aliases plus Prometheus itself)."""
    return tiers.aliases() | {"localhost"}


def prepare_run_dir(settings: Settings, source: SourceConfig, run_dir: Path, tiers: Tiers) -> RenderedConfig:
    """Everything the containers of ``tiers`` mount, written under ``run_dir`` (a harness run and
    ``obsdrill compose`` alike): the config rendered for the time factor, the STAGED config dirs of the
    components present copied, and the host dirs the containers write (Mount.create) made."""
    config = render(source, settings.time_factor, run_dir, scrape_hosts(tiers))
    for name in STAGED:
        if (settings.config_dir / name).is_dir() and name in tiers.aliases():
            stage_config(settings.config_dir / name, run_dir, name)
    for name in MACHINERY:
        if name in tiers.aliases():
            stage_config(stack_dir() / name, run_dir, name)
    for mount in (m for spec in tiers.all() for m in spec.mounts):
        if mount.create is not None:
            mount.host.mkdir(parents=True, exist_ok=True)
            mount.host.chmod(mount.create)
    return config


def differs(source: Path, staged: Path) -> bool:
    """Whether a component's config dir has a file whose content ``staged`` (its copy in a run dir) lacks."""
    return any(not (staged / p.relative_to(source)).is_file()
               or (staged / p.relative_to(source)).read_bytes() != p.read_bytes()
               for p in source.rglob("*") if p.is_file())


def stage_config(source: Path, run_dir: Path, name: str) -> Path:
    """Copy a component's config dir (e.g. stack/otelcol/) to ``run_dir/name`` for mounting: files 0644, dirs
    0755, since the containers read them as non-root users. Returns the copy."""
    target = run_dir / name
    shutil.copytree(source, target, dirs_exist_ok=True)
    target.chmod(0o755)
    for path in target.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return target
