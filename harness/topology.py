"""Which containers one run has, built from the chosen images, in start order.

Tier 1 (slow to boot, started first): Elasticsearch and Jaeger. Tier 2: everything that does not wait for
anything. Tier 3 (after Elasticsearch is ready and has the log index template): the collector, so the first
log document lands in an index with the right mapping."""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.components.alertmanager import AlertmanagerContainer
from harness.components.base import ObsContainer, RunContext
from harness.components.elasticsearch import ElasticsearchContainer
from harness.components.jaeger import JaegerContainer
from harness.components.node_exporter import NodeExporterContainer
from harness.components.otelcol import OtelcolContainer
from harness.components.prometheus import PrometheusContainer
from harness.components.services import GpuSimContainer, ServiceContainer, SinkContainer
from harness.images import ImageChoice
from harness.platform import SERVICES as SERVICES
from harness.settings import CORE_IMAGES, FULL_IMAGES, Settings
from harness.volumes import DataVolume

DATA_SERVICE = "cv-analyzer"  # the service whose /data volume disk faults fill
OTLP_HTTP = "http://otelcol:4318"
GRAFANA_PASSWORD = "obsdrill"  # a throwaway stack on 127.0.0.1; anonymous viewers need none


def images_for(mode: str) -> tuple[str, ...]:
    return FULL_IMAGES if mode == "full" else CORE_IMAGES


@dataclass
class Tiers:
    first: list[ObsContainer] = field(default_factory=list)
    second: list[ObsContainer] = field(default_factory=list)
    after_logs_index: list[ObsContainer] = field(default_factory=list)

    def all(self) -> list[ObsContainer]:
        return self.first + self.second + self.after_logs_index

    def aliases(self) -> set[str]:
        return {c.alias for c in self.all()}


def build(settings: Settings, images: dict[str, ImageChoice], run: RunContext, volume: DataVolume) -> Tiers:
    image = {k: v.image for k, v in images.items() if v.available}
    full = settings.stack_mode == "full"
    tiers = Tiers()
    if full:
        tiers.first += [ElasticsearchContainer(image["elasticsearch"], run), JaegerContainer(image["jaeger"], run)]
        tiers.after_logs_index.append(OtelcolContainer(image["otelcol"], run))
    tiers.second.append(SinkContainer(image["services"], run))
    for name in SERVICES:
        service = ServiceContainer(image["services"], run, name)
        if full:
            service.with_tracing(OTLP_HTTP, settings.trace_sampling)
        if name == DATA_SERVICE:
            service.with_data_volume(volume.mount)
        tiers.second.append(service)
    tiers.second.append(GpuSimContainer(image["services"], run, time_scale=1.0 / settings.time_factor))
    exporter = NodeExporterContainer(image["node-exporter"], run)
    if volume.mount is not None:
        exporter.with_volume(volume.name, volume.mount)
    tiers.second += [exporter, AlertmanagerContainer(image["alertmanager"], run),
                     PrometheusContainer(image["prometheus"], run)]
    if full and "grafana" in image:
        tiers.second.append(_grafana(image["grafana"], run))
    return tiers


def _grafana(image: str, run: RunContext) -> ObsContainer:
    from harness.components.grafana import GrafanaContainer

    return GrafanaContainer(image, run, admin_password=GRAFANA_PASSWORD)


def scrape_hosts(tiers: Tiers) -> set[str]:
    """Hosts a rendered prometheus.yml may scrape in this run (the DNS aliases plus Prometheus itself)."""
    return tiers.aliases() | {"localhost"}
