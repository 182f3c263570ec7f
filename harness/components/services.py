"""The synthetic services, the GPU simulator and the notification sink, all from the local `services` image
(entrypoint ``python3 -m``: each container names its module)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import synthetic_services.envvars as service_env
from harness.components.spec import LOG_DIR_MODE, ContainerSpec, Mount, Readiness, RunContext, Tmpfs, container
from synthetic_services.platform import DEFAULT_PORT, PORTS

LOG_DIR = "/var/log/app"
DATA_DIR = "/data"
GPU_SIM_ALIAS, GPU_SIM_PORT = "gpu-sim", 9400
SINK_ALIAS, SINK_PORT, SINK_SMTP_PORT = "sink", 8080, 1025


@dataclass(frozen=True)
class Tracing:
    """Where a service sends its spans (OTLP/HTTP) and which fraction of traces it samples."""

    otlp_endpoint: str
    sampling: float


def data_dir(host_dir: Path | None) -> Mount | Tmpfs:
    """``/data``: the run's size-limited ext4 volume (its host dir) when there is one, else a 64 MiB tmpfs."""
    return Tmpfs(DATA_DIR, "64m", "0777") if host_dir is None else Mount(host_dir, DATA_DIR, "rw")


def service(image: str, run: RunContext, name: str, tracing: Tracing | None = None,
            data: Mount | Tmpfs | None = None, stores: tuple[tuple[str, str], ...] = (),
            time_factor: float = 1.0) -> ContainerSpec:
    """One synthetic service on its port (8000; the frontend 3000): JSON logs to the run's log dir, spans to
    ``tracing``, ``data`` (see data_dir) where it has one, ``stores``: the env naming its database, cache and
    error tracker (DATABASE_URL, SENTRY_DSN, ...); ``time_factor`` scales the frontend page's flush intervals."""
    port = PORTS.get(name, DEFAULT_PORT)
    ready = Readiness(port, ("/health",), "a service that exits at once shows a Python traceback above")
    env = stores + (() if tracing is None else ((service_env.OTLP_ENDPOINT, tracing.otlp_endpoint),
                                                (service_env.TRACES_SAMPLER_ARG, f"{tracing.sampling:g}")))
    env += ((service_env.TIME_FACTOR, f"{time_factor:g}"),) if name == "frontend" else ()
    mounts = [Mount(run.log_dir, LOG_DIR, "rw", create=LOG_DIR_MODE)]
    if isinstance(data, Mount):
        mounts.append(data)
    return replace(
        container(run, name, image, ready),
        command=("synthetic_services", name, "--host", "0.0.0.0", "--port", str(port),
                 "--log-file", f"{LOG_DIR}/{name}.log"),
        env=env,
        ports=(port,),
        mounts=tuple(mounts),
        tmpfs=(data,) if isinstance(data, Tmpfs) else (),
    )


def gpu_sim(image: str, run: RunContext, gpus: int = 2, time_scale: float = 1.0) -> ContainerSpec:
    """Simulated NVIDIA GPUs with a DCGM-exporter compatible /metrics; physics sped up by ``time_scale``."""
    hint = "gpu_sim prints its backend choice (simulator or real NVML) in the first line above"
    return replace(
        container(run, GPU_SIM_ALIAS, image, Readiness(GPU_SIM_PORT, ("/healthz",), hint)),
        command=("gpu_sim", "--bind", "0.0.0.0", "--port", str(GPU_SIM_PORT), "--gpus", str(gpus),
                 "--mode", "auto", "--time-scale", f"{time_scale:g}", "--hostname", "gpu-node-1"),
        ports=(GPU_SIM_PORT,),
    )


def sink(image: str, run: RunContext) -> ContainerSpec:
    hint = "the sink runs aiosmtpd on 1025 and HTTP on 8080 inside the run network"
    return replace(
        container(run, SINK_ALIAS, image, Readiness(SINK_PORT, ("/health",), hint)),
        command=("synthetic_services", "sink", "--host", "0.0.0.0", "--port", str(SINK_PORT),
                 "--smtp-port", str(SINK_SMTP_PORT)),
        ports=(SINK_PORT,),
    )
