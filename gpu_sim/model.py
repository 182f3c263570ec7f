"""Deterministic thermal / electrical model of one simulated GPU.

Temperature follows a first-order law towards an equilibrium above ambient::

    dT/dt = (T_eq - T) / tau          T_eq = ambient + k * power * cooling_factor

Each sub-step (at most ``max_step_s``) uses the exact exponential solution for a
fixed ``T_eq``, so the integration is stable for any step size. Above the
slowdown limit the clocks are throttled (``clock_fraction`` < 1), which lowers
the dynamic power and so the equilibrium. Nothing here reads the wall clock:
time only moves through :meth:`SimulatedGpu.step`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gpu_sim.errors import ConfigError
from gpu_sim.faults import GpuFaults

THROTTLE_REASON_NONE = 0x0
THROTTLE_REASON_GPU_IDLE = 0x1
THROTTLE_REASON_HW_THERMAL_SLOWDOWN = 0x40
MAX_UTILIZATION = 100.0


@dataclass(frozen=True)
class ThermalConfig:
    """Thermal constants shared by every simulated GPU."""

    ambient_c: float = 25.0
    k_c_per_w: float = 0.0715
    tau_s: float = 30.0
    slowdown_c: float = 90.0
    throttle_gain_per_c: float = 0.1
    min_clock_fraction: float = 0.05
    max_step_s: float = 0.1

    def __post_init__(self) -> None:
        if self.k_c_per_w <= 0 or self.tau_s <= 0 or self.max_step_s <= 0:
            raise ConfigError("k_c_per_w, tau_s and max_step_s must be > 0")
        if self.throttle_gain_per_c <= 0:
            raise ConfigError("throttle_gain_per_c must be > 0")
        if not 0 < self.min_clock_fraction <= 1:
            raise ConfigError("min_clock_fraction must be in (0, 1]")
        if self.slowdown_c <= self.ambient_c:
            raise ConfigError("slowdown_c must be above ambient_c")


@dataclass(frozen=True)
class GpuSpec:
    """Static description of the simulated board (defaults: H100 SXM 80 GB)."""

    name: str = "NVIDIA H100 80GB HBM3"
    memory_total_mib: int = 81559
    reserved_memory_mib: int = 512
    tdp_w: float = 700.0
    idle_w: float = 80.0
    floor_w: float = 30.0
    max_sm_clock_mhz: int = 1980
    mem_clock_mhz: int = 2619

    def __post_init__(self) -> None:
        if not 0 <= self.floor_w <= self.idle_w < self.tdp_w:
            raise ConfigError("power must satisfy 0 <= floor_w <= idle_w < tdp_w")
        if not 0 <= self.reserved_memory_mib < self.memory_total_mib:
            raise ConfigError("reserved_memory_mib must be below memory_total_mib")
        if self.max_sm_clock_mhz <= 0 or self.mem_clock_mhz <= 0:
            raise ConfigError("clocks must be > 0")


@dataclass(frozen=True)
class GpuTelemetry:
    """Snapshot of one GPU's model outputs (floats, SI-ish units)."""

    index: int
    temperature_c: float
    utilization_pct: float
    power_w: float
    clock_fraction: float
    sm_clock_mhz: int
    memory_total_mib: int
    memory_used_mib: int
    throttle_reasons: int

    @property
    def memory_free_mib(self) -> int:
        return self.memory_total_mib - self.memory_used_mib

    @property
    def throttled(self) -> bool:
        return bool(self.throttle_reasons & THROTTLE_REASON_HW_THERMAL_SLOWDOWN)


