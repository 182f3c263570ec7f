"""Exceptions to the error tracker over Sentry's protocol (sentry-sdk), when SENTRY_DSN is set: environment and
release from SENTRY_ENVIRONMENT / SENTRY_RELEASE (default ``<service>@<version>``). Only what the service
itself captures is sent (no default integrations: an ERROR log line is not an exception, and a downstream's
failure is the downstream's): an exception a handler did not handle, with the request it was serving and the
OpenTelemetry trace it happened in (contexts.trace and the tag ``otel.trace_id``, so the tracker's event and
the trace in Jaeger join)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry import trace

from synthetic_services.envvars import SENTRY_DSN, SENTRY_ENVIRONMENT, SENTRY_RELEASE

FLUSH_S = 2.0
SAFE_HEADERS = ("user-agent", "content-type", "traceparent", "x-correlation-id", "x-user-id")


class ErrorTracker:
    def __init__(self, service: str, version: str, env: Mapping[str, str]) -> None:
        self.enabled = bool(env.get(SENTRY_DSN))
        if not self.enabled:
            return
        import sentry_sdk

        sentry_sdk.init(dsn=env[SENTRY_DSN], environment=env.get(SENTRY_ENVIRONMENT) or "production",
                        release=env.get(SENTRY_RELEASE) or f"{service}@{version}", server_name=service,
                        default_integrations=False, auto_enabling_integrations=False, transport_queue_size=1000)
        self.service = service

    def capture(self, exc: BaseException, method: str, url: str, headers: Mapping[str, str]) -> str | None:
        """Sends ``exc`` with the request and the active span's trace; the event id (None when disabled)."""
        if not self.enabled:
            return None
        import sentry_sdk

        span = trace.get_current_span().get_span_context()
        request: dict[str, Any] = {"method": method, "url": url,
                                   "headers": {k: v for k, v in headers.items() if k in SAFE_HEADERS}}
        with sentry_sdk.new_scope() as scope:
            scope.set_tag("service", self.service)
            if span.is_valid:
                trace_id, span_id = trace.format_trace_id(span.trace_id), trace.format_span_id(span.span_id)
                scope.set_tag("otel.trace_id", trace_id)
                scope.set_context("trace", {"trace_id": trace_id, "span_id": span_id, "op": "http.server"})
            scope.add_event_processor(lambda event, hint: {**event, "request": request})
            return sentry_sdk.capture_exception(exc)

    def flush(self) -> None:
        if self.enabled:
            import sentry_sdk

            sentry_sdk.flush(FLUSH_S)
