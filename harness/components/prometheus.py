"""Prometheus: rendered config mounted read-only, TSDB on a size-limited tmpfs."""

from __future__ import annotations

from dataclasses import replace

from harness.components.spec import ContainerSpec, Mount, Readiness, RunContext, Tmpfs, container

ALIAS = "prometheus"
CONFIG_DIR = "/etc/obsdrill/prometheus"
PORT = 9090


def prometheus(image: str, run: RunContext) -> ContainerSpec:
    hint = "a config error shows as 'error loading config' above; check reports/runs/<run-id>/prometheus/"
    return replace(
        container(run, ALIAS, image, Readiness(PORT, ("/-/ready",), hint)),
        command=(f"--config.file={CONFIG_DIR}/prometheus.yml", "--storage.tsdb.path=/prometheus",
                 f"--web.listen-address=0.0.0.0:{PORT}", "--web.enable-lifecycle",
                 "--storage.tsdb.retention.time=1d"),
        ports=(PORT,),
        mounts=(Mount(run.run_dir / ALIAS, CONFIG_DIR, "ro"),),
        tmpfs=(Tmpfs("/prometheus", "512m"),),
    )
