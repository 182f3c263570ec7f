# Bugsink's Django settings for a run (the `local` template of `bugsink-create-conf`, made for a throwaway
# server in the run network): SQLite on the container's tmpfs, events digested inside the ingest request (no
# background worker), nothing dialled outside the run, quotas far above what a scenario sends (the defaults,
# 1000 events per 5 minutes, would drop a burst with 429), webhooks to the run network's private addresses
# allowed (the new-issue alert goes to the harness's receiver). Read by start.py and by gunicorn.
import os

from bugsink.settings.default import *  # noqa: F403
from bugsink.settings.default import DATABASES

DATA = os.environ.get("BUGSINK_DATA_DIR", "/data")
SECRET_KEY = os.environ["SECRET_KEY"]
TIME_ZONE = "UTC"
SNAPPEA = {"TASK_ALWAYS_EAGER": True}
EMAIL_BACKEND = "bugsink.email_backends.QuietConsoleEmailBackend"
DATABASES["default"]["NAME"] = f"{DATA}/db.sqlite3"
DATABASES["snappea"]["NAME"] = f"{DATA}/snappea.sqlite3"
BUGSINK = {  # the settings Bugsink reads (bugsink/app_settings.py); unset ones keep its defaults
    "BASE_URL": os.environ["BUGSINK_BASE_URL"],  # in every DSN and alert link: the address clients use
    "SINGLE_USER": True,
    "SINGLE_TEAM": True,
    "USER_REGISTRATION": "CB_NOBODY",
    "INGEST_STORE_BASE_DIR": f"{DATA}/ingestion",
    "PHONEHOME": False,
    "ALERTS_WEBHOOK_DENY_NON_GLOBAL": False,
    "MAX_EVENTS_PER_5_MINUTES": 1_000_000,
    "MAX_EVENTS_PER_PROJECT_PER_5_MINUTES": 1_000_000,
    "MAX_EVENTS_PER_HOUR": 10_000_000,
    "MAX_EVENTS_PER_PROJECT_PER_HOUR": 10_000_000,
}
