"""The services' database: the real pool (synthetic_services/pgpool.py) when DATABASE_URL is set, else the
in-process stand-in (synthetic_services/dbpool.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from synthetic_services.dbpool import POOL_SIZE, ConnectionPool
from synthetic_services.envvars import DATABASE_URL


def database(env: Mapping[str, str], schema: Sequence[str], application: str, size: int = POOL_SIZE) -> Any:
    """The pool a service's handlers run their queries on (one interface: connection, execute, set_held)."""
    if not env.get(DATABASE_URL):
        return ConnectionPool(size)
    from synthetic_services.pgpool import PgPool  # psycopg2 is in the services image, not needed for the stand-in

    return PgPool(env[DATABASE_URL], schema, size=size, application=application)
