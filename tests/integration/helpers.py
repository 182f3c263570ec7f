"""Shared by the real-stack tests: requests into the platform with known ids, and waits on real servers."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import requests

from harness.assertions.wait import eventually
from harness.clients.prometheus import PromClient, Sample
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


def wait_samples(prom: PromClient, expr: str, within: float = 60.0) -> list[Sample]:
    """The samples of ``expr`` once it returns any (a comparison filter in ``expr`` is the condition)."""
    samples, _ = eventually(lambda: prom.query(expr), within, f"PromQL {expr!r} returned no series",
                            lambda: _values(prom, expr))
    return samples


def _values(prom: PromClient, expr: str) -> str:
    from harness.assertions.metrics import near_misses

    return near_misses(prom, expr)
