"""NVML-shaped API, the GpuBackend implementations and mode selection."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

import pytest

from gpu_sim import (
    BackendUnavailableError,
    FaultsUnsupportedError,
    GpuLostError,
    GpuSimulator,
    NvmlApi,
    NvmlError,
    RealBackend,
    SimBackend,
    SimConfig,
    SimNvml,
    open_real_backend,
    select_backend,
)
from gpu_sim import backend as backend_module
from gpu_sim.errors import (
    NVML_ERROR_INVALID_ARGUMENT,
    NVML_ERROR_LIBRARY_NOT_FOUND,
    NVML_ERROR_NOT_SUPPORTED,
    NVML_ERROR_TIMEOUT,
    NVML_ERROR_UNINITIALIZED,
)
from gpu_sim.nvml import MIB, NVML_CLOCK_MEM, NVML_CLOCK_SM, NVML_TEMPERATURE_GPU


def test_sim_nvml_mirrors_pynvml_units_and_errors() -> None:
    nvml = SimNvml(GpuSimulator(SimConfig(gpu_count=2)))
    with pytest.raises(NvmlError) as info:
        nvml.nvmlDeviceGetCount()
    assert info.value.value == NVML_ERROR_UNINITIALIZED
    nvml.nvmlInit()
    assert nvml.nvmlDeviceGetCount() == 2
    handle = nvml.nvmlDeviceGetHandleByIndex(1)
    assert nvml.nvmlDeviceGetUUID(handle).startswith("GPU-")
    assert nvml.nvmlDeviceGetUUID(handle) != nvml.nvmlDeviceGetUUID(nvml.nvmlDeviceGetHandleByIndex(0))
    assert "H100" in nvml.nvmlDeviceGetName(handle)
    assert nvml.nvmlDeviceGetPowerUsage(handle) == 80_000  # milliwatts at idle
    memory = nvml.nvmlDeviceGetMemoryInfo(handle)
    assert memory.total == memory.used + memory.free
    assert memory.total == 81559 * MIB  # bytes, like NVML
    assert nvml.nvmlDeviceGetClockInfo(handle, NVML_CLOCK_SM) == 1980
    assert nvml.nvmlDeviceGetClockInfo(handle, NVML_CLOCK_MEM) == 2619
    assert nvml.nvmlDeviceGetUtilizationRates(handle).gpu == 0
    assert isinstance(nvml.nvmlDeviceGetTemperature(handle, NVML_TEMPERATURE_GPU), int)
    with pytest.raises(NvmlError) as bad:
        nvml.nvmlDeviceGetHandleByIndex(5)
    assert bad.value.value == NVML_ERROR_INVALID_ARGUMENT
    nvml.nvmlShutdown()
    with pytest.raises(NvmlError):
        nvml.nvmlDeviceGetName(handle)


def test_sim_backend_samples_through_nvml() -> None:
    backend = SimBackend(GpuSimulator(SimConfig(gpu_count=1)))
    backend.simulator.set_load(0, 90, memory_used_mib=2048)
    backend.simulator.enable_fault("xid", 0, {"code": 48})
    backend.simulator.advance(120)
    sample = backend.sample(0)
    assert sample.identity == backend.identity(0)
    assert sample.utilization_pct == 90
    assert sample.fb_used_mib == 512 + 2048
    assert sample.temperature_c == round(backend.simulator.telemetry(0).temperature_c)
    assert sample.power_w == pytest.approx(backend.simulator.telemetry(0).power_w, abs=0.001)
    assert sample.xid_last == 48
    assert backend.fault_control() is backend.simulator
    backend.simulator.enable_fault("gpu_lost", 0)
    with pytest.raises(GpuLostError):
        backend.sample(0)
    assert backend.identity(0).uuid.startswith("GPU-")  # identity survives the loss
    backend.close()


class PowerlessNvml(SimNvml):
    """A board whose power sensor NVML does not support (like some consumer GPUs)."""

    def nvmlDeviceGetPowerUsage(self, handle: object) -> int:
        raise NvmlError(NVML_ERROR_NOT_SUPPORTED)


def test_real_backend_over_an_nvml_module_refuses_faults() -> None:
    nvml = PowerlessNvml(GpuSimulator(SimConfig(gpu_count=2)))
    real = open_real_backend(lambda: nvml)
    assert isinstance(real, RealBackend)
    assert real.mode == "real"
    assert real.device_count() == 2
    sample = real.sample(1)
    assert sample.power_w is None  # NOT_SUPPORTED becomes a missing field
    assert sample.sm_clock_mhz == 1980
    assert sample.identity.uuid == nvml.simulator.gpu(1).uuid
    with pytest.raises(FaultsUnsupportedError, match="refused in real mode"):
        real.fault_control()
    nvml.simulator.enable_fault("gpu_lost", 1)
    with pytest.raises(GpuLostError):
        real.sample(1)
    real.close()


@dataclass(frozen=True)
class XidEvent:
    device: object
    eventData: int  # pynvml's field name


class EventNvml(SimNvml):
    """SimNvml plus pynvml's event-set calls, to exercise XID tracking of real mode."""

    nvmlEventTypeXidCriticalError = 8

    def __init__(self, simulator: GpuSimulator) -> None:
        super().__init__(simulator)
        self.events: deque[XidEvent] = deque()
        self.registered: list[tuple[object, int]] = []
        self.freed = False

    def nvmlEventSetCreate(self) -> str:
        return "event-set"

    def nvmlDeviceRegisterEvents(self, handle: object, types: int, event_set: object) -> None:
        self.registered.append((handle, types))

    def nvmlEventSetWait(self, event_set: object, timeout_ms: int) -> XidEvent:
        if not self.events:
            raise NvmlError(NVML_ERROR_TIMEOUT)
        return self.events.popleft()

    def nvmlEventSetFree(self, event_set: object) -> None:
        self.freed = True


