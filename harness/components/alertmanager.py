"""Alertmanager: rendered config (receivers pointed at the sink), no clustering."""

from __future__ import annotations

from dataclasses import replace

from harness.components.spec import ContainerSpec, Mount, Readiness, RunContext, Tmpfs, container

ALIAS = "alertmanager"
CONFIG_DIR = "/etc/obsdrill/alertmanager"
PORT = 9093


def alertmanager(image: str, run: RunContext) -> ContainerSpec:
    ready = Readiness(PORT, ("/-/ready",), "a config error shows as 'Loading configuration file failed' above")
    return replace(
        container(run, ALIAS, image, ready),
        command=(f"--config.file={CONFIG_DIR}/alertmanager.yml", "--storage.path=/alertmanager",
                 f"--web.listen-address=0.0.0.0:{PORT}", "--cluster.listen-address="),
        ports=(PORT,),
        mounts=(Mount(run.run_dir / ALIAS, CONFIG_DIR, "ro"),),
        tmpfs=(Tmpfs("/alertmanager", "64m"),),
    )
