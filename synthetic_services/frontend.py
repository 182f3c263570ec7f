"""frontend: the platform's web app (the seed's recoloca-frontend, port 3000, scraped at GET /api/metrics).

It serves one page, ``/``, whose script (frontend-assets/app.js) does what the seed's MetricsCollector and
Logger do: page views, user actions, API calls with status and duration, errors (window ``error`` and
``unhandledrejection``), navigation timing and Core Web Vitals (the ``web-vitals`` package from npm, copied
into the image when it is built), batched to POST /api/metrics and POST /api/logs. This service turns the
metric batches into Prometheus series (FrontendMetrics) and the log batches into seed-format JSON lines in its
log file, which the collector ships like every other. Every other /api/* call is forwarded to the gateway (a
same-origin API): the page's W3C traceparent starts the trace the gateway and backend continue.

Offers js_errors: a share of the clicks on one button throws a real TypeError in the page."""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from synthetic_services.app import ANY, ServiceApp
from synthetic_services.backend import API_ROUTES
from synthetic_services.envvars import TIME_FACTOR, VENDOR_DIR
from synthetic_services.faults.business import JsErrors
from synthetic_services.metrics import FrontendMetrics
from synthetic_services.platform import ANALYTICS_EVENTS
from synthetic_services.server import HttpError, Request, Response

ASSETS = Path(__file__).with_name("frontend-assets")
DEFAULT_VENDOR = Path("/opt/obsdrill/frontend")  # the image's copy of the npm packages' browser builds
LOG_SERVICE = "recoloca-frontend"  # the seed's Logger.service
METRICS_FLUSH_MS, LOGS_FLUSH_MS = 30_000, 10_000  # the seed's MetricsCollector and Logger intervals
MAX_BATCH = 500  # entries per POST; the page sends 10 metrics or 50 log lines at a time
MAX_LABEL = 80
ACTIVE_WINDOW_S = 300  # frontend_active_users: users seen in the last 5 minutes (the dashboards' rate window)
TYPES = {".js": "application/javascript", ".html": "text/html; charset=utf-8", ".css": "text/css",
         ".map": "application/json"}


class Frontend:
    def __init__(self, app: ServiceApp, env: Mapping[str, str]) -> None:
        self.app = app
        self.factor = _factor(env.get(TIME_FACTOR))
        self._seen: dict[str, float] = {}  # user id -> when the page last reported it
        self._lock = threading.Lock()
        self.metrics = FrontendMetrics(app.registry, self.active_users)
        self.vendor = Path(env.get(VENDOR_DIR) or DEFAULT_VENDOR)
        self.browser_log = _browser_logger(app)
        app.faults.offer("js_errors", JsErrors)
        app.route("GET", "/")(self.page)
        app.route("GET", "/static/*")(self.static)
        app.route("POST", "/api/metrics")(self.ingest_metrics)
        app.route("POST", "/api/logs")(self.ingest_logs)
        for method, path in API_ROUTES:  # the backend's routes keep their own endpoint label, as at the gateway
            app.route(method, path)(self.forward)
        app.route(ANY, "/api/*")(self.forward)

    def page(self, request: Request) -> Response:
        fault = self.app.faults.get("js_errors", JsErrors)
        config = {"version": self.app.version, "batchSize": 10, "maxLogBuffer": 50,
                  "metricsFlushMs": round(METRICS_FLUSH_MS * self.factor),
                  "logsFlushMs": round(LOGS_FLUSH_MS * self.factor),
                  "faults": {"js_errors": fault.state()} if fault is not None else {},
                  "analyticsEvents": {route: list(names) for route, names in ANALYTICS_EVENTS.items()}}
        html = (ASSETS / "index.html").read_text().replace("/*OBSDRILL_CONFIG*/", json.dumps(config))
        return Response(200, html, TYPES[".html"])

    def static(self, request: Request) -> Response:
        name = request.path.removeprefix("/static/")
        base, rel = (self.vendor, name.removeprefix("vendor/")) if name.startswith("vendor/") else (ASSETS, name)
        path = (base / rel).resolve()
        if not path.is_relative_to(base.resolve()) or not path.is_file():
            raise HttpError(404, f"no asset {request.path}")
        return Response(200, path.read_bytes(), TYPES.get(path.suffix, "application/octet-stream"))

    def ingest_metrics(self, request: Request) -> Response:
        entries = _batch(request, "metrics")
        recorded = sum(self._record(entry) for entry in entries)
        return Response(202, {"recorded": recorded, "rejected": len(entries) - recorded})

    def _record(self, entry: Any) -> bool:
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), int | float):
            self.metrics.rejected.labels("malformed").inc()
            return False
        given = entry.get("labels")
        labels = {str(k): str(v)[:MAX_LABEL] for k, v in given.items() if v not in (None, "")} \
            if isinstance(given, dict) else {}
        if labels.get("user_id"):  # the seed's label: counted in frontend_active_users, never a series label
            with self._lock:
                self._seen[labels["user_id"]] = time.monotonic()
        return self.metrics.record(str(entry.get("name")), float(entry["value"]), labels) is None

    def active_users(self) -> float:
        """Distinct users seen in the last ACTIVE_WINDOW_S (times the time factor); older ones are forgotten."""
        horizon = time.monotonic() - ACTIVE_WINDOW_S * self.factor
        with self._lock:
            for user in [u for u, at in self._seen.items() if at < horizon]:
                del self._seen[user]
            return float(len(self._seen))

    def ingest_logs(self, request: Request) -> Response:
        entries = _batch(request, "logs")
        written = 0
        for entry in entries:
            if isinstance(entry, dict) and isinstance(entry.get("message"), str):
                self.browser_log.info(json.dumps(browser_line(entry, self.app.version), default=str))
                written += 1
        return Response(202, {"written": written, "rejected": len(entries) - written})

    def forward(self, request: Request) -> Response:
        answer = self.app.downstream.call("gateway", request.method, request.path, request.body,
                                          query=request.query,
                                          content_type=request.headers.get("content-type", "application/json"))
        return Response(answer.status, answer.body, answer.content_type or "application/json")