class SimulatedGpu:
    """One GPU: load inputs, fault state and the thermal state variable."""

    def __init__(self, index: int, uuid: str, spec: GpuSpec, thermal: ThermalConfig) -> None:
        self.index = index
        self.uuid = uuid
        self.spec = spec
        self.thermal = thermal
        self.faults = GpuFaults()
        self.utilization_pct = 0.0
        self.workload_memory_mib = 0
        self.temperature_c = self.equilibrium_c(self.power_w_at(1.0))

    def set_load(self, utilization_pct: float, memory_mib: int | None = None) -> None:
        """Set utilisation (0-100) and the workload's framebuffer use in MiB.

        Without ``memory_mib`` the workload uses ``utilization/200`` of the framebuffer.
        """
        if math.isnan(utilization_pct) or not 0 <= utilization_pct <= MAX_UTILIZATION:
            raise ConfigError("utilization must be in [0, 100]")
        if memory_mib is None:
            memory_mib = round(self.usable_memory_mib * utilization_pct / 200)
        if not 0 <= memory_mib <= self.usable_memory_mib:
            raise ConfigError(f"memory_used_mib must be in [0, {self.usable_memory_mib}]")
        self.utilization_pct = float(utilization_pct)
        self.workload_memory_mib = memory_mib

    @property
    def usable_memory_mib(self) -> int:
        return self.spec.memory_total_mib - self.spec.reserved_memory_mib

    def clock_fraction_at(self, temperature_c: float) -> float:
        """Clock scale: 1 below the slowdown limit, linearly lower above it."""
        excess = temperature_c - self.thermal.slowdown_c
        if excess <= 0:
            return 1.0
        fraction = 1.0 - excess * self.thermal.throttle_gain_per_c
        return max(self.thermal.min_clock_fraction, fraction)

    def power_w_at(self, clock_fraction: float) -> float:
        """Board power: static floor plus (idle + load) dynamic power scaled by clocks."""
        spec = self.spec
        dynamic = (spec.idle_w - spec.floor_w) + (spec.tdp_w - spec.idle_w) * (self.utilization_pct / 100)
        return spec.floor_w + dynamic * clock_fraction

    def equilibrium_c(self, power_w: float) -> float:
        """Temperature the GPU settles at for a constant ``power_w``."""
        cooling = self.faults.cooling_factor
        return self.thermal.ambient_c + self.thermal.k_c_per_w * power_w * cooling

    def current_equilibrium_c(self) -> float:
        """Equilibrium for the current load and clocks (ignores future throttling)."""
        return self.equilibrium_c(self.power_w_at(self.clock_fraction_at(self.temperature_c)))

    def step(self, seconds: float) -> None:
        """Advance the thermal state by ``seconds`` of simulated time."""
        if seconds < 0 or math.isnan(seconds):
            raise ConfigError("cannot step by a negative or NaN time")
        remaining = seconds
        while remaining > 0:
            h = min(remaining, self.thermal.max_step_s)
            target = self.current_equilibrium_c()
            decay = math.exp(-h / self.thermal.tau_s)
            self.temperature_c = target + (self.temperature_c - target) * decay
            remaining -= h

    def memory_used_mib(self) -> int:
        total = self.spec.memory_total_mib
        if self.faults.fb_exhausted:
            return max(0, total - self.faults.fb_free_mib)
        return min(total, self.spec.reserved_memory_mib + self.workload_memory_mib)

    def telemetry(self) -> GpuTelemetry:
        fraction = self.clock_fraction_at(self.temperature_c)
        reasons = THROTTLE_REASON_NONE
        if self.utilization_pct == 0:
            reasons |= THROTTLE_REASON_GPU_IDLE
        if fraction < 1.0:
            reasons |= THROTTLE_REASON_HW_THERMAL_SLOWDOWN
        return GpuTelemetry(
            index=self.index,
            temperature_c=self.temperature_c,
            utilization_pct=self.utilization_pct,
            power_w=self.power_w_at(fraction),
            clock_fraction=fraction,
            sm_clock_mhz=round(self.spec.max_sm_clock_mhz * fraction),
            memory_total_mib=self.spec.memory_total_mib,
            memory_used_mib=self.memory_used_mib(),
            throttle_reasons=reasons,
        )
