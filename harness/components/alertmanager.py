"""Alertmanager: rendered config (receivers pointed at the sink), no clustering."""

from __future__ import annotations

from harness.components.base import ObsContainer, RunContext

CONFIG_DIR = "/etc/obsdrill/alertmanager"


class AlertmanagerContainer(ObsContainer):
    alias = "alertmanager"
    ready_path = "/-/ready"
    ready_port = 9093
    hint = "a config error shows as 'Loading configuration file failed' above"

    def __init__(self, image: str, run: RunContext) -> None:
        super().__init__(image, run)
        self.with_loopback_port(9093)
        self.with_volume_mapping(str(run.run_dir / "alertmanager"), CONFIG_DIR, "ro")
        self.with_tmpfs("/alertmanager", "64m")
        self.with_command([
            f"--config.file={CONFIG_DIR}/alertmanager.yml", "--storage.path=/alertmanager",
            "--web.listen-address=0.0.0.0:9093", "--cluster.listen-address=",
        ])
