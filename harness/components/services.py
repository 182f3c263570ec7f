"""The synthetic services, the GPU simulator and the notification sink, all from the local `services` image
(entrypoint ``python3 -m``: each container names its module)."""

from __future__ import annotations

from pathlib import Path

import synthetic_services.envvars as service_env
from harness.components.base import ObsContainer, RunContext

LOG_DIR = "/var/log/app"
DATA_DIR = "/data"


class ServiceContainer(ObsContainer):
    """One synthetic service on port 8000: JSON logs to the run's log dir, spans to the collector."""

    ready_path = "/health"
    ready_port = 8000
    hint = "a service that exits at once shows a Python traceback above"

    def __init__(self, image: str, run: RunContext, service: str) -> None:
        self.alias = service
        super().__init__(image, run)
        self.with_loopback_port(self.ready_port)
        self.with_command(["synthetic_services", service, "--host", "0.0.0.0", "--port", str(self.ready_port),
                           "--log-file", f"{LOG_DIR}/{service}.log"])
        self.with_volume_mapping(str(run.log_dir), LOG_DIR, "rw")

    def with_tracing(self, otlp_endpoint: str, sampling: float) -> ServiceContainer:
        self.with_env(service_env.OTLP_ENDPOINT, otlp_endpoint)
        self.with_env(service_env.TRACES_SAMPLER_ARG, f"{sampling:g}")
        return self

    def with_data_volume(self, host_dir: Path | None) -> ServiceContainer:
        """``/data``: the run's size-limited ext4 volume when there is one, else a 64 MiB tmpfs."""
        if host_dir is None:
            self.with_tmpfs(DATA_DIR, "64m", "0777")
        else:
            self.with_volume_mapping(str(host_dir), DATA_DIR, "rw")
        return self


class GpuSimContainer(ObsContainer):
    """Simulated NVIDIA GPUs with a DCGM-exporter compatible /metrics; physics sped up by 1/time factor."""

    alias = "gpu-sim"
    ready_path = "/healthz"
    ready_port = 9400
    hint = "gpu_sim prints its backend choice (simulator or real NVML) in the first line above"

    def __init__(self, image: str, run: RunContext, gpus: int = 2, time_scale: float = 1.0) -> None:
        super().__init__(image, run)
        self.with_loopback_port(self.ready_port)
        self.with_command(["gpu_sim", "--bind", "0.0.0.0", "--port", str(self.ready_port), "--gpus", str(gpus),
                           "--mode", "auto", "--time-scale", f"{time_scale:g}", "--hostname", "gpu-node-1"])


class SinkContainer(ObsContainer):
    alias = "sink"
    ready_path = "/health"
    ready_port = 8080
    hint = "the sink runs aiosmtpd on 1025 and HTTP on 8080 inside the run network"

    def __init__(self, image: str, run: RunContext) -> None:
        super().__init__(image, run)
        self.with_loopback_port(8080)
        self.with_command(["synthetic_services", "sink", "--host", "0.0.0.0", "--port", "8080",
                           "--smtp-port", "1025"])
