"""Bugsink's start in a run (python3 start.py inside the bugsink image): migrate both SQLite databases, create
the API token, the team and the project with the keys the harness chose (so it knows the DSN and the token
before the server is up), the project's new-issue alert to the harness's receiver, then exec gunicorn.

Environment: SECRET_KEY, BUGSINK_BASE_URL, BUGSINK_TOKEN (40 hex), BUGSINK_PROJECT (name),
BUGSINK_PROJECT_KEY (32 hex: the DSN's public key), BUGSINK_ALERT_WEBHOOK (a URL; empty: no alert),
BUGSINK_PORT, BUGSINK_ADMIN_PASSWORD (the web UI's user ``admin``; unset: none)."""

import json
import os
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bugsink_conf")

import django

django.setup()

from django.core.management import call_command  # noqa: E402


def main() -> None:
    os.makedirs(os.environ.get("BUGSINK_DATA_DIR", "/data"), exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    call_command("migrate", "snappea", database="snappea", interactive=False, verbosity=0)
    from alerts.models import MessagingServiceConfig
    from bsmain.models import AuthToken
    from projects.models import Project
    from teams.models import Team

    if not AuthToken.objects.filter(token=os.environ["BUGSINK_TOKEN"]).exists():  # every capability, no user
        AuthToken.create_full_access(token=os.environ["BUGSINK_TOKEN"], description="obsdrill")
    from django.contrib.auth import get_user_model

    users = get_user_model()
    if os.environ.get("BUGSINK_ADMIN_PASSWORD") and not users.objects.filter(username="admin").exists():
        users.objects.create_superuser("admin", "admin@recoloca.ai", os.environ["BUGSINK_ADMIN_PASSWORD"])
    team, _ = Team.objects.get_or_create(name="recoloca")
    project, _ = Project.objects.get_or_create(
        team=team, name=os.environ.get("BUGSINK_PROJECT", "recoloca"),
        defaults={"sentry_key": uuid.UUID(os.environ["BUGSINK_PROJECT_KEY"])})
    webhook = os.environ.get("BUGSINK_ALERT_WEBHOOK", "")
    if webhook and not MessagingServiceConfig.objects.filter(project=project).exists():
        MessagingServiceConfig.objects.create(project=project, display_name="obsdrill receiver", kind="custom",
                                              config=json.dumps({"webhook_url": webhook}))
    print(json.dumps({"message": "bugsink configured", "project": project.id, "dsn": project.dsn,
                      "alert_webhook": webhook}), flush=True)
    port = os.environ.get("BUGSINK_PORT", "8000")
    os.execvp(sys.executable, [sys.executable, "-m", "gunicorn", "--no-control-socket", "--bind", f"0.0.0.0:{port}",
                               "--workers", "2", "--access-logfile", "-", "--error-logfile", "-",
                               "--chdir", os.path.dirname(os.path.abspath(__file__)), "bugsink.wsgi"])


if __name__ == "__main__":
    main()
