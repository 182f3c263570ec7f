"""A tiny instrumented HTTP service: routes, seed metrics, JSON logs, request ids and a fault admin API."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from synthetic_services.faults import FaultError, FaultState
from synthetic_services.logs import setup_logging
from synthetic_services.metrics import SeedMetrics

CORRELATION_HEADER = "X-Correlation-ID"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    correlation_id: str
    user_id: str | None = None

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass
class Response:
    status: int = 200
    body: Any = field(default_factory=dict)
    content_type: str = "application/json"

    def encode(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return (json.dumps(self.body) if not isinstance(self.body, str) else self.body).encode()


Handler = Callable[[Request], Response]


class ServiceApp:
    def __init__(self, name: str, version: str = "1.0.0", log_file: str | None = None) -> None:
        from pathlib import Path

        self.name = name
        self.version = version
        self.registry = CollectorRegistry()
        self.metrics = SeedMetrics(self.registry)
        self.faults = FaultState()
        self.log = setup_logging(name, version, Path(log_file) if log_file else None)
        self.routes: dict[tuple[str, str], Handler] = {}

    def route(self, method: str, path: str) -> Callable[[Handler], Handler]:
        def register(fn: Handler) -> Handler:
            self.routes[(method, path)] = fn
            return fn
        return register

    def handle(self, request: Request) -> Response:
        if request.path == "/metrics":
            return Response(200, generate_latest(self.registry), CONTENT_TYPE_LATEST)
        if request.path == "/health":
            return Response(200, {"status": "ok", "service": self.name})
        if request.path.startswith("/admin/"):
            return self._admin(request)
        return self._instrumented(request)

    def _instrumented(self, request: Request) -> Response:
        handler = self.routes.get((request.method, request.path))
        endpoint = request.path if handler else "unmatched"
        started = time.perf_counter()
        self.metrics.active.inc()
        try:
            failure = self.faults.error_status(endpoint) if handler else None
            if handler is None:
                response = Response(404, {"error": "not found"})
            elif failure is not None:
                response = Response(failure, {"error": "injected fault", "fault": "http_errors"})
            else:
                response = self._call(handler, request)
        finally:
            self.metrics.active.dec()
        elapsed = time.perf_counter() - started
        self.metrics.requests.labels(request.method, endpoint, str(response.status)).inc()
        self.metrics.duration.labels(request.method, endpoint).observe(elapsed)
        self._access_log(request, endpoint, response.status, elapsed)
        return response

    def _call(self, handler: Handler, request: Request) -> Response:
        try:
            return handler(request)
        except Exception as exc:
            self.log.error("unhandled error", exc_info=exc,
                           extra={"request_id": request.correlation_id, "correlation_id": request.correlation_id})
            return Response(500, {"error": type(exc).__name__})

    def _access_log(self, request: Request, endpoint: str, status: int, elapsed: float) -> None:
        level = 40 if status >= 500 else 30 if status >= 400 else 20
        self.log.log(level, "API request", extra={
            "event": "api_request", "request_id": request.correlation_id,
            "correlation_id": request.correlation_id, "user_id": request.user_id, "method": request.method,
            "endpoint": endpoint, "status_code": status, "duration_ms": round(elapsed * 1000, 3)})

    def _admin(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")  # admin, faults[, name]
        if parts[:2] != ["admin", "faults"] or len(parts) > 3:
            return Response(404, {"error": f"no admin endpoint {request.path}"})
        name = parts[2] if len(parts) == 3 else None
        try:
            if request.method == "GET":
                state = self.faults.describe()
            elif request.method in ("PUT", "POST") and name:
                state = self.faults.set(name, request.json())
            elif request.method == "DELETE":
                state = self.faults.clear(name)
            else:
                return Response(405, {"error": f"{request.method} {request.path} is not allowed"})
        except (FaultError, json.JSONDecodeError) as exc:
            return Response(400, {"error": str(exc)})
        self.log.warning("fault state changed", extra={"event": "fault_change", "faults": state})
        return Response(200, {"service": self.name, "faults": state})

    def serve(self, host: str, port: int) -> None:
        server = ThreadingHTTPServer((host, port), _handler_class(self))
        server.daemon_threads = True
        self.log.info("service started", extra={"event": "startup", "port": port})
        server.serve_forever()


def _handler_class(app: ServiceApp) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command, path=url.path, query=parse_qs(url.query),
                headers={k.lower(): v for k, v in self.headers.items()}, body=self.rfile.read(length),
                correlation_id=self.headers.get(CORRELATION_HEADER) or str(uuid.uuid4()),
                user_id=self.headers.get("X-User-ID"))
            response = app.handle(request)
            payload = response.encode()
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header(CORRELATION_HEADER, request.correlation_id)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            return

    return _Handler
