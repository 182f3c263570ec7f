"""The data tier on the real stack: a registration is a row in PostgreSQL and a login a session in Redis;
the pool's held connections are PostgreSQL sessions (pg_stat_activity, and postgres_exporter's count of it,
beside database_connections_active); PostgreSQL stopped makes the backend answer 503 (the gateway 502) and
the exporter report it, and once it is started again (empty) the backend recreates its tables and serves."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg2
import pytest
import redis

from harness.assertions.wait import eventually
from harness.bounds import Bound
from harness.facade import Obsdrill
from tests.integration.helpers import send

pytestmark = pytest.mark.stack


def _address(obsdrill: Obsdrill, component: str) -> tuple[str, int]:
    host, port = obsdrill.stack.url(component).removeprefix("http://").rsplit(":", 1)
    return host, int(port)


@contextmanager
def _database(obsdrill: Obsdrill) -> Iterator[Any]:
    host, port = _address(obsdrill, "postgres")
    conn = psycopg2.connect(host=host, port=port, user="postgres", dbname="recoloca", connect_timeout=5)
    conn.autocommit = True
    try:
        yield conn.cursor()
    finally:
        conn.close()


def _backend_sessions(obsdrill: Obsdrill) -> int:
    with _database(obsdrill) as cur:
        cur.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'backend'")
        return int(cur.fetchone()[0])


def test_a_registration_is_a_row_and_a_login_a_session(obsdrill: Obsdrill) -> None:
    user = f"user-{uuid.uuid4().hex[:10]}"
    assert send(obsdrill, "gateway", "POST", "/api/auth/register", {"user_id": user}).status == 201
    login = send(obsdrill, "gateway", "POST", "/api/auth/login", {"user_id": user})
    assert login.status == 200, login.body
    with _database(obsdrill) as cur:
        cur.execute("SELECT id, last_login IS NOT NULL FROM users WHERE id = %s", (user,))
        assert cur.fetchall() == [(user, True)]
    host, port = _address(obsdrill, "redis")
    assert redis.Redis(host=host, port=port, decode_responses=True).get(f"session:{login.body['token']}") == user
    obsdrill.expect_query('database_queries_total{service="backend", operation="insert"} > 0')
    obsdrill.expect_query('redis_operations_total{operation="set", status="success"} > 0')
    obsdrill.expect_query("pg_up == 1")
    obsdrill.expect_query("redis_up == 1")


def test_held_pool_connections_are_postgres_sessions(obsdrill: Obsdrill) -> None:
    assert _backend_sessions(obsdrill) < 40
    obsdrill.service("backend").set_fault("db_pool_saturation", {"held": 40})
    try:
        assert _backend_sessions(obsdrill) >= 40
        obsdrill.expect_query('database_connections_active{service="backend"} >= 40')
        obsdrill.expect_query('sum(pg_stat_activity_count{datname="recoloca"}) >= 40')
    finally:
        obsdrill.service("backend").clear_fault()
    eventually(lambda: _backend_sessions(obsdrill) < 40 or None, Bound.of(30), "held sessions closed")


def test_postgres_stopped_answers_503_and_the_backend_recovers(obsdrill: Obsdrill) -> None:
    obsdrill.stack.stack_fault("postgres", "stop", {})
    try:
        # a pooled session fails its query ("database: query failed ...", and the pool drops its idle ones),
        # a new one cannot connect ("database: cannot connect ...")
        answer = send(obsdrill, "backend", "GET", "/api/status")
        assert answer.status == 503 and str(answer.body.get("error", "")).startswith("database: "), answer.body
        relayed = send(obsdrill, "gateway", "GET", "/api/status")  # the gateway: a downstream failure
        assert (relayed.status, relayed.body.get("reason")) == (502, "answered 503"), relayed.body
        obsdrill.expect_query("pg_up == 0 or pg_exporter_last_scrape_error == 1", within=30)
    finally:
        obsdrill.stack.clear_stack_fault("postgres", "stop")
    user = f"user-{uuid.uuid4().hex[:10]}"
    eventually(lambda: send(obsdrill, "gateway", "POST", "/api/auth/register", {"user_id": user}).status == 201
               or None, Bound.of(30), "a registration succeeds on the restarted (empty) database")
    with _database(obsdrill) as cur:
        cur.execute("SELECT count(*) FROM users WHERE id = %s", (user,))
        assert cur.fetchone()[0] == 1
