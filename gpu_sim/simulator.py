"""A fleet of simulated GPUs with fault control and a steppable clock.

:class:`GpuSimulator` is fully deterministic: simulated time only moves when
:meth:`GpuSimulator.advance` is called. :class:`RealTimeDriver` is the optional
background thread that calls it in (scaled) real time for the served exporter.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from gpu_sim.errors import ConfigError, FaultError
from gpu_sim.faults import FaultName
from gpu_sim.model import GpuSpec, GpuTelemetry, SimulatedGpu, ThermalConfig

LOG = logging.getLogger(__name__)
MAX_GPUS = 64
MAX_ADVANCE_S = 7 * 24 * 3600.0


@dataclass(frozen=True)
class SimConfig:
    """How many GPUs to simulate and with which constants."""

    gpu_count: int = 2
    spec: GpuSpec = field(default_factory=GpuSpec)
    thermal: ThermalConfig = field(default_factory=ThermalConfig)
    uuid_seed: str = "gpu-sim"

    def __post_init__(self) -> None:
        if not 1 <= self.gpu_count <= MAX_GPUS:
            raise ConfigError(f"gpu_count must be in [1, {MAX_GPUS}], got {self.gpu_count}")


def sim_uuid(seed: str, index: int) -> str:
    """Deterministic NVML-looking UUID (``GPU-xxxxxxxx-...``) for a simulated GPU."""
    return f"GPU-{uuid.uuid5(uuid.NAMESPACE_URL, f'{seed}/{index}')}"


class GpuSimulator:
    """N simulated GPUs; every public method is thread-safe."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self._lock = threading.RLock()
        self._now_s = 0.0
        config = self.config
        self._gpus = [
            SimulatedGpu(i, sim_uuid(config.uuid_seed, i), config.spec, config.thermal)
            for i in range(config.gpu_count)
        ]

    @property
    def gpu_count(self) -> int:
        return len(self._gpus)

    @property
    def now_s(self) -> float:
        """Simulated seconds since the simulator was created."""
        with self._lock:
            return self._now_s

    def gpu(self, index: int) -> SimulatedGpu:
        """The model of GPU ``index`` (callers must not mutate it without the lock)."""
        if isinstance(index, bool) or not isinstance(index, int):
            raise FaultError(f"gpu must be an integer index, got {index!r}")
        if not 0 <= index < len(self._gpus):
            raise FaultError(f"no such gpu {index}: valid indexes are 0..{len(self._gpus) - 1}")
        return self._gpus[index]

    def _targets(self, gpu: int | None) -> list[SimulatedGpu]:
        return list(self._gpus) if gpu is None else [self.gpu(gpu)]

    def advance(self, seconds: float) -> None:
        """Move simulated time forward by ``seconds`` (no sleeping)."""
        if not 0 <= seconds <= MAX_ADVANCE_S:
            raise ConfigError(f"seconds must be in [0, {MAX_ADVANCE_S:g}], got {seconds!r}")
        with self._lock:
            for device in self._gpus:
                device.step(seconds)
            self._now_s += seconds

    def telemetry(self, index: int) -> GpuTelemetry:
        with self._lock:
            return self.gpu(index).telemetry()

    def is_lost(self, index: int) -> bool:
        with self._lock:
            return self.gpu(index).faults.lost

    def xid(self, index: int) -> tuple[int, int]:
        """(last XID code or 0, cumulative XID count) of GPU ``index``."""
        with self._lock:
            faults = self.gpu(index).faults
            return faults.xid_last, faults.xid_count

    def set_load(self, gpu: int | None, utilization: float, memory_used_mib: int | None = None) -> None:
        """Set the utilisation (0-100) of one GPU, or of all when ``gpu`` is None."""
        with self._lock:
            for device in self._targets(gpu):
                device.set_load(utilization, memory_used_mib)

    def enable_fault(
        self,
        name: str | FaultName,
        gpu: int | None = None,
        params: Mapping[str, object] | None = None,
    ) -> None:
        """Switch a fault on for one GPU, or for all when ``gpu`` is None."""
        fault = FaultName.parse(name)
        with self._lock:
            for device in self._targets(gpu):
                device.faults.enable(fault, params or {})
        LOG.info("fault %s switched on (gpu=%s, params=%s)", fault.value, gpu, dict(params or {}))

    def disable_fault(self, name: str | FaultName, gpu: int | None = None) -> None:
        """Switch a fault off for one GPU, or for all when ``gpu`` is None."""
        fault = FaultName.parse(name)
        with self._lock:
            for device in self._targets(gpu):
                device.faults.disable(fault)
        LOG.info("fault %s switched off (gpu=%s)", fault.value, gpu)

    def clear_all(self) -> None:
        """Switch every fault off on every GPU (the load setting is kept)."""
        with self._lock:
            for device in self._gpus:
                device.faults.clear()
        LOG.info("all faults cleared")

    def active_faults(self, index: int) -> list[FaultName]:
        with self._lock:
            return self.gpu(index).faults.active()

    def state(self) -> dict[str, object]:
        """JSON-ready state: simulated time, and per GPU its faults and telemetry."""
        with self._lock:
            return {
                "mode": "sim",
                "sim_time_s": self._now_s,
                "gpus": [self._gpu_state(device) for device in self._gpus],
            }

    @staticmethod
    def _gpu_state(device: SimulatedGpu) -> dict[str, object]:
        t = device.telemetry()
        return {
            "gpu": device.index,
            "uuid": device.uuid,
            "healthy": not device.faults.active(),
            "faults": device.faults.as_dict(),
            "utilization": t.utilization_pct,
            "temperature_c": round(t.temperature_c, 3),
            "equilibrium_c": round(device.current_equilibrium_c(), 3),
            "power_w": round(t.power_w, 3),
            "sm_clock_mhz": t.sm_clock_mhz,
            "throttled": t.throttled,
            "fb_used_mib": t.memory_used_mib,
            "fb_free_mib": t.memory_free_mib,
        }


class RealTimeDriver:
    """Advances a simulator by ``time_scale`` simulated seconds per real second.

    :meth:`tick` does one update from the injected ``clock`` (testable without
    threads); :meth:`start` runs ticks every ``interval_s`` in a daemon thread.
    """

    def __init__(
        self,
        simulator: GpuSimulator,
        time_scale: float = 1.0,
        interval_s: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not time_scale > 0 or not interval_s > 0:
            raise ConfigError("time_scale and interval_s must be > 0")
        self.simulator = simulator
        self.time_scale = time_scale
        self.interval_s = interval_s
        self._clock = clock
        self._last = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> float:
        """Advance by the real time elapsed since the last tick; return simulated seconds."""
        now = self._clock()
        simulated = max(0.0, now - self._last) * self.time_scale
        self._last = now
        simulated = min(simulated, MAX_ADVANCE_S)
        self.simulator.advance(simulated)
        return simulated

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.tick()
            except Exception:  # keep the exporter alive; the next tick retries
                LOG.exception("simulator tick failed")

    def start(self) -> None:
        if self._thread is not None:
            return
        self._last = self._clock()
        self._thread = threading.Thread(target=self._run, name="gpu-sim-clock", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
