"""Shared by the real-stack tests: requests into the platform with known ids (waits on Prometheus: the
facade's ``obsdrill.expect_query``)."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import requests

from harness.facade import Obsdrill


@dataclass(frozen=True)
class Sent:
    """One request sent into the platform with a known trace id and correlation id."""

    trace_id: str
    span_id: str
    correlation_id: str
    status: int
    body: Any


def send(obsdrill: Obsdrill, service: str, method: str, path: str, body: dict[str, Any] | None = None) -> Sent:
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    correlation = f"it-{uuid.uuid4()}"
    headers = {"traceparent": f"00-{trace_id}-{span_id}-01", "X-Correlation-ID": correlation,
               "X-User-ID": "user-it"}
    response = requests.request(method, obsdrill.stack.url(service) + path, json=body, headers=headers, timeout=30)
    try:
        payload: Any = response.json()
    except ValueError:
        payload = response.text
    return Sent(trace_id, span_id, correlation, response.status_code, payload)
