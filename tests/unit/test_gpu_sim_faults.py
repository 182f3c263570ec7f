"""Fault injection on the simulator, and the real-time driver's clock."""

from __future__ import annotations

import pytest

from gpu_sim import FaultError, FaultName, GpuLostError, GpuSimulator, SimConfig, SimNvml
from gpu_sim.errors import NVML_ERROR_GPU_IS_LOST
from gpu_sim.faults import DEFAULT_XID_CODE, progress
from gpu_sim.simulator import RealTimeDriver

OVERHEAT_LIMIT_C = 85.0


@pytest.fixture
def sim() -> GpuSimulator:
    return GpuSimulator(SimConfig(gpu_count=2))


def seconds_until(sim: GpuSimulator, gpu: int, above: float, limit_s: float) -> float | None:
    """Step 1 s at a time; simulated seconds until gpu passes ``above`` (None: never)."""
    start = sim.now_s
    while sim.now_s - start < limit_s:
        sim.advance(1.0)
        if sim.telemetry(gpu).temperature_c > above:
            return sim.now_s - start
    return None


@pytest.mark.parametrize("utilization", [0.0, 100.0])
def test_overheat_passes_85_within_bounded_time_then_clear_restores(
    sim: GpuSimulator, utilization: float
) -> None:
    sim.set_load(0, utilization)
    sim.advance(300)
    assert sim.telemetry(0).temperature_c < OVERHEAT_LIMIT_C
    sim.enable_fault(FaultName.OVERHEAT, gpu=0)
    took = seconds_until(sim, 0, OVERHEAT_LIMIT_C, limit_s=180)
    assert took is not None and took <= 180
    sim.advance(300)
    hot = sim.telemetry(0)
    assert hot.temperature_c > OVERHEAT_LIMIT_C
    assert hot.throttled  # passes the 90 °C slowdown limit too
    assert sim.telemetry(1).temperature_c < 60  # the other GPU is unaffected
    sim.clear_all()
    sim.advance(120)
    assert sim.telemetry(0).temperature_c < OVERHEAT_LIMIT_C
    assert sim.active_faults(0) == []


def test_overheat_switch_off_single_fault(sim: GpuSimulator) -> None:
    sim.enable_fault("overheat", gpu=1, params={"cooling_factor": 20})
    assert sim.active_faults(1) == [FaultName.OVERHEAT]
    gpu_state = sim.state()["gpus"]
    assert isinstance(gpu_state, list)
    assert gpu_state[1]["faults"]["overheat"] == {"active": True, "cooling_factor": 20.0,
                                                    "progress": progress(True)}
    sim.advance(600)
    assert sim.telemetry(1).temperature_c > OVERHEAT_LIMIT_C
    sim.disable_fault("overheat", gpu=1)
    sim.advance(300)
    assert sim.telemetry(1).temperature_c < 40
    assert sim.active_faults(1) == []


def test_xid_counter_and_last_code(sim: GpuSimulator) -> None:
    assert sim.xid(0) == (0, 0)
    sim.enable_fault("xid", gpu=0)
    assert sim.xid(0) == (DEFAULT_XID_CODE, 1)
    sim.enable_fault("xid", gpu=0, params={"code": 48})
    assert sim.xid(0) == (48, 2)
    assert sim.xid(1) == (0, 0)
    sim.disable_fault("xid", gpu=0)
    assert sim.xid(0) == (0, 2)  # last code cleared, cumulative count kept
    assert FaultName.XID not in sim.active_faults(0)


def test_framebuffer_exhaustion(sim: GpuSimulator) -> None:
    before = sim.telemetry(0)
    sim.enable_fault("fb_exhaustion", gpu=0)
    t = sim.telemetry(0)
    assert t.memory_used_mib >= t.memory_total_mib - 64
    assert t.memory_free_mib <= 64
    sim.enable_fault("fb_exhaustion", gpu=0, params={"free_mib": 0})
    assert sim.telemetry(0).memory_free_mib == 0
    sim.disable_fault("fb_exhaustion", gpu=0)
    assert sim.telemetry(0).memory_used_mib == before.memory_used_mib


def test_gpu_lost_raises_nvml_style_error(sim: GpuSimulator) -> None:
    nvml = SimNvml(sim)
    nvml.nvmlInit()
    handle = nvml.nvmlDeviceGetHandleByIndex(0)
    assert nvml.nvmlDeviceGetTemperature(handle, 0) > 0
    sim.enable_fault("gpu_lost", gpu=0)
    with pytest.raises(GpuLostError) as info:
        nvml.nvmlDeviceGetTemperature(handle, 0)
    assert info.value.value == NVML_ERROR_GPU_IS_LOST
    assert "GPU is lost" in str(info.value)
    with pytest.raises(nvml.NVMLError):
        nvml.nvmlDeviceGetUUID(handle)
    other = nvml.nvmlDeviceGetHandleByIndex(1)
    assert nvml.nvmlDeviceGetPowerUsage(other) > 0
    sim.disable_fault("gpu_lost", gpu=0)
    assert nvml.nvmlDeviceGetTemperature(handle, 0) > 0


def test_fault_without_gpu_targets_all_and_clear_all_restores(sim: GpuSimulator) -> None:
    for name in FaultName:
        sim.enable_fault(name)
    for gpu in range(2):
        assert sim.active_faults(gpu) == list(FaultName)
    state = sim.state()
    assert state["mode"] == "sim"
    sim.clear_all()
    gpus = sim.state()["gpus"]
    assert isinstance(gpus, list)
    assert all(entry["healthy"] for entry in gpus)


@pytest.mark.parametrize(
    ("name", "gpu", "params", "match"),
    [
        ("meltdown", 0, {}, "unknown fault"),
        ("overheat", 7, {}, "no such gpu"),
        ("overheat", 0, {"cooling_factor": 0.5}, "cooling_factor"),
        ("overheat", 0, {"cooling_factor": "hot"}, "number"),
        ("xid", 0, {"code": 0}, "XID code"),
        ("xid", 0, {"colour": 1}, "unknown parameter"),
        ("fb_exhaustion", 0, {"free_mib": -1}, "free_mib"),
    ],
)
def test_bad_fault_requests_are_rejected(
    sim: GpuSimulator, name: str, gpu: int, params: dict[str, object], match: str
) -> None:
    with pytest.raises(FaultError, match=match):
        sim.enable_fault(name, gpu=gpu, params=params)
    assert all(sim.active_faults(i) == [] for i in range(2))


def test_real_time_driver_scales_time_with_injected_clock(sim: GpuSimulator) -> None:
    now = [100.0]
    driver = RealTimeDriver(sim, time_scale=10, clock=lambda: now[0])
    now[0] = 101.5
    assert driver.tick() == pytest.approx(15.0)
    assert sim.now_s == pytest.approx(15.0)
    now[0] = 101.0  # a clock going backwards never rewinds the model
    assert driver.tick() == 0.0
    assert sim.now_s == pytest.approx(15.0)


def test_real_time_driver_thread_advances_model(sim: GpuSimulator) -> None:
    driver = RealTimeDriver(sim, time_scale=100, interval_s=0.01)
    driver.start()
    try:
        for _ in range(500):
            if sim.now_s > 1.0:
                break
            driver._stop.wait(0.01)
    finally:
        driver.stop()
    assert sim.now_s > 1.0
