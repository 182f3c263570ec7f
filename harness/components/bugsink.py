"""Bugsink, the run's error tracker (Sentry's protocol): the run's copy of stack/bugsink/ (settings and start
script) mounted read-only, SQLite on a tmpfs. The harness picks the API token and the project's DSN key, so
every service gets its DSN at start and the assertions read the API with the token (harness/clients/bugsink.py);
the project's new-issue alert posts to the sink."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

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
        """The DSN in the run network (the services'): ``dsn_at`` of Bugsink's alias."""
        return self.dsn_at(f"http://{ALIAS}:{PORT}")

    def dsn_at(self, base_url: str) -> str:
        """The project's DSN at ``base_url`` (a browser on the host reaches Bugsink at its published port)."""
        url = urlsplit(base_url)
        return f"{url.scheme}://{self.key}@{url.netloc}/{PROJECT_ID}"

    def container_env(self, base_url: str, alert_webhook: str = "") -> dict[str, str]:
        """What stack/bugsink/start.py reads: the keys, the address clients use, the new-issue webhook."""
        return {"SECRET_KEY": self.token + self.key, "BUGSINK_BASE_URL": base_url, "BUGSINK_TOKEN": self.token,
                "BUGSINK_PROJECT": PROJECT, "BUGSINK_PROJECT_KEY": self.key, "BUGSINK_ALERT_WEBHOOK": alert_webhook,
                "BUGSINK_PORT": str(PORT), "BUGSINK_DATA_DIR": "/data", "BUGSINK_ADMIN_PASSWORD": ADMIN_PASSWORD}

    @staticmethod
    def environment(run_id: str) -> str:
        """The environment every service of the run reports its exceptions under (SENTRY_ENVIRONMENT)."""
        return f"obsdrill-{run_id}"

    @classmethod
    def for_run(cls, run_id: str) -> ErrorTracking:
        """Keys derived from the run id: unguessable outside the run is not needed on a throwaway stack."""
        digest = hashlib.sha256(f"obsdrill-bugsink-{run_id}".encode()).hexdigest()
        return cls(token=digest[:40], key=digest[40:] + digest[:8])


def bugsink(image: str, run: RunContext, tracking: ErrorTracking, alert_webhook: str) -> ContainerSpec:
    return replace(
        container(run, ALIAS, image, Readiness(PORT, ("/health/ready",), HINT)),
        env=tuple(tracking.container_env(f"http://{ALIAS}:{PORT}", alert_webhook).items()),
        ports=(PORT,),
        mounts=(Mount(run.run_dir / ALIAS, CONFIG_DIR, "ro"),),
        tmpfs=(Tmpfs("/data", "256m", "0777"),),
    )
