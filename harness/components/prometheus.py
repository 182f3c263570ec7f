"""Prometheus: rendered config mounted read-only, TSDB on a size-limited tmpfs."""

from __future__ import annotations

from harness.components.base import ObsContainer, RunContext

CONFIG_DIR = "/etc/obsdrill/prometheus"


class PrometheusContainer(ObsContainer):
    alias = "prometheus"
    ready_path = "/-/ready"
    ready_port = 9090
    hint = "a config error shows as 'error loading config' above; check reports/runs/<run-id>/prometheus/"

    def __init__(self, image: str, run: RunContext) -> None:
        super().__init__(image, run)
        self.with_loopback_port(9090)
        self.with_volume_mapping(str(run.run_dir / "prometheus"), CONFIG_DIR, "ro")
        self.with_tmpfs("/prometheus", "512m")
        self.with_command([
            f"--config.file={CONFIG_DIR}/prometheus.yml", "--storage.tsdb.path=/prometheus",
            "--web.listen-address=0.0.0.0:9090", "--web.enable-lifecycle",
            "--storage.tsdb.retention.time=1d",
        ])