def test_real_backend_reports_last_xid_from_nvml_events() -> None:
    nvml = EventNvml(GpuSimulator(SimConfig(gpu_count=2)))
    real = open_real_backend(lambda: nvml)
    assert [types for _handle, types in nvml.registered] == [8, 8]
    assert real.sample(1).xid_last == 0
    handle = nvml.nvmlDeviceGetHandleByIndex(1)
    nvml.events.extend([XidEvent(handle, 31), XidEvent(handle, 79)])
    assert real.sample(1).xid_last == 79
    assert real.sample(0).xid_last == 0
    real.close()
    assert nvml.freed


class MissingLibraryNvml(SimNvml):
    def nvmlInit(self) -> None:
        raise NvmlError(NVML_ERROR_LIBRARY_NOT_FOUND)


def test_auto_mode_falls_back_and_says_why(caplog: pytest.LogCaptureFixture) -> None:
    def loader() -> NvmlApi:
        return MissingLibraryNvml(GpuSimulator(SimConfig(gpu_count=1)))

    with caplog.at_level(logging.WARNING, logger="gpu_sim"):
        backend, message = select_backend("auto", SimConfig(gpu_count=3), loader=loader)
    assert isinstance(backend, SimBackend)
    assert backend.device_count() == 3
    assert message.startswith("no NVIDIA GPU found (reason: ")
    assert "NVML Shared Library Not Found" in message
    assert message.endswith("using simulator")
    assert message in caplog.text


def test_auto_mode_on_this_machine() -> None:
    backend, message = select_backend("auto", SimConfig(gpu_count=1))
    try:
        if backend.mode == "real":  # only on a machine with an NVIDIA GPU and driver
            assert backend.device_count() >= 1
            assert "real NVIDIA GPU" in message
        else:
            assert isinstance(backend, SimBackend)
            assert message.startswith("no NVIDIA GPU found (reason: ")
            assert len(message) > len("no NVIDIA GPU found (reason: ): using simulator")
    finally:
        backend.close()


class ZeroDeviceNvml(SimNvml):
    """A working NVML with no GPU attached."""

    def nvmlDeviceGetCount(self) -> int:
        return 0


def test_real_mode_fails_clearly_without_gpu() -> None:
    def no_devices() -> NvmlApi:
        return ZeroDeviceNvml(GpuSimulator(SimConfig(gpu_count=1)))

    with pytest.raises(BackendUnavailableError, match=r"--mode real.*found 0 devices"):
        select_backend("real", loader=no_devices)
    backend, message = select_backend("auto", loader=no_devices)
    assert backend.mode == "sim"
    assert "found 0 devices" in message


def test_real_mode_without_pynvml_module(monkeypatch: pytest.MonkeyPatch) -> None:
    def missing() -> NvmlApi:
        raise BackendUnavailableError("nvidia-ml-py is not installed (pip install nvidia-ml-py)")

    monkeypatch.setattr(backend_module, "load_pynvml", missing)
    with pytest.raises(BackendUnavailableError, match=r"--mode real.*nvidia-ml-py"):
        select_backend("real")
    backend, message = select_backend("auto")
    assert backend.mode == "sim"
    assert "nvidia-ml-py is not installed" in message


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(BackendUnavailableError, match="unknown mode"):
        select_backend("turbo")
