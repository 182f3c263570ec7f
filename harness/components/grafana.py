"""Grafana: the run's copy of stack/grafana/ (staged to ``run_dir/grafana`` with base.stage_config) mounted
read-only, provisioning data sources (Prometheus, Elasticsearch, Jaeger) and the Recoloca.ai dashboards; data
dir (SQLite) on a size-limited tmpfs; anonymous Viewer access; nothing ever dialled outside the run."""

from __future__ import annotations

import requests

from harness.components.base import ObsContainer, RunContext

PORT = 3000
PROVISIONING_DIR = "/etc/grafana/provisioning"  # <- run_dir/grafana/provisioning
DASHBOARDS_DIR = "/etc/grafana/dashboards"  # <- run_dir/grafana/dashboards (the provider's options.path)
DATA_DIR = "/var/lib/grafana"
ADMIN_USER = "admin"
OVERVIEW_UID = "recoloca-overview"


def grafana_env(admin_password: str) -> dict[str, str]:
    """The container's environment: provisioning path, admin and anonymous access, and every switch that
    would make Grafana call out (usage reporting, update checks, plugin preinstall, news feed) turned off."""
    return {
        "GF_PATHS_PROVISIONING": PROVISIONING_DIR,
        "GF_PATHS_DATA": DATA_DIR,
        "GF_SERVER_HTTP_PORT": str(PORT),
        "GF_SECURITY_ADMIN_USER": ADMIN_USER,
        "GF_SECURITY_ADMIN_PASSWORD": admin_password,
        "GF_AUTH_ANONYMOUS_ENABLED": "true",
        "GF_AUTH_ANONYMOUS_ORG_ROLE": "Viewer",
        "GF_ANALYTICS_REPORTING_ENABLED": "false",
        "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
        "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES": "false",
        "GF_PLUGINS_PREINSTALL_DISABLED": "true",
        "GF_NEWS_NEWS_FEED_ENABLED": "false",
        "GF_SNAPSHOTS_EXTERNAL_ENABLED": "false",
    }


class GrafanaContainer(ObsContainer):
    """Ready when ``/api/health`` answers 200 and, if ``expect_dashboard`` is set, that dashboard has been
    provisioned (Grafana provisions dashboards in the background after its HTTP server is up)."""

    alias = "grafana"
    ready_path = "/api/health"
    ready_port = PORT
    hint = ("a provisioning error names the file above (look for 'provisioning' or 'datasource'); "
            "check reports/runs/<run-id>/grafana/")

    def __init__(self, image: str, run: RunContext, admin_password: str,
                 expect_dashboard: str | None = OVERVIEW_UID) -> None:
        super().__init__(image, run)
        self.admin_password = admin_password
        self.expect_dashboard = expect_dashboard
        staged = run.run_dir / "grafana"
        self.with_loopback_port(PORT)
        self.with_volume_mapping(str(staged / "provisioning"), PROVISIONING_DIR, "ro")
        self.with_volume_mapping(str(staged / "dashboards"), DASHBOARDS_DIR, "ro")
        self.with_tmpfs(DATA_DIR, "256m")
        for key, value in grafana_env(admin_password).items():
            self.with_env(key, value)

    def is_ready(self) -> bool:
        if not super().is_ready():
            return False
        if not self.expect_dashboard:
            return True
        response = requests.get(f"{self.url()}/api/dashboards/uid/{self.expect_dashboard}",
                                auth=(ADMIN_USER, self.admin_password), timeout=2)
        return response.status_code == 200
