"""Thermal model of gpu_sim: heating, cooling, convergence, throttling."""

from __future__ import annotations

import math

import pytest

from gpu_sim import ConfigError, GpuSimulator, GpuSpec, SimConfig, ThermalConfig
from gpu_sim.model import (
    THROTTLE_REASON_GPU_IDLE,
    THROTTLE_REASON_HW_THERMAL_SLOWDOWN,
    SimulatedGpu,
)

THERMAL = ThermalConfig()


def make_gpu(thermal: ThermalConfig = THERMAL) -> SimulatedGpu:
    return SimulatedGpu(0, "GPU-test", GpuSpec(), thermal)


def test_starts_at_idle_equilibrium() -> None:
    gpu = make_gpu()
    t = gpu.telemetry()
    assert t.utilization_pct == 0
    assert t.power_w == pytest.approx(GpuSpec().idle_w)
    assert t.temperature_c == pytest.approx(gpu.current_equilibrium_c())
    assert THERMAL.ambient_c < t.temperature_c < 40
    assert t.throttle_reasons == THROTTLE_REASON_GPU_IDLE


def test_heats_under_load() -> None:
    gpu = make_gpu()
    idle = gpu.temperature_c
    gpu.set_load(100)
    samples = []
    for _ in range(6):
        gpu.step(10)
        samples.append(gpu.temperature_c)
    assert samples == sorted(samples)
    assert samples[0] > idle
    assert samples[-1] > idle + 25
    assert gpu.telemetry().power_w == pytest.approx(GpuSpec().tdp_w)


def test_cools_back_after_load_stops() -> None:
    gpu = make_gpu()
    idle = gpu.temperature_c
    gpu.set_load(100)
    gpu.step(300)
    hot = gpu.temperature_c
    gpu.set_load(0)
    gpu.step(30)
    assert gpu.temperature_c < hot
    gpu.step(300)
    assert gpu.temperature_c == pytest.approx(idle, abs=0.2)


def test_follows_first_order_law_and_converges_after_five_tau() -> None:
    gpu = make_gpu()
    start = gpu.temperature_c
    gpu.set_load(50)
    target = gpu.current_equilibrium_c()
    assert target == pytest.approx(THERMAL.ambient_c + THERMAL.k_c_per_w * gpu.power_w_at(1.0))
    gpu.step(THERMAL.tau_s)
    expected_one_tau = target + (start - target) * math.exp(-1)
    assert gpu.temperature_c == pytest.approx(expected_one_tau, abs=1e-6)
    gpu.step(4 * THERMAL.tau_s)
    gap = abs(target - start)
    assert abs(gpu.temperature_c - target) <= gap * math.exp(-5) + 1e-6
    assert gpu.temperature_c == pytest.approx(target, abs=0.3)


def test_step_size_does_not_change_result() -> None:
    coarse, fine = make_gpu(), make_gpu()
    for gpu in (coarse, fine):
        gpu.set_load(80)
    coarse.step(120)
    for _ in range(1200):
        fine.step(0.1)
    assert coarse.temperature_c == pytest.approx(fine.temperature_c, abs=1e-6)


def test_throttles_above_slowdown_limit() -> None:
    hot_box = ThermalConfig(k_c_per_w=0.15)  # full load would settle near 130 °C unthrottled
    gpu = make_gpu(hot_box)
    gpu.set_load(100)
    cool = gpu.telemetry()
    gpu.step(600)
    hot = gpu.telemetry()
    assert hot.temperature_c > hot_box.slowdown_c
    assert hot.clock_fraction < 1.0
    assert hot.sm_clock_mhz < cool.sm_clock_mhz == GpuSpec().max_sm_clock_mhz
    assert hot.power_w < cool.power_w == pytest.approx(GpuSpec().tdp_w)
    assert hot.throttle_reasons & THROTTLE_REASON_HW_THERMAL_SLOWDOWN
    assert hot.throttled
    # throttling holds the temperature well below the unthrottled equilibrium
    assert hot.temperature_c < gpu.equilibrium_c(GpuSpec().tdp_w) - 20


def test_no_throttling_below_limit() -> None:
    gpu = make_gpu()
    gpu.set_load(100)
    gpu.step(600)
    t = gpu.telemetry()
    assert t.temperature_c < THERMAL.slowdown_c
    assert t.clock_fraction == 1.0
    assert not t.throttled


def test_load_sets_framebuffer_use() -> None:
    gpu = make_gpu()
    spec = GpuSpec()
    assert gpu.telemetry().memory_used_mib == spec.reserved_memory_mib
    gpu.set_load(50, memory_mib=4096)
    t = gpu.telemetry()
    assert t.memory_used_mib == spec.reserved_memory_mib + 4096
    assert t.memory_free_mib == spec.memory_total_mib - t.memory_used_mib


@pytest.mark.parametrize("utilization", [-1.0, 100.5, math.nan])
def test_rejects_bad_utilization(utilization: float) -> None:
    with pytest.raises(ConfigError, match="utilization"):
        make_gpu().set_load(utilization)


def test_rejects_negative_step_and_bad_config() -> None:
    with pytest.raises(ConfigError):
        make_gpu().step(-1)
    with pytest.raises(ConfigError):
        ThermalConfig(tau_s=0)
    with pytest.raises(ConfigError):
        GpuSpec(idle_w=800)
    with pytest.raises(ConfigError):
        SimConfig(gpu_count=0)


def test_simulator_is_deterministic() -> None:
    runs = []
    for _ in range(2):
        sim = GpuSimulator(SimConfig(gpu_count=2))
        sim.set_load(1, 70)
        sim.advance(45.5)
        runs.append([sim.telemetry(i) for i in range(2)] + [sim.now_s])
    assert runs[0] == runs[1]
    assert runs[0][2] == pytest.approx(45.5)
    assert sim.telemetry(0).temperature_c < sim.telemetry(1).temperature_c
