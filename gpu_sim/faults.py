"""Fault definitions and per-GPU fault state for the simulator.

Each fault can be switched on and off independently and reports its state, with the ``progress`` field
every obsdrill fault declares (docs/platform.md): a GPU fault is fully applied the moment it is switched on.

* ``overheat``       cooling loss / fan failure: multiplies the thermal resistance
                     (``cooling_factor``) so the equilibrium passes 85 °C even idle.
* ``xid``            an XID error event: increments the XID counter and records the
                     code (default 79, "GPU has fallen off the bus"; 48 is a DBE ECC).
                     Every switch-on is a new event; switching off resets the last
                     code to 0 but keeps the cumulative counter.
* ``fb_exhaustion``  framebuffer exhaustion: used memory goes to total - ``free_mib``.
* ``gpu_lost``       the GPU falls off the bus: NVML device calls raise
                     ``NVML_ERROR_GPU_IS_LOST``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from gpu_sim.errors import FaultError

DEFAULT_COOLING_FACTOR = 12.0
DEFAULT_XID_CODE = 79
DEFAULT_FB_FREE_MIB = 32
MAX_COOLING_FACTOR = 100.0
MAX_XID_CODE = 65535


class FaultName(StrEnum):
    """Names of the injectable faults (also the admin API path segment)."""

    OVERHEAT = "overheat"
    XID = "xid"
    FB_EXHAUSTION = "fb_exhaustion"
    GPU_LOST = "gpu_lost"

    @classmethod
    def parse(cls, text: str | FaultName) -> FaultName:
        """Return the fault called ``text`` or raise :class:`FaultError`."""
        if isinstance(text, FaultName):
            return text
        try:
            return cls(text)
        except ValueError:
            known = ", ".join(member.value for member in cls)
            raise FaultError(f"unknown fault {text!r}; known faults: {known}") from None


# The parameters each fault takes besides the target "gpu" (which the admin API pops first).
ALLOWED_PARAMS: dict[FaultName, frozenset[str]] = {
    FaultName.OVERHEAT: frozenset({"cooling_factor"}),
    FaultName.XID: frozenset({"code"}),
    FaultName.FB_EXHAUSTION: frozenset({"free_mib"}),
    FaultName.GPU_LOST: frozenset(),
}


def progress(reached: bool) -> dict[str, object]:
    """The declared ``progress`` of a fault state (the shape synthetic_services' faults report too)."""
    return {"reached": reached, "stopped": "", "value": None, "target": None, "unit": ""}


def _number(params: Mapping[str, object], key: str, default: float) -> float:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FaultError(f"parameter {key!r} must be a number, got {value!r}")
    return float(value)


def _integer(params: Mapping[str, object], key: str, default: int) -> int:
    value = params.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise FaultError(f"parameter {key!r} must be an integer, got {value!r}")
    return value


def check_params(name: FaultName, params: Mapping[str, object]) -> None:
    """Reject parameters that ``name`` does not take."""
    unknown = sorted(set(params) - ALLOWED_PARAMS[name])
    if unknown:
        allowed = ", ".join(sorted(ALLOWED_PARAMS[name])) or "none"
        raise FaultError(
            f"unknown parameter(s) {', '.join(unknown)} for fault {name.value}; allowed: {allowed}"
        )


@dataclass
class GpuFaults:
    """Mutable fault state of one simulated GPU (guarded by the simulator's lock)."""

    overheat: bool = False
    cooling_factor: float = 1.0
    xid_active: bool = False
    xid_count: int = 0
    xid_last: int = 0
    fb_exhausted: bool = False
    fb_free_mib: int = DEFAULT_FB_FREE_MIB
    lost: bool = False

    def enable(self, name: FaultName, params: Mapping[str, object]) -> None:
        """Switch ``name`` on with validated ``params``."""
        check_params(name, params)
        if name is FaultName.OVERHEAT:
            factor = _number(params, "cooling_factor", DEFAULT_COOLING_FACTOR)
            if not 1.0 <= factor <= MAX_COOLING_FACTOR:
                raise FaultError(f"cooling_factor must be in [1, {MAX_COOLING_FACTOR:g}]")
            self.overheat, self.cooling_factor = True, factor
        elif name is FaultName.XID:
            code = _integer(params, "code", DEFAULT_XID_CODE)
            if not 1 <= code <= MAX_XID_CODE:
                raise FaultError(f"XID code must be in [1, {MAX_XID_CODE}]")
            self.xid_active, self.xid_last = True, code
            self.xid_count += 1
        elif name is FaultName.FB_EXHAUSTION:
            free = _integer(params, "free_mib", DEFAULT_FB_FREE_MIB)
            if free < 0:
                raise FaultError("free_mib must be >= 0")
            self.fb_exhausted, self.fb_free_mib = True, free
        else:
            self.lost = True

    def disable(self, name: FaultName) -> None:
        """Switch ``name`` off (the XID counter is cumulative and is kept)."""
        if name is FaultName.OVERHEAT:
            self.overheat, self.cooling_factor = False, 1.0
        elif name is FaultName.XID:
            self.xid_active, self.xid_last = False, 0
        elif name is FaultName.FB_EXHAUSTION:
            self.fb_exhausted, self.fb_free_mib = False, DEFAULT_FB_FREE_MIB
        else:
            self.lost = False

    def clear(self) -> None:
        """Switch every fault off."""
        for name in FaultName:
            self.disable(name)

    def is_active(self, name: FaultName) -> bool:
        return {
            FaultName.OVERHEAT: self.overheat,
            FaultName.XID: self.xid_active,
            FaultName.FB_EXHAUSTION: self.fb_exhausted,
            FaultName.GPU_LOST: self.lost,
        }[name]

    def active(self) -> list[FaultName]:
        return [name for name in FaultName if self.is_active(name)]

    def as_dict(self) -> dict[str, dict[str, object]]:
        """JSON-ready state of every fault, each with its ``progress``."""
        state: dict[str, dict[str, object]] = {
            FaultName.OVERHEAT.value: {
                "active": self.overheat,
                "cooling_factor": self.cooling_factor,
            },
            FaultName.XID.value: {
                "active": self.xid_active,
                "count": self.xid_count,
                "last_code": self.xid_last,
            },
            FaultName.FB_EXHAUSTION.value: {
                "active": self.fb_exhausted,
                "free_mib": self.fb_free_mib if self.fb_exhausted else None,
            },
            FaultName.GPU_LOST.value: {"active": self.lost},
        }
        return {name: {**fields, "progress": progress(bool(fields["active"]))} for name, fields in state.items()}
