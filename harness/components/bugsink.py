"""Bugsink, the run's error tracker (Sentry's protocol): the run's copy of stack/bugsink/ (settings and start
script) mounted read-only, SQLite on a tmpfs. The harness picks the API token and the project's DSN key, so
every service gets its DSN at start and the assertions read the API with the token (harness/clients/bugsink.py);
the project's new-issue alert posts to the sink."""

from __future__ import annotations

from dataclasses import dataclass, replace

from harness.components.spec import ContainerSpec, Mount, Readiness, RunContext, Tmpfs, container

ALIAS = "bugsink"
PORT = 8000
CONFIG_DIR = "/etc/bugsink"  # <- run_dir/bugsink
PROJECT = "recoloca"
PROJECT_ID = 1  # the run's only project, created first on an empty database
ADMIN_PASSWORD = "obsdrill"  # the web UI's user admin: a throwaway server on 127.0.0.1
HINT = "start.py prints 'bugsink configured' before gunicorn starts; a Django traceback above names the setting"


@dataclass(frozen=True)
class ErrorTracking:
    """What the run's services and assertions need to know of its Bugsink."""

    token: str  # 40 hex: the API's bearer token
    key: str  # 32 hex: the DSN's public key

    @property
    def dsn(self) -> str:
        return f"http://{self.key}@{ALIAS}:{PORT}/{PROJECT_ID}"

    @staticmethod
    def environment(run_id: str) -> str:
        """The environment every service of the run reports its exceptions under (SENTRY_ENVIRONMENT)."""
        return f"obsdrill-{run_id}"

    @classmethod
    def for_run(cls, run_id: str) -> ErrorTracking:
        """Keys derived from the run id: unguessable outside the run is not needed on a throwaway stack."""
        import hashlib

        digest = hashlib.sha256(f"obsdrill-bugsink-{run_id}".encode()).hexdigest()
        return cls(token=digest[:40], key=digest[40:] + digest[:8])


def bugsink(image: str, run: RunContext, tracking: ErrorTracking, alert_webhook: str) -> ContainerSpec:
    env = {"SECRET_KEY": tracking.token + tracking.key, "BUGSINK_BASE_URL": f"http://{ALIAS}:{PORT}",
           "BUGSINK_TOKEN": tracking.token, "BUGSINK_PROJECT": PROJECT, "BUGSINK_PROJECT_KEY": tracking.key,
           "BUGSINK_ALERT_WEBHOOK": alert_webhook, "BUGSINK_PORT": str(PORT), "BUGSINK_DATA_DIR": "/data",
           "BUGSINK_ADMIN_PASSWORD": ADMIN_PASSWORD}
    return replace(
        container(run, ALIAS, image, Readiness(PORT, ("/health/ready",), HINT)),
        env=tuple(env.items()),
        ports=(PORT,),
        mounts=(Mount(run.run_dir / ALIAS, CONFIG_DIR, "ro"),),
        tmpfs=(Tmpfs("/data", "256m", "0777"),),
    )
