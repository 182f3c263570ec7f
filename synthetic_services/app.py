"""One instrumented service: routes, seed HTTP metrics, JSON logs, a server span per request, downstream
calls, the fault admin API; served by the standard library's threading HTTP server."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from opentelemetry.sdk.trace.export import SpanExporter
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from synthetic_services import admin, context
from synthetic_services.downstream import DownstreamError, Downstreams
from synthetic_services.errortracking import ErrorTracker
from synthetic_services.faults import FaultContext, FaultState
from synthetic_services.faults.business import DownstreamUnavailable
from synthetic_services.faults.request import Exceptions, Hang, Latency
from synthetic_services.logs import service_logger
from synthetic_services.metrics import HttpMetrics
from synthetic_services.platform import DEFAULT_METRICS_PATH, METRICS_PATHS
from synthetic_services.server import Handle, HttpError, Request, Response, Server, make_server
from synthetic_services.tracing import flush, server_span, set_status, tracer_provider

ANY = "*"


@dataclass
class AppConfig:
    name: str
    version: str = "1.0.0"
    log_file: Path | None = None
    log_stdout: bool = True
    downstreams: dict[str, str] = field(default_factory=dict)  # name -> base URL
    downstream_timeout_s: float = 10.0
    span_exporter: SpanExporter | None = None  # tests: every span, synchronously
    env: Mapping[str, str] | None = None  # tracing settings (default: os.environ)


class ServiceApp:
    def __init__(self, config: AppConfig) -> None:
        self.config = config
        self.name = config.name
        self.version = config.version
        self.registry = CollectorRegistry()
        self.http_metrics = HttpMetrics(self.registry)
        self.log = service_logger(config.name, config.version, config.log_file, config.log_stdout)
        self.provider = tracer_provider(config.name, config.version, config.span_exporter, config.env)
        self.errors = ErrorTracker(config.name, config.version, os.environ if config.env is None else config.env)
        self.tracer = self.provider.get_tracer("synthetic_services", config.version)
        self.routes: dict[tuple[str, str], Handle] = {}
        self.metrics_path = METRICS_PATHS.get(config.name, DEFAULT_METRICS_PATH)
        self.faults = FaultState(FaultContext(config.name, self.log, self.endpoints, tuple(config.downstreams)))
        self.downstream = Downstreams(config.downstreams, self.tracer, self.faults, config.downstream_timeout_s)
        if config.downstreams:
            self.faults.offer("downstream_unavailable", DownstreamUnavailable)
        self.on_close: list[Callable[[], None]] = []
        # held around every routed request, injected latency included (backend: a pool connection)
        self.request_scope: Callable[[], AbstractContextManager[None]] = contextlib.nullcontext

    def route(self, method: str, path: str) -> Callable[[Handle], Handle]:
        """Registers a handler; ``method`` ANY matches every method, a ``path`` ending in ``/*`` a prefix."""
        def register(fn: Handle) -> Handle:
            self.routes[(method, path)] = fn
            return fn
        return register

    def endpoints(self) -> list[str]:
        return sorted({path for _, path in self.routes})

    def match(self, method: str, path: str) -> tuple[str | None, Handle | None]:
        for key in ((method, path), (ANY, path)):
            if key in self.routes:
                return path, self.routes[key]
        for (route_method, route), handler in self.routes.items():
            if route.endswith("/*") and path.startswith(route[:-1]) and route_method in (method, ANY):
                return route, handler
        return None, None

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/admin/"):
            return admin.handle(self.name, self.faults, request)
        hang = self.faults.get("hang", Hang)
        if hang is not None:
            hang.wait()
        if request.method == "GET" and request.path == self.metrics_path:  # the frontend's is /api/metrics only
            return Response(200, generate_latest(self.registry), CONTENT_TYPE_LATEST)
        if request.path == "/health":
            return Response(200, {"status": "ok", "service": self.name, "version": self.version})
        return self._instrumented(request)

    def _instrumented(self, request: Request) -> Response:
        route, handler = self.match(request.method, request.path)
        endpoint = route or "unmatched"
        started = time.perf_counter()
        ctx = context.RequestContext(request.correlation_id, request.user_id)
        with context.bound(ctx), server_span(self.tracer, request.method, endpoint, request.path,
                                             request.headers) as span:
            response = self._respond(request, endpoint, handler)
            elapsed = time.perf_counter() - started
            set_status(span, response.status, server=True)
            self.http_metrics.requests.labels(request.method, endpoint, str(response.status)).inc()
            self.http_metrics.duration.labels(request.method, endpoint).observe(elapsed)
            level = 40 if response.status >= 500 else 30 if response.status >= 400 else 20
            self.log.log(level, "API request", extra={
                "event": "api_request", "method": request.method, "endpoint": endpoint,
                "status_code": response.status, "duration_ms": round(elapsed * 1000, 3)})
        return response

    def _respond(self, request: Request, endpoint: str, handler: Handle | None) -> Response:
        self.http_metrics.active.inc()
        try:
            with self.request_scope() if handler is not None else contextlib.nullcontext():
                return self._run(request, endpoint, handler)
        except HttpError as exc:
            return Response(exc.status, {"error": exc.message})
        except DownstreamError as exc:
            self.log.error(f"downstream {exc.name} failed", extra={
                "event": "error", "error_type": "DownstreamError", "error_message": str(exc), "downstream": exc.name})
            return Response(502, {"error": "downstream failure", "downstream": exc.name, "reason": exc.reason})
        except Exception as exc:
            event_id = self.errors.capture(exc, request.method, f"http://{request.headers.get('host', self.name)}"
                                           f"{request.path}", request.headers)
            self.log.error("unhandled error", exc_info=exc, extra={
                "event": "error", "error_type": type(exc).__name__, "error_message": str(exc),
                "sentry_event_id": event_id})
            return Response(500, {"error": type(exc).__name__})
        finally:
            self.http_metrics.active.dec()

    def _run(self, request: Request, endpoint: str, handler: Handle | None) -> Response:
        latency = self.faults.get("latency", Latency)
        if latency is not None:
            latency.delay(endpoint)
        if handler is None:
            return Response(404, {"error": f"no route {request.method} {request.path}"})
        exceptions = self.faults.get("exceptions", Exceptions)
        if exceptions is not None:
            exceptions.raise_for(endpoint)
        failure = self.faults.error_status(endpoint)
        if failure is not None:
            return Response(failure, {"error": "injected fault", "fault": "http_errors"})
        return handler(request)

    def start(self, host: str = "127.0.0.1", port: int = 0) -> Server:
        """Serves in a background thread (tests, embedding); stop with ``server.shutdown()`` and ``close()``."""
        server = make_server(host, port, self.handle)
        threading.Thread(target=server.serve_forever, args=(0.1,), name=f"{self.name}-http", daemon=True).start()
        self._started(server)
        return server

    def serve(self, host: str, port: int) -> None:
        """Serves until SIGTERM/SIGINT, then clears the faults and flushes the spans."""
        server = make_server(host, port, self.handle)
        signal.signal(signal.SIGTERM, _exit_on_signal)
        self._started(server)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            self.log.info("service stopping", extra={"event": "shutdown"})
            server.server_close()
            self.close()

    def _started(self, server: Server) -> None:
        self.log.info("service started", extra={
            "event": "startup", "port": server.port, "downstreams": self.config.downstreams,
            "faults_offered": self.faults.offered})

    def close(self) -> None:
        self.faults.clear()
        for hook in self.on_close:
            hook()
        flush(self.provider)
        self.errors.flush()


def _exit_on_signal(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)
