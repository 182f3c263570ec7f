"""NVML-shaped API over the simulator, and the protocol it shares with pynvml.

:class:`SimNvml` has the same function names, argument order, units and error
behaviour as ``pynvml`` (nvidia-ml-py) for the calls gpu_sim uses, so code that
reads GPUs through :class:`NvmlApi` works unchanged against either one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from gpu_sim.errors import (
    NVML_ERROR_GPU_IS_LOST,
    NVML_ERROR_INVALID_ARGUMENT,
    NVML_ERROR_NOT_SUPPORTED,
    NVML_ERROR_UNINITIALIZED,
    GpuLostError,
    NvmlError,
)
from gpu_sim.model import SimulatedGpu
from gpu_sim.simulator import GpuSimulator

NVML_TEMPERATURE_GPU = 0
NVML_CLOCK_GRAPHICS = 0
NVML_CLOCK_SM = 1
NVML_CLOCK_MEM = 2
MIB = 1024 * 1024


class UtilizationLike(Protocol):
    @property
    def gpu(self) -> int: ...
    @property
    def memory(self) -> int: ...


class MemoryInfoLike(Protocol):
    @property
    def total(self) -> int: ...
    @property
    def used(self) -> int: ...
    @property
    def free(self) -> int: ...


class NvmlApi(Protocol):
    """The subset of pynvml that gpu_sim reads (satisfied by pynvml and SimNvml)."""

    NVMLError: type[Exception]

    def nvmlInit(self) -> None: ...
    def nvmlShutdown(self) -> None: ...
    def nvmlDeviceGetCount(self) -> int: ...
    def nvmlDeviceGetHandleByIndex(self, index: int) -> object: ...
    def nvmlDeviceGetUUID(self, handle: object) -> str: ...
    def nvmlDeviceGetName(self, handle: object) -> str: ...
    def nvmlDeviceGetTemperature(self, handle: object, sensor: int) -> int: ...
    def nvmlDeviceGetUtilizationRates(self, handle: object) -> UtilizationLike: ...
    def nvmlDeviceGetMemoryInfo(self, handle: object) -> MemoryInfoLike: ...
    def nvmlDeviceGetPowerUsage(self, handle: object) -> int: ...
    def nvmlDeviceGetClockInfo(self, handle: object, clock_type: int) -> int: ...
    def nvmlDeviceGetCurrentClocksThrottleReasons(self, handle: object) -> int: ...


@dataclass(frozen=True)
class Utilization:
    """Like ``pynvml.c_nvmlUtilization_t``: percent of time busy."""

    gpu: int
    memory: int


@dataclass(frozen=True)
class MemoryInfo:
    """Like ``pynvml.c_nvmlMemory_t``: bytes."""

    total: int
    free: int
    used: int


@dataclass(frozen=True)
class SimHandle:
    """Opaque device handle returned by :meth:`SimNvml.nvmlDeviceGetHandleByIndex`."""

    index: int


class SimNvml:
    """pynvml look-alike backed by a :class:`GpuSimulator`.

    Calls before ``nvmlInit`` raise ``NVML_ERROR_UNINITIALIZED``; device calls on a
    GPU with the ``gpu_lost`` fault raise :class:`GpuLostError`
    (``NVML_ERROR_GPU_IS_LOST``), exactly like pynvml's ``NVMLError``.
    """

    NVMLError: type[Exception] = NvmlError
    NVML_ERROR_GPU_IS_LOST = NVML_ERROR_GPU_IS_LOST
    NVML_TEMPERATURE_GPU = NVML_TEMPERATURE_GPU
    NVML_CLOCK_GRAPHICS = NVML_CLOCK_GRAPHICS
    NVML_CLOCK_SM = NVML_CLOCK_SM
    NVML_CLOCK_MEM = NVML_CLOCK_MEM

    def __init__(self, simulator: GpuSimulator) -> None:
        self.simulator = simulator
        self._init_count = 0

    def nvmlInit(self) -> None:
        self._init_count += 1

    def nvmlShutdown(self) -> None:
        self._require_init()
        self._init_count -= 1

    def _require_init(self) -> None:
        if self._init_count <= 0:
            raise NvmlError(NVML_ERROR_UNINITIALIZED)

    def _device(self, handle: object) -> SimulatedGpu:
        self._require_init()
        if not isinstance(handle, SimHandle) or not 0 <= handle.index < self.simulator.gpu_count:
            raise NvmlError(NVML_ERROR_INVALID_ARGUMENT, f"bad handle {handle!r}")
        if self.simulator.is_lost(handle.index):
            raise GpuLostError(handle.index)
        return self.simulator.gpu(handle.index)

    def nvmlDeviceGetCount(self) -> int:
        self._require_init()
        return self.simulator.gpu_count

    def nvmlDeviceGetHandleByIndex(self, index: int) -> SimHandle:
        self._require_init()
        if not 0 <= index < self.simulator.gpu_count:
            raise NvmlError(NVML_ERROR_INVALID_ARGUMENT, f"no device with index {index}")
        return SimHandle(index)

    def nvmlDeviceGetIndex(self, handle: object) -> int:
        return self._device(handle).index

    def nvmlDeviceGetUUID(self, handle: object) -> str:
        return self._device(handle).uuid

    def nvmlDeviceGetName(self, handle: object) -> str:
        return self._device(handle).spec.name

    def nvmlDeviceGetTemperature(self, handle: object, sensor: int) -> int:
        device = self._device(handle)
        if sensor != NVML_TEMPERATURE_GPU:
            raise NvmlError(NVML_ERROR_INVALID_ARGUMENT, f"unknown sensor {sensor}")
        return round(self.simulator.telemetry(device.index).temperature_c)

    def nvmlDeviceGetUtilizationRates(self, handle: object) -> Utilization:
        util = self.simulator.telemetry(self._device(handle).index).utilization_pct
        return Utilization(gpu=round(util), memory=round(util / 2))

    def nvmlDeviceGetMemoryInfo(self, handle: object) -> MemoryInfo:
        t = self.simulator.telemetry(self._device(handle).index)
        return MemoryInfo(
            total=t.memory_total_mib * MIB,
            free=t.memory_free_mib * MIB,
            used=t.memory_used_mib * MIB,
        )

    def nvmlDeviceGetPowerUsage(self, handle: object) -> int:
        """Board power in milliwatts, like NVML."""
        return round(self.simulator.telemetry(self._device(handle).index).power_w * 1000)

    def nvmlDeviceGetEnforcedPowerLimit(self, handle: object) -> int:
        return round(self._device(handle).spec.tdp_w * 1000)

    def nvmlDeviceGetClockInfo(self, handle: object, clock_type: int) -> int:
        """Current clock in MHz."""
        device = self._device(handle)
        if clock_type == NVML_CLOCK_MEM:
            return device.spec.mem_clock_mhz
        if clock_type in (NVML_CLOCK_SM, NVML_CLOCK_GRAPHICS):
            return self.simulator.telemetry(device.index).sm_clock_mhz
        raise NvmlError(NVML_ERROR_NOT_SUPPORTED, f"clock type {clock_type}")

    def nvmlDeviceGetMaxClockInfo(self, handle: object, clock_type: int) -> int:
        device = self._device(handle)
        if clock_type == NVML_CLOCK_MEM:
            return device.spec.mem_clock_mhz
        return device.spec.max_sm_clock_mhz

    def nvmlDeviceGetCurrentClocksThrottleReasons(self, handle: object) -> int:
        """Bitmask of ``nvmlClocksThrottleReason*`` (0x40 = HW thermal slowdown)."""
        return self.simulator.telemetry(self._device(handle).index).throttle_reasons

    nvmlDeviceGetCurrentClocksEventReasons = nvmlDeviceGetCurrentClocksThrottleReasons
