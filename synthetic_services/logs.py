"""Structured JSON logs in the seed's format: timestamp, level, logger, service, version, message; while
serving a request also request_id (= correlation_id), correlation_id, user_id and the active span's
trace_id/span_id; plus the event and its fields."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from opentelemetry import trace

from synthetic_services import context

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime", "taskName"}


def request_fields() -> dict[str, Any]:
    """Correlation and trace fields of the request and span active in this context (empty outside one)."""
    fields: dict[str, Any] = {}
    ctx = context.current()
    if ctx is not None:
        fields = {"request_id": ctx.correlation_id, "correlation_id": ctx.correlation_id}
        if ctx.user_id:
            fields["user_id"] = ctx.user_id
    span = trace.get_current_span().get_span_context()
    if span.is_valid:
        fields["trace_id"] = trace.format_trace_id(span.trace_id)
        fields["span_id"] = trace.format_span_id(span.span_id)
    return fields


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str, version: str) -> None:
        super().__init__()
        self.service = service
        self.version = version

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "service": self.service,
            "version": self.version,
            "message": record.getMessage(),
            **request_fields(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and value is not None:
                doc[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            doc.setdefault("error_type", record.exc_info[0].__name__)
            doc.setdefault("error_message", str(record.exc_info[1]))
            doc["stack"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str)


def _handlers(log_file: Path | None, stdout: bool) -> list[logging.Handler]:
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)] if stdout else []
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_file))
    return handlers


def service_logger(service: str, version: str, log_file: Path | None = None, stdout: bool = True) -> logging.Logger:
    """``recoloca.<service>``: JSON lines on stdout and in ``log_file``; does not propagate to the root."""
    logger = logging.getLogger(f"recoloca.{service}")
    for old in list(logger.handlers):
        logger.removeHandler(old)
        old.close()
    formatter = JsonFormatter(service, version)
    for handler in _handlers(log_file, stdout):
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def configure_root(logger: logging.Logger) -> None:
    """Library warnings (e.g. the span exporter's) go to the service's JSON handlers too; for the process's main
    entry point only."""
    root = logging.getLogger()
    root.handlers.clear()
    for handler in logger.handlers:
        root.addHandler(handler)
    root.setLevel(logging.WARNING)
