"""The :class:`GpuBackend` protocol and its simulator and real-NVML implementations.

Both backends read devices through the same NVML-shaped calls (:class:`NvmlReader`):
the simulator through :class:`~gpu_sim.nvml.SimNvml`, the real mode through
``pynvml`` from nvidia-ml-py. Only the simulator accepts faults.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol, TypeVar, cast

from gpu_sim.errors import (
    NVML_ERROR_GPU_IS_LOST,
    NVML_ERROR_NOT_SUPPORTED,
    BackendUnavailableError,
    FaultsUnsupportedError,
    GpuLostError,
    GpuReadError,
)
from gpu_sim.nvml import MIB, NVML_CLOCK_MEM, NVML_CLOCK_SM, NVML_TEMPERATURE_GPU, NvmlApi, SimNvml
from gpu_sim.simulator import GpuSimulator, SimConfig
from gpu_sim.xid import XidWatcher

LOG = logging.getLogger(__name__)
MODES = ("auto", "sim", "real")
T = TypeVar("T")


@dataclass(frozen=True)
class GpuIdentity:
    index: int
    uuid: str
    name: str


@dataclass(frozen=True)
class GpuSample:
    """One scrape of one GPU; ``None`` marks a field the device does not support."""

    identity: GpuIdentity
    temperature_c: float
    utilization_pct: float
    fb_used_mib: int
    fb_free_mib: int
    power_w: float | None
    sm_clock_mhz: int | None
    mem_clock_mhz: int | None
    throttle_reasons: int | None
    xid_last: int


class FaultControl(Protocol):
    """Fault and load control (implemented by :class:`GpuSimulator`)."""

    def enable_fault(
        self, name: str, gpu: int | None = None, params: Mapping[str, object] | None = None
    ) -> None: ...
    def disable_fault(self, name: str, gpu: int | None = None) -> None: ...
    def clear_all(self) -> None: ...
    def set_load(self, gpu: int | None, utilization: float, memory_used_mib: int | None = None) -> None: ...
    def advance(self, seconds: float) -> None: ...
    def state(self) -> dict[str, object]: ...


class GpuBackend(Protocol):
    """What the exporter needs from a GPU source."""

    @property
    def mode(self) -> str: ...
    def device_count(self) -> int: ...
    def identity(self, index: int) -> GpuIdentity: ...
    def sample(self, index: int) -> GpuSample:
        """Read GPU ``index``; raises GpuLostError or GpuReadError."""
        ...

    def fault_control(self) -> FaultControl:
        """The fault controller; raises FaultsUnsupportedError for real GPUs."""
        ...

    def close(self) -> None: ...


class NvmlReader:
    """Reads GPU samples through any :class:`NvmlApi` and maps its errors."""

    def __init__(self, api: NvmlApi) -> None:
        self.api = api

    def call(self, index: int, fn: Callable[..., T], *args: object) -> T:
        try:
            return fn(*args)
        except self.api.NVMLError as exc:
            if getattr(exc, "value", None) == NVML_ERROR_GPU_IS_LOST:
                raise GpuLostError(index) from exc
            raise GpuReadError(f"gpu {index}: {exc}") from exc

    def optional(self, index: int, fn: Callable[..., T], *args: object) -> T | None:
        """Like :meth:`call` but ``None`` when NVML answers NOT_SUPPORTED."""
        try:
            return self.call(index, fn, *args)
        except GpuReadError as exc:
            if getattr(exc.__cause__, "value", None) == NVML_ERROR_NOT_SUPPORTED:
                return None
            raise

    def identity(self, index: int) -> GpuIdentity:
        handle = self.call(index, self.api.nvmlDeviceGetHandleByIndex, index)
        uuid = self.call(index, self.api.nvmlDeviceGetUUID, handle)
        name = self.call(index, self.api.nvmlDeviceGetName, handle)
        return GpuIdentity(index, str(uuid), str(name))

    def sample(self, identity: GpuIdentity, xid_last: int) -> GpuSample:
        i, api = identity.index, self.api
        handle = self.call(i, api.nvmlDeviceGetHandleByIndex, i)
        memory = self.call(i, api.nvmlDeviceGetMemoryInfo, handle)
        power_mw = self.optional(i, api.nvmlDeviceGetPowerUsage, handle)
        return GpuSample(
            identity=identity,
            temperature_c=float(self.call(i, api.nvmlDeviceGetTemperature, handle, NVML_TEMPERATURE_GPU)),
            utilization_pct=float(self.call(i, api.nvmlDeviceGetUtilizationRates, handle).gpu),
            fb_used_mib=int(memory.used) // MIB,
            fb_free_mib=int(memory.free) // MIB,
            power_w=None if power_mw is None else power_mw / 1000.0,
            sm_clock_mhz=self.optional(i, api.nvmlDeviceGetClockInfo, handle, NVML_CLOCK_SM),
            mem_clock_mhz=self.optional(i, api.nvmlDeviceGetClockInfo, handle, NVML_CLOCK_MEM),
            throttle_reasons=self.optional(i, api.nvmlDeviceGetCurrentClocksThrottleReasons, handle),
            xid_last=xid_last,
        )


class SimBackend:
    """Simulated GPUs, read through :class:`SimNvml`; accepts faults."""

    mode = "sim"

    def __init__(self, simulator: GpuSimulator | None = None) -> None:
        self.simulator = simulator or GpuSimulator()
        self.nvml = SimNvml(self.simulator)
        self.nvml.nvmlInit()
        self._reader = NvmlReader(self.nvml)

    def device_count(self) -> int:
        return self.simulator.gpu_count

    def identity(self, index: int) -> GpuIdentity:
        device = self.simulator.gpu(index)
        return GpuIdentity(index, device.uuid, device.spec.name)

    def sample(self, index: int) -> GpuSample:
        xid_last, _count = self.simulator.xid(index)
        return self._reader.sample(self.identity(index), xid_last)

    def fault_control(self) -> GpuSimulator:
        return self.simulator

    def close(self) -> None:
        self.nvml.nvmlShutdown()


class RealBackend:
    """Real GPUs through pynvml; faults are refused."""

    mode = "real"

    def __init__(self, api: NvmlApi, count: int) -> None:
        self._reader = NvmlReader(api)
        self._count = count
        self._identities: dict[int, GpuIdentity] = {}
        for index in range(count):
            self._identities[index] = self._read_identity(index)
        self._xid = XidWatcher(api, count)

    def _read_identity(self, index: int) -> GpuIdentity:
        try:
            return self._reader.identity(index)
        except (GpuLostError, GpuReadError) as exc:
            LOG.warning("cannot read identity of gpu %d: %s", index, exc)
            return GpuIdentity(index, "", "unknown")

    def device_count(self) -> int:
        return self._count

    def identity(self, index: int) -> GpuIdentity:
        return self._identities[index]

    def sample(self, index: int) -> GpuSample:
        self._xid.poll()
        identity = self._identities[index]
        if not identity.uuid:
            identity = self._identities[index] = self._read_identity(index)
        return self._reader.sample(identity, self._xid.last(index))

    def fault_control(self) -> FaultControl:
        raise FaultsUnsupportedError()

    def close(self) -> None:
        self._xid.close()
        try:
            self._reader.api.nvmlShutdown()
        except self._reader.api.NVMLError as exc:
            LOG.debug("nvmlShutdown failed: %s", exc)


def load_pynvml() -> NvmlApi:
    """Import nvidia-ml-py's ``pynvml`` (only when real mode is attempted)."""
    try:
        module = importlib.import_module("pynvml")
    except ImportError as exc:
        raise BackendUnavailableError("nvidia-ml-py is not installed (pip install nvidia-ml-py)") from exc
    return cast(NvmlApi, module)


