"""OpenTelemetry tracing of one service: its own tracer provider (resource service.name/service.version),
parent-based trace-id-ratio sampling from OTEL_TRACES_SAMPLER_ARG, OTLP/HTTP export in batches of 500 ms when
OTEL_EXPORTER_OTLP_ENDPOINT is set, W3C trace context in and out of every hop."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Mapping, MutableMapping
from contextlib import contextmanager

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from synthetic_services.envvars import OTLP_ENDPOINT, OTLP_TRACES_ENDPOINT, TRACES_SAMPLER_ARG

BATCH_DELAY_MS = 500
FLUSH_TIMEOUT_MS = 3000


def sampling_ratio(env: Mapping[str, str]) -> float:
    try:
        ratio = float(env.get(TRACES_SAMPLER_ARG) or 1.0)
    except ValueError:
        ratio = 1.0
    return min(1.0, max(0.0, ratio))


def traces_endpoint(env: Mapping[str, str]) -> str | None:
    """The OTLP/HTTP traces URL: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as is, or OTEL_EXPORTER_OTLP_ENDPOINT +
    /v1/traces; None when neither is set."""
    if env.get(OTLP_TRACES_ENDPOINT):
        return env[OTLP_TRACES_ENDPOINT]
    base = env.get(OTLP_ENDPOINT)
    return base.rstrip("/") + "/v1/traces" if base else None


def tracer_provider(service: str, version: str, exporter: SpanExporter | None = None,
                    env: Mapping[str, str] | None = None) -> TracerProvider:
    """The service's provider; ``exporter`` (tests) gets every span synchronously."""
    env = os.environ if env is None else env
    provider = TracerProvider(
        resource=Resource.create({"service.name": service, "service.version": version}),
        sampler=ParentBased(TraceIdRatioBased(sampling_ratio(env))), shutdown_on_exit=False)
    endpoint = traces_endpoint(env)
    if endpoint is not None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint),
                                                       schedule_delay_millis=BATCH_DELAY_MS))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def flush(provider: TracerProvider, timeout_s: float = FLUSH_TIMEOUT_MS / 1000) -> None:
    """Exports the pending spans and shuts the provider down, giving up after ``timeout_s`` (an unreachable
    collector must not hold a stopping container past its grace period)."""
    def drain() -> None:
        provider.force_flush(int(timeout_s * 1000))
        provider.shutdown()

    worker = threading.Thread(target=drain, name="span-flush", daemon=True)
    worker.start()
    worker.join(timeout_s + 0.5)


@contextmanager
def server_span(tracer: trace.Tracer, method: str, route: str, path: str,
                headers: Mapping[str, str]) -> Iterator[Span]:
    """A SERVER span ``<METHOD> <route>``, child of the caller's span when a traceparent came in."""
    attributes = {"http.request.method": method, "http.route": route, "url.path": path,
                  "user_agent.original": headers.get("user-agent", "")}
    with tracer.start_as_current_span(f"{method} {route}", context=propagate.extract(headers),
                                      kind=SpanKind.SERVER, attributes=attributes) as span:
        yield span


@contextmanager
def client_span(tracer: trace.Tracer, method: str, downstream: str, path: str, url: str,
                headers: MutableMapping[str, str]) -> Iterator[Span]:
    """A CLIENT span ``<METHOD> <downstream> <path>``; injects its trace context into ``headers``."""
    attributes = {"http.request.method": method, "url.full": url, "peer.service": downstream,
                  "server.address": downstream}
    with tracer.start_as_current_span(f"{method} {downstream} {path}", kind=SpanKind.CLIENT,
                                      attributes=attributes) as span:
        propagate.inject(headers)
        yield span


def set_status(span: Span, status_code: int, server: bool) -> None:
    """Records the response status; 5xx (and 4xx on the client side) mark the span as an error."""
    span.set_attribute("http.response.status_code", status_code)
    if status_code >= 500 or (not server and status_code >= 400):
        span.set_status(Status(StatusCode.ERROR, f"HTTP {status_code}"))