def browser_line(entry: dict[str, Any], version: str) -> dict[str, Any]:
    """One of the page's log entries as a seed-format JSON line (the backend's field names for the error)."""
    raw = entry.get("context")
    context: dict[str, Any] = raw if isinstance(raw, dict) else {}
    line: dict[str, Any] = {
        "timestamp": str(entry.get("timestamp") or datetime.now(UTC).isoformat(timespec="milliseconds")),
        "level": str(entry.get("level") or "info").upper(), "logger": "recoloca.frontend.browser",
        "service": LOG_SERVICE, "version": str(entry.get("version") or version), "message": entry["message"],
        "event": str(context.get("event") or "frontend_log"), "source": "browser"}
    for key in ("user_id", "session_id", "request_id", "trace_id", "page"):
        value = entry.get(key, context.get(key))
        if value:
            line[key] = str(value)
    if line.get("request_id"):
        line["correlation_id"] = line["request_id"]
    error = entry.get("error")
    if isinstance(error, dict):
        line |= {"error_type": str(error.get("name") or "Error"), "error_message": str(error.get("message") or ""),
                 "stack": str(error.get("stack") or "")}
    extra = {k: v for k, v in context.items() if k not in line and k != "event"}
    if extra:
        line["context"] = json.dumps(extra, default=str)  # one keyword field: the page's keys vary
    return line


def _batch(request: Request, key: str) -> list[Any]:
    entries = request.json().get(key)
    if not isinstance(entries, list):
        raise HttpError(400, f"body.{key}: expected a list")
    if len(entries) > MAX_BATCH:
        raise HttpError(413, f"body.{key}: at most {MAX_BATCH} entries per batch")
    return entries


def _factor(raw: str | None) -> float:
    try:
        factor = float(raw or 1.0)
    except ValueError:
        return 1.0
    return factor if 0 < factor <= 1 else 1.0


def _browser_logger(app: ServiceApp) -> logging.Logger:
    """Writes the page's lines, already JSON, beside the service's own (same stdout and log file)."""
    logger = logging.getLogger(f"recoloca.{app.name}.browser")
    for old in list(logger.handlers):
        logger.removeHandler(old)
        old.close()
    for handler in app.log.handlers:
        raw = logging.FileHandler(handler.baseFilename) if isinstance(handler, logging.FileHandler) else \
            logging.StreamHandler(getattr(handler, "stream", None))
        raw.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(raw)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def install(app: ServiceApp) -> None:
    Frontend(app, os.environ if app.config.env is None else app.config.env)