def open_real_backend(loader: Callable[[], NvmlApi] | None = None) -> RealBackend:
    """Initialise NVML and return a real backend, or raise BackendUnavailableError.

    ``loader`` returns the NVML module (default: import ``pynvml``).
    """
    api = (loader or load_pynvml)()
    try:
        api.nvmlInit()
    except (api.NVMLError, OSError) as exc:
        raise BackendUnavailableError(f"NVML failed to initialise: {exc}") from exc
    try:
        count = int(api.nvmlDeviceGetCount())
    except api.NVMLError as exc:
        api.nvmlShutdown()
        raise BackendUnavailableError(f"NVML cannot count devices: {exc}") from exc
    if count < 1:
        api.nvmlShutdown()
        raise BackendUnavailableError("NVML initialised but found 0 devices")
    return RealBackend(api, count)


def select_backend(
    mode: str,
    sim_config: SimConfig | None = None,
    loader: Callable[[], NvmlApi] | None = None,
) -> tuple[GpuBackend, str]:
    """Pick the backend for ``mode`` (auto|sim|real); return it and a one-line reason (also logged).

    ``auto`` uses real GPUs when NVML initialises and sees at least one, and falls
    back to the simulator otherwise; ``real`` raises BackendUnavailableError instead.
    """
    if mode not in MODES:
        raise BackendUnavailableError(f"unknown mode {mode!r}; choose one of {', '.join(MODES)}")
    if mode == "sim":
        LOG.info("using simulator (--mode sim)")
        return SimBackend(GpuSimulator(sim_config)), "using simulator (--mode sim)"
    try:
        real = open_real_backend(loader)
    except BackendUnavailableError as exc:
        if mode == "real":
            raise BackendUnavailableError(f"--mode real: no NVIDIA GPU usable: {exc}") from exc
        message = f"no NVIDIA GPU found (reason: {exc}): using simulator"
        LOG.warning(message)
        return SimBackend(GpuSimulator(sim_config)), message
    message = f"using {real.device_count()} real NVIDIA GPU(s) through NVML"
    LOG.info(message)
    return real, message
