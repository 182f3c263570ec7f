"""The web/API backend of the modelled platform (seed job 'recoloca-backend')."""

from __future__ import annotations

import random
import time

from synthetic_services.app import Request, Response, ServiceApp


def build(app: ServiceApp) -> ServiceApp:
    @app.route("GET", "/api/status")
    def status(request: Request) -> Response:
        return Response(200, {"service": app.name, "status": "ok"})

    @app.route("POST", "/api/auth/register")
    def register(request: Request) -> Response:
        body = request.json()
        plan = body.get("plan_type", "free")
        app.metrics.registrations.labels(body.get("source", "web"), plan).inc()
        app.log.info("user registered", extra={"event": "auth_register", "user_id": body.get("user_id"),
                                               "request_id": request.correlation_id,
                                               "correlation_id": request.correlation_id, "plan_type": plan})
        return Response(201, {"registered": True})

    @app.route("POST", "/api/cv/analyze")
    def analyze(request: Request) -> Response:
        started = time.perf_counter()
        time.sleep(random.uniform(0.005, 0.02))
        elapsed = time.perf_counter() - started
        app.metrics.cv_analyses.labels("success", request.json().get("user_type", "free")).inc()
        app.metrics.cv_duration.observe(elapsed)
        return Response(200, {"score": random.randint(50, 99), "processing_time_ms": round(elapsed * 1000, 1)})

    @app.route("GET", "/api/jobs")
    def jobs(request: Request) -> Response:
        app.metrics.redis_ops.labels("get", "hit").inc()
        return Response(200, {"jobs": [{"id": i, "title": f"job {i}"} for i in range(5)]})

    return app
