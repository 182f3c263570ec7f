"""The JSON log format (seed fields, request and trace correlation) and the tracing settings from the
environment."""

from __future__ import annotations

import io
import json
import logging
import re

from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased

from synthetic_services import context
from synthetic_services.logs import JsonFormatter
from synthetic_services.tracing import sampling_ratio, tracer_provider


def _logger() -> tuple[logging.Logger, io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("payments", "2.1.0"))
    logger = logging.getLogger("recoloca.test-format")
    logger.handlers[:] = [handler]
    logger.propagate = False
    return logger, stream


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_log_lines_carry_the_seed_fields_and_nothing_of_a_request_outside_one() -> None:
    logger, stream = _logger()
    logger.warning("disk nearly full", extra={"event": "fault_change", "fault": "disk_fill", "skip": None})
    (line,) = _lines(stream)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", str(line["timestamp"]))
    assert line == {"timestamp": line["timestamp"], "level": "WARNING", "logger": "recoloca.test-format",
                    "service": "payments", "version": "2.1.0", "message": "disk nearly full",
                    "event": "fault_change", "fault": "disk_fill"}


def test_log_lines_inside_a_request_carry_correlation_and_the_active_span() -> None:
    logger, stream = _logger()
    exporter = InMemorySpanExporter()
    tracer = tracer_provider("payments", "2.1.0", exporter, env={}).get_tracer("test")
    with context.bound(context.RequestContext("corr-1", "user-7")), tracer.start_as_current_span("op") as span:
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed", extra={"event": "error", "user_id": "user-8"})
    (line,) = _lines(stream)
    ids = span.get_span_context()
    assert (line["request_id"], line["correlation_id"], line["user_id"]) == ("corr-1", "corr-1", "user-8")
    assert (line["trace_id"], line["span_id"]) == (f"{ids.trace_id:032x}", f"{ids.span_id:016x}")
    assert line["error_type"] == "ValueError" and line["error_message"] == "boom" and "Traceback" in str(line["stack"])
    assert context.current() is None and [s.name for s in exporter.get_finished_spans()] == ["op"]


def test_tracing_settings_come_from_the_environment() -> None:
    assert sampling_ratio({}) == 1.0 and sampling_ratio({"OTEL_TRACES_SAMPLER_ARG": "0.1"}) == 0.1
    assert sampling_ratio({"OTEL_TRACES_SAMPLER_ARG": "lots"}) == 1.0
    assert sampling_ratio({"OTEL_TRACES_SAMPLER_ARG": "7"}) == 1.0
    quiet = tracer_provider("backend", "1", env={"OTEL_TRACES_SAMPLER_ARG": "0.1"})
    assert isinstance(quiet.sampler, ParentBased) and "0.1" in quiet.sampler.get_description()
    assert quiet.resource.attributes["service.name"] == "backend"
    assert not quiet._active_span_processor._span_processors  # no endpoint: spans are made, none exported
    exporting = tracer_provider("backend", "1", env={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otelcol:4318/"})
    (processor,) = exporting._active_span_processor._span_processors
    assert isinstance(processor, BatchSpanProcessor)
    batch = processor._batch_processor
    assert batch._schedule_delay == 0.5 and vars(batch._exporter)["_endpoint"] == "http://otelcol:4318/v1/traces"
    exporting.shutdown()
