"""DCGM-exporter compatible Prometheus collector.

Metric names, units and labels follow NVIDIA dcgm-exporter: temperatures in °C,
framebuffer in MiB, power in W, and ``DCGM_FI_DEV_XID_ERRORS`` holding the last
XID code. A lost (or unreadable) GPU has its DCGM series dropped, as
dcgm-exporter does, and ``gpu_sim_gpu_up`` reports it as 0.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gpu_sim.backend import GpuBackend, GpuIdentity, GpuSample
from gpu_sim.errors import GpuLostError, GpuReadError

LOG = logging.getLogger(__name__)
LABELS = ("gpu", "UUID", "device", "modelName", "Hostname")
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass(frozen=True)
class DcgmField:
    name: str
    help: str
    value: Callable[[GpuSample], float | None]


DCGM_FIELDS: tuple[DcgmField, ...] = (
    DcgmField("DCGM_FI_DEV_GPU_TEMP", "GPU temperature (in C).", lambda s: s.temperature_c),
    DcgmField("DCGM_FI_DEV_GPU_UTIL", "GPU utilization (in %).", lambda s: s.utilization_pct),
    DcgmField("DCGM_FI_DEV_FB_USED", "Framebuffer memory used (in MiB).", lambda s: s.fb_used_mib),
    DcgmField("DCGM_FI_DEV_FB_FREE", "Framebuffer memory free (in MiB).", lambda s: s.fb_free_mib),
    DcgmField("DCGM_FI_DEV_POWER_USAGE", "Power draw (in W).", lambda s: s.power_w),
    DcgmField("DCGM_FI_DEV_XID_ERRORS", "Value of the last XID error encountered.", lambda s: s.xid_last),
    DcgmField("DCGM_FI_DEV_SM_CLOCK", "SM clock frequency (in MHz).", lambda s: s.sm_clock_mhz),
    DcgmField("DCGM_FI_DEV_MEM_CLOCK", "Memory clock frequency (in MHz).", lambda s: s.mem_clock_mhz),
    DcgmField(
        "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS",
        "Current clock throttle reasons.",
        lambda s: s.throttle_reasons,
    ),
)
UP_METRIC = "gpu_sim_gpu_up"


def label_values(identity: GpuIdentity, hostname: str) -> list[str]:
    """Label values in :data:`LABELS` order, as dcgm-exporter sets them."""
    i = identity.index
    return [str(i), identity.uuid, f"nvidia{i}", identity.name, hostname]


class DcgmCollector(Collector):
    """Reads every GPU of a backend at scrape time and yields DCGM gauges."""

    def __init__(self, backend: GpuBackend, hostname: str | None = None) -> None:
        self.backend = backend
        self.hostname = hostname or socket.gethostname()

    def _read(self, index: int) -> GpuSample | None:
        try:
            return self.backend.sample(index)
        except GpuLostError as exc:
            LOG.debug("gpu %d lost, dropping its series: %s", index, exc)
        except GpuReadError as exc:
            LOG.warning("gpu %d unreadable, dropping its series: %s", index, exc)
        return None

    def collect(self) -> Iterator[Metric]:
        families = {f.name: GaugeMetricFamily(f.name, f.help, labels=LABELS) for f in DCGM_FIELDS}
        up = GaugeMetricFamily(
            UP_METRIC,
            "1 when the GPU answers NVML queries; 0 when it is lost (its DCGM series are dropped).",
            labels=LABELS,
        )
        for index in range(self.backend.device_count()):
            sample = self._read(index)
            labels = label_values(self.backend.identity(index), self.hostname)
            up.add_metric(labels, 0.0 if sample is None else 1.0)
            if sample is None:
                continue
            for field in DCGM_FIELDS:
                value = field.value(sample)
                if value is not None:
                    families[field.name].add_metric(labels, float(value))
        yield from families.values()
        yield up


def build_registry(backend: GpuBackend, hostname: str | None = None) -> CollectorRegistry:
    """A fresh registry holding only the DCGM collector (no global registry use)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DcgmCollector(backend, hostname))
    return registry


def render_metrics(registry: CollectorRegistry) -> bytes:
    """Prometheus text exposition of ``registry``."""
    return generate_latest(registry)
