"""backend: the web/API backend (seed job recoloca-backend). Every routed request holds a database pool
connection while it runs (injected latency included): users and subscriptions live in PostgreSQL
(DATABASE_URL; synthetic_services/pgpool.py), sessions and the job list cache in Redis (REDIS_URL;
synthetic_services/cache.py); without those variables, in-process stand-ins. CV and AI work goes to
cv-analyzer and ai-generation, subscriptions are charged at payments."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from typing import Any

from synthetic_services import labels
from synthetic_services.app import ServiceApp
from synthetic_services.cache import CacheUnavailable, cache
from synthetic_services.database import database
from synthetic_services.downstream import DownstreamResponse
from synthetic_services.envvars import REDIS_URL
from synthetic_services.faults.business import PoolSaturation, SlowQueries
from synthetic_services.metrics import BackendMetrics
from synthetic_services.server import HttpError, Request, Response

API_ROUTES = (("GET", "/api/status"), ("GET", "/api/jobs"), ("POST", "/api/auth/register"),
              ("POST", "/api/auth/login"), ("POST", "/api/cv/analyze"), ("POST", "/api/cv/improve"),
              ("POST", "/api/ai/generate"), ("POST", "/api/subscriptions"))
PLAN_PRICES = {"free": 0.0, "basic": 9.99, "premium": 19.99, "enterprise": 99.0, "other": 19.99}
JOBS_TTL_S = 2.0  # the job list is cached this long (so most GETs are Redis hits, some misses)
SESSION_TTL_S = 3600.0
SCHEMA = (
    "CREATE TABLE IF NOT EXISTS users (id text PRIMARY KEY, source text, plan text, "
    "created timestamptz DEFAULT now(), last_login timestamptz)",
    "CREATE TABLE IF NOT EXISTS subscriptions (id bigserial PRIMARY KEY, user_id text, plan text, event text, "
    "created timestamptz DEFAULT now())",
)


def relay(answer: DownstreamResponse) -> Response:
    return Response(answer.status, answer.body, answer.content_type or "application/json")


class Backend:
    def __init__(self, app: ServiceApp) -> None:
        self.app = app
        self.pool = database(os.environ, SCHEMA, "backend")
        self.cache = cache(os.environ.get(REDIS_URL))
        self.metrics = BackendMetrics(app.registry, lambda: self.pool.in_use)
        app.faults.offer("db_pool_saturation", lambda raw, ctx: PoolSaturation(raw, ctx, self.pool))
        app.faults.offer("db_slow_queries", SlowQueries)
        app.on_close.append(self.pool.close)
        handlers: dict[str, Callable[[Request], Response]] = {
            "/api/status": self.status, "/api/jobs": self.jobs, "/api/auth/register": self.register,
            "/api/auth/login": self.login, "/api/cv/analyze": self.cv_analyze, "/api/cv/improve": self.cv_improve,
            "/api/ai/generate": self.ai_generate, "/api/subscriptions": self.subscribe}
        for method, path in API_ROUTES:
            app.route(method, path)(handlers[path])
        app.request_scope = self.pool.connection

    def _query(self, operation: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """One database query on the request's pool connection (after the slow-query fault's wait, if on)."""
        slow = self.app.faults.get("db_slow_queries", SlowQueries)
        if slow is not None:
            self.pool.sleep(slow.ms / 1000)
        rows: list[tuple[Any, ...]] = self.pool.execute(sql, params)
        self.metrics.db_queries.labels(operation).inc()
        return rows

    def _cached(self, key: str) -> str | None:
        try:
            value = self.cache.get(key)
        except CacheUnavailable as exc:
            self.metrics.redis_ops.labels("get", "error").inc()
            self.app.log.warning("cache unavailable", extra={"event": "error", "error_type": "CacheUnavailable",
                                                             "error_message": str(exc)})
            return None
        self.metrics.redis_ops.labels("get", "hit" if value is not None else "miss").inc()
        return value

    def _store(self, key: str, value: str, ttl_s: float) -> bool:
        try:
            self.cache.set(key, value, ttl_s)
        except CacheUnavailable:
            self.metrics.redis_ops.labels("set", "error").inc()
            return False
        self.metrics.redis_ops.labels("set", "success").inc()
        return True

    def status(self, request: Request) -> Response:
        self._query("select", "SELECT 1")
        return Response(200, {"service": self.app.name, "status": "ok", "version": self.app.version})

    def jobs(self, request: Request) -> Response:
        hit = self._cached("jobs:recent") is not None
        if not hit:  # a miss (or Redis down): the database answers, and the list is cached again
            self._query("select", "SELECT id, plan FROM users ORDER BY created DESC LIMIT 5")
            self._store("jobs:recent", "5", JOBS_TTL_S)
        return Response(200, {"jobs": [{"id": i, "title": f"job {i}"} for i in range(5)], "cached": hit})

    def register(self, request: Request) -> Response:
        body = request.json()
        source = labels.choice(body.get("source"), labels.SOURCES, "web")
        plan = labels.choice(body.get("plan_type"), labels.PLAN_TYPES, "free")
        user_id = str(body.get("user_id") or request.user_id or f"user-{uuid.uuid4().hex[:12]}")
        self._query("insert", "INSERT INTO users (id, source, plan) VALUES (%s, %s, %s) ON CONFLICT (id) DO NOTHING",
                    (user_id, source, plan))
        self.metrics.registrations.labels(source, plan).inc()
        self.app.log.info("user registered", extra={"event": "user_registered", "user_id": user_id,
                                                    "source": source, "plan_type": plan})
        return Response(201, {"user_id": user_id, "plan_type": plan})

    def login(self, request: Request) -> Response:
        given = request.json().get("user_id") or request.user_id
        user_id = str(given) if given else None
        outcome = "success" if user_id else "failure"
        self._query("update", "UPDATE users SET last_login = now() WHERE id = %s", (user_id or "",))
        token = uuid.uuid4().hex
        if user_id and not self._store(f"session:{token}", user_id, SESSION_TTL_S):
            raise HttpError(503, "session store (redis) unavailable")
        if not user_id:
            self.metrics.redis_ops.labels("set", "skipped").inc()
        self.app.log.log(20 if user_id else 30, f"login {outcome}", extra={
            "event": "auth_attempt", "outcome": outcome, "user_id": user_id})
        if not user_id:
            raise HttpError(401, "user_id: required to log in")
        return Response(200, {"user_id": user_id, "token": token})

    def cv_analyze(self, request: Request) -> Response:
        return relay(self.app.downstream.call("cv-analyzer", "POST", "/analyze", request.json()))

    def cv_improve(self, request: Request) -> Response:
        body = request.json()
        analysis = self.app.downstream.call("cv-analyzer", "POST", "/analyze", body)
        generation = self.app.downstream.call("ai-generation", "POST", "/generate", {
            "model": body.get("model", "cv-improver"), "prompt": body.get("prompt", "improve my CV")})
        status = generation.status if generation.status >= 400 else 200
        return Response(status, {"analysis": analysis.json(), "generation": generation.json()})

    def ai_generate(self, request: Request) -> Response:
        return relay(self.app.downstream.call("ai-generation", "POST", "/generate", request.json()))

    def subscribe(self, request: Request) -> Response:
        plan = labels.choice(request.json().get("plan_type"), labels.PLAN_TYPES, "premium")
        charge = self.app.downstream.call("payments", "POST", "/charge", {
            "amount": PLAN_PRICES[plan], "currency": "EUR", "purpose": "subscription", "user_id": request.user_id})
        event = "created" if charge.status < 400 else "payment_failed"
        self._query("insert", "INSERT INTO subscriptions (user_id, plan, event) VALUES (%s, %s, %s)",
                    (request.user_id or "", plan, event))
        self.metrics.subscriptions.labels(event, plan).inc()
        details: dict[str, Any] = charge.json()
        self.app.log.log(20 if event == "created" else 30, f"subscription {event}", extra={
            "event": "subscription", "event_type": event, "plan_type": plan, "status": details.get("status"),
            "reason": details.get("reason")})
        return Response(201 if event == "created" else charge.status, {"subscription": event, "plan_type": plan,
                                                                        "payment": details})


def install(app: ServiceApp) -> None:
    Backend(app)
