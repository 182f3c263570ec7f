"""gpu_sim: simulated NVIDIA GPUs behind an NVML-shaped API and a DCGM-style exporter.

Importing this package has no side effects: nothing is started, bound or read.
Run ``python -m gpu_sim --help`` for the server.
"""

from gpu_sim.backend import (
    FaultControl,
    GpuBackend,
    GpuIdentity,
    GpuSample,
    RealBackend,
    SimBackend,
    open_real_backend,
    select_backend,
)
from gpu_sim.errors import (
    BackendUnavailableError,
    ConfigError,
    FaultError,
    FaultsUnsupportedError,
    GpuLostError,
    GpuReadError,
    GpuSimError,
    NvmlError,
)
from gpu_sim.exporter import DcgmCollector, build_registry, render_metrics
from gpu_sim.faults import FaultName
from gpu_sim.model import GpuSpec, GpuTelemetry, SimulatedGpu, ThermalConfig
from gpu_sim.nvml import NvmlApi, SimNvml
from gpu_sim.server import AdminApp, ExporterServer
from gpu_sim.simulator import GpuSimulator, RealTimeDriver, SimConfig

__all__ = [
    "AdminApp",
    "BackendUnavailableError",
    "ConfigError",
    "DcgmCollector",
    "ExporterServer",
    "FaultControl",
    "FaultError",
    "FaultName",
    "FaultsUnsupportedError",
    "GpuBackend",
    "GpuIdentity",
    "GpuLostError",
    "GpuReadError",
    "GpuSample",
    "GpuSimError",
    "GpuSimulator",
    "GpuSpec",
    "GpuTelemetry",
    "NvmlApi",
    "NvmlError",
    "RealBackend",
    "RealTimeDriver",
    "SimBackend",
    "SimConfig",
    "SimNvml",
    "SimulatedGpu",
    "ThermalConfig",
    "build_registry",
    "open_real_backend",
    "render_metrics",
    "select_backend",
]
