"""Exception hierarchy for gpu_sim.

Every error raised on purpose by this package derives from :class:`GpuSimError`.
:class:`NvmlError` mirrors ``pynvml.NVMLError``: it carries the NVML return code
in ``value`` so code written against pynvml can handle both the same way.
"""

from __future__ import annotations

from typing import ClassVar

NVML_SUCCESS = 0
NVML_ERROR_UNINITIALIZED = 1
NVML_ERROR_INVALID_ARGUMENT = 2
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_NOT_FOUND = 6
NVML_ERROR_TIMEOUT = 10
NVML_ERROR_LIBRARY_NOT_FOUND = 12
NVML_ERROR_GPU_IS_LOST = 15

_NVML_MESSAGES: dict[int, str] = {
    NVML_ERROR_UNINITIALIZED: "Uninitialized",
    NVML_ERROR_INVALID_ARGUMENT: "Invalid Argument",
    NVML_ERROR_NOT_SUPPORTED: "Not Supported",
    NVML_ERROR_NOT_FOUND: "Not Found",
    NVML_ERROR_TIMEOUT: "Timeout",
    NVML_ERROR_LIBRARY_NOT_FOUND: "NVML Shared Library Not Found",
    NVML_ERROR_GPU_IS_LOST: "GPU is lost",
}


class GpuSimError(Exception):
    """Base class of every gpu_sim error."""


class ConfigError(GpuSimError, ValueError):
    """A configuration value or request parameter is invalid."""


class NvmlError(GpuSimError):
    """NVML-style error with a numeric return code, like ``pynvml.NVMLError``."""

    def __init__(self, value: int, detail: str = "") -> None:
        self.value = value
        message = _NVML_MESSAGES.get(value, f"NVML Error with code {value}")
        super().__init__(f"{message}: {detail}" if detail else message)


class GpuLostError(NvmlError):
    """The GPU fell off the bus (``NVML_ERROR_GPU_IS_LOST``)."""

    def __init__(self, index: int) -> None:
        self.index = index
        super().__init__(NVML_ERROR_GPU_IS_LOST, f"gpu {index}")


class GpuReadError(GpuSimError):
    """Reading a device failed for a reason other than the GPU being lost."""


class FaultError(GpuSimError, ValueError):
    """A fault request is invalid (unknown fault, bad GPU index, bad parameter)."""


class FaultsUnsupportedError(GpuSimError):
    """Faults can only be injected into simulated GPUs, never into real ones."""

    reason: ClassVar[str] = (
        "faults are refused in real mode: gpu_sim cannot overheat, lose or corrupt a real GPU;"
        " run with --mode sim to inject faults"
    )

    def __init__(self) -> None:
        super().__init__(self.reason)


class BackendUnavailableError(GpuSimError):
    """The requested backend (real NVML) cannot be used on this machine."""
