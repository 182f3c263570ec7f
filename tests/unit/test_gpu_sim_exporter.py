"""DCGM-compatible exposition of gpu_sim, parsed back with prometheus_client."""

from __future__ import annotations

import prometheus_client
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gpu_sim import GpuSimulator, SimBackend, SimConfig, build_registry, render_metrics
from gpu_sim.exporter import DCGM_FIELDS, LABELS, UP_METRIC

REQUIRED = (
    "DCGM_FI_DEV_GPU_TEMP",
    "DCGM_FI_DEV_GPU_UTIL",
    "DCGM_FI_DEV_FB_USED",
    "DCGM_FI_DEV_FB_FREE",
    "DCGM_FI_DEV_POWER_USAGE",
    "DCGM_FI_DEV_XID_ERRORS",
)
Series = dict[str, dict[str, tuple[dict[str, str], float]]]


def scrape(backend: SimBackend) -> Series:
    """{metric name: {gpu label: (labels, value)}} from one rendered scrape."""
    text = render_metrics(build_registry(backend, hostname="node-a")).decode()
    series: Series = {}
    for family in text_string_to_metric_families(text):
        assert family.type == "gauge"
        for sample in family.samples:
            series.setdefault(sample.name, {})[sample.labels["gpu"]] = (sample.labels, sample.value)
    return series


@pytest.fixture
def backend() -> SimBackend:
    return SimBackend(GpuSimulator(SimConfig(gpu_count=2)))


def test_dcgm_names_and_labels(backend: SimBackend) -> None:
    series = scrape(backend)
    for name in REQUIRED:
        assert set(series[name]) == {"0", "1"}, name
        for gpu, (labels, _value) in series[name].items():
            assert set(labels) == set(LABELS)
            assert labels["device"] == f"nvidia{gpu}"
            assert labels["UUID"] == backend.simulator.gpu(int(gpu)).uuid
            assert labels["modelName"] == "NVIDIA H100 80GB HBM3"
            assert labels["Hostname"] == "node-a"
    assert {field.name for field in DCGM_FIELDS} <= set(series)


def test_values_use_dcgm_units(backend: SimBackend) -> None:
    sim = backend.simulator
    sim.set_load(1, 95, memory_used_mib=10_000)
    sim.advance(200)
    sim.enable_fault("xid", 1, {"code": 48})
    series = scrape(backend)
    t = sim.telemetry(1)
    assert series["DCGM_FI_DEV_GPU_UTIL"]["1"][1] == 95
    assert series["DCGM_FI_DEV_GPU_TEMP"]["1"][1] == round(t.temperature_c)
    assert series["DCGM_FI_DEV_FB_USED"]["1"][1] == 10_512  # MiB
    assert series["DCGM_FI_DEV_FB_FREE"]["1"][1] == 81559 - 10_512
    assert series["DCGM_FI_DEV_POWER_USAGE"]["1"][1] == pytest.approx(t.power_w, abs=0.001)  # W
    assert 600 < series["DCGM_FI_DEV_POWER_USAGE"]["1"][1] <= 700
    assert series["DCGM_FI_DEV_XID_ERRORS"]["1"][1] == 48  # the last XID code
    assert series["DCGM_FI_DEV_XID_ERRORS"]["0"][1] == 0


def test_overheat_and_fb_exhaustion_show_in_metrics(backend: SimBackend) -> None:
    backend.simulator.enable_fault("overheat", 0)
    backend.simulator.enable_fault("fb_exhaustion", 0)
    backend.simulator.advance(300)
    series = scrape(backend)
    assert series["DCGM_FI_DEV_GPU_TEMP"]["0"][1] > 85
    assert series["DCGM_FI_DEV_GPU_TEMP"]["1"][1] < 40
    assert series["DCGM_FI_DEV_FB_FREE"]["0"][1] <= 64
    assert series["DCGM_FI_DEV_SM_CLOCK"]["0"][1] < 1980  # thermal slowdown
    assert int(series["DCGM_FI_DEV_CLOCK_THROTTLE_REASONS"]["0"][1]) & 0x40


def test_lost_gpu_series_are_dropped(backend: SimBackend) -> None:
    backend.simulator.enable_fault("gpu_lost", 0)
    series = scrape(backend)
    for name in REQUIRED:
        assert set(series[name]) == {"1"}, name
    assert series[UP_METRIC]["0"][1] == 0
    assert series[UP_METRIC]["1"][1] == 1
    assert series[UP_METRIC]["0"][0]["UUID"].startswith("GPU-")
    backend.simulator.disable_fault("gpu_lost", 0)
    assert set(scrape(backend)["DCGM_FI_DEV_GPU_TEMP"]) == {"0", "1"}


def test_no_global_registry_side_effects(backend: SimBackend) -> None:
    build_registry(backend)
    global_names = {family.name for family in prometheus_client.REGISTRY.collect()}
    assert not any(name.startswith("DCGM_") for name in global_names)
