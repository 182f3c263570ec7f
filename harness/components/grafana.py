"""Grafana: the run's copy of stack/grafana/ (staged to ``run_dir/grafana`` by topology.prepare_run_dir)
mounted read-only, provisioning data sources (Prometheus, Elasticsearch, Jaeger) and the Recoloca.ai
dashboards; data dir (SQLite) on a size-limited tmpfs; anonymous Viewer access; nothing ever dialled outside
the run."""

from __future__ import annotations

from dataclasses import replace

from harness.components.spec import ContainerSpec, Mount, Readiness, RunContext, Tmpfs, container

ALIAS = "grafana"
PORT = 3000
PROVISIONING_DIR = "/etc/grafana/provisioning"  # <- run_dir/grafana/provisioning
DASHBOARDS_DIR = "/etc/grafana/dashboards"  # <- run_dir/grafana/dashboards (the provider's options.path)
DATA_DIR = "/var/lib/grafana"
ADMIN_USER = "admin"
OVERVIEW_UID = "recoloca-overview"
HINT = ("a provisioning error names the file above (look for 'provisioning' or 'datasource'); "
        "check reports/runs/<run-id>/grafana/")


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


def grafana(image: str, run: RunContext, admin_password: str, expect_dashboard: str | None = OVERVIEW_UID
            ) -> ContainerSpec:
    """Ready when ``/api/health`` answers 200 and, if ``expect_dashboard`` is set, that dashboard has been
    provisioned (Grafana provisions dashboards in the background after its HTTP server is up)."""
    paths = ("/api/health", *([f"/api/dashboards/uid/{expect_dashboard}"] if expect_dashboard else []))
    staged = run.run_dir / ALIAS
    return replace(
        container(run, ALIAS, image, Readiness(PORT, paths, HINT, auth=(ADMIN_USER, admin_password))),
        env=tuple(grafana_env(admin_password).items()),
        ports=(PORT,),
        mounts=(Mount(staged / "provisioning", PROVISIONING_DIR, "ro"),
                Mount(staged / "dashboards", DASHBOARDS_DIR, "ro")),
        tmpfs=(Tmpfs(DATA_DIR, "256m"),),
    )
