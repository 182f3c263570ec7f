"""backend: the web/API backend (seed job recoloca-backend). Every routed request holds a database pool
connection while it runs (injected latency included); CV and AI work goes to cv-analyzer and ai-generation,
subscriptions are charged at payments."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable
from typing import Any

from synthetic_services import labels
from synthetic_services.app import ServiceApp
from synthetic_services.dbpool import ConnectionPool
from synthetic_services.downstream import DownstreamResponse
from synthetic_services.faults.business import PoolSaturation
from synthetic_services.metrics import BackendMetrics
from synthetic_services.server import HttpError, Request, Response

API_ROUTES = (("GET", "/api/status"), ("GET", "/api/jobs"), ("POST", "/api/auth/register"),
              ("POST", "/api/auth/login"), ("POST", "/api/cv/analyze"), ("POST", "/api/cv/improve"),
              ("POST", "/api/ai/generate"), ("POST", "/api/subscriptions"))
PLAN_PRICES = {"free": 0.0, "basic": 9.99, "premium": 19.99, "enterprise": 99.0, "other": 19.99}
QUERY_S = (0.001, 0.004)
CACHE_HIT_RATE = 0.8


def relay(answer: DownstreamResponse) -> Response:
    return Response(answer.status, answer.body, answer.content_type or "application/json")




class Backend:
    def __init__(self, app: ServiceApp) -> None:
        self.app = app
        self.pool = ConnectionPool()
        self.metrics = BackendMetrics(app.registry, lambda: self.pool.in_use)
        app.faults.offer("db_pool_saturation", lambda raw, ctx: PoolSaturation(raw, ctx, self.pool))
        handlers: dict[str, Callable[[Request], Response]] = {
            "/api/status": self.status, "/api/jobs": self.jobs, "/api/auth/register": self.register,
            "/api/auth/login": self.login, "/api/cv/analyze": self.cv_analyze, "/api/cv/improve": self.cv_improve,
            "/api/ai/generate": self.ai_generate, "/api/subscriptions": self.subscribe}
        for method, path in API_ROUTES:
            app.route(method, path)(handlers[path])
        app.request_scope = self.pool.connection

    def _query(self, operation: str) -> None:
        """One (simulated) database query on the request's pool connection."""
        time.sleep(random.uniform(*QUERY_S))
        self.metrics.db_queries.labels(operation).inc()

    def status(self, request: Request) -> Response:
        self._query("select")
        return Response(200, {"service": self.app.name, "status": "ok", "version": self.app.version})

    def jobs(self, request: Request) -> Response:
        hit = random.random() < CACHE_HIT_RATE
        self.metrics.redis_ops.labels("get", "hit" if hit else "miss").inc()
        if not hit:
            self._query("select")
            self.metrics.redis_ops.labels("set", "success").inc()
        return Response(200, {"jobs": [{"id": i, "title": f"job {i}"} for i in range(5)], "cached": hit})

    def register(self, request: Request) -> Response:
        body = request.json()
        source = labels.choice(body.get("source"), labels.SOURCES, "web")
        plan = labels.choice(body.get("plan_type"), labels.PLAN_TYPES, "free")
        user_id = str(body.get("user_id") or request.user_id or f"user-{uuid.uuid4().hex[:12]}")
        self._query("insert")
        self.metrics.registrations.labels(source, plan).inc()
        self.app.log.info("user registered", extra={"event": "user_registered", "user_id": user_id,
                                                    "source": source, "plan_type": plan})
        return Response(201, {"user_id": user_id, "plan_type": plan})

    def login(self, request: Request) -> Response:
        given = request.json().get("user_id") or request.user_id
        user_id = str(given) if given else None
        outcome = "success" if user_id else "failure"
        self._query("update")
        self.metrics.redis_ops.labels("set", "success" if user_id else "skipped").inc()
        self.app.log.log(20 if user_id else 30, f"login {outcome}", extra={
            "event": "auth_attempt", "outcome": outcome, "user_id": user_id})
        if not user_id:
            raise HttpError(401, "user_id: required to log in")
        return Response(200, {"user_id": user_id, "token": uuid.uuid4().hex})

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
        self.metrics.subscriptions.labels(event, plan).inc()
        details: dict[str, Any] = charge.json()
        self.app.log.log(20 if event == "created" else 30, f"subscription {event}", extra={
            "event": "subscription", "event_type": event, "plan_type": plan, "status": details.get("status"),
            "reason": details.get("reason")})
        return Response(201 if event == "created" else charge.status, {"subscription": event, "plan_type": plan,
                                                                        "payment": details})


def install(app: ServiceApp) -> None:
    Backend(app)
