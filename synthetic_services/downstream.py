"""Calls to other services: a CLIENT span per call with the W3C trace context injected, X-Correlation-ID and
X-User-ID forwarded. A downstream failure (5xx, connection refused, timeout) raises DownstreamError, which the
caller answers with 502; 4xx answers (402 declines) come back to the caller."""

from __future__ import annotations

import errno
import http.client
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from synthetic_services import context
from synthetic_services.context import CORRELATION_HEADER, USER_HEADER
from synthetic_services.faults import FaultState
from synthetic_services.faults.business import DownstreamUnavailable
from synthetic_services.platform import DEFAULT_PORT, PORTS
from synthetic_services.tracing import client_span, set_status


class DownstreamError(Exception):
    def __init__(self, name: str, reason: str, status: int | None = None) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason
        self.status = status


@dataclass
class DownstreamResponse:
    status: int
    body: bytes
    content_type: str

    def json(self) -> dict[str, Any]:
        try:
            value = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


def default_urls(names: tuple[str, ...]) -> dict[str, str]:
    return {name: f"http://{name}:{PORTS.get(name, DEFAULT_PORT)}" for name in names}


class Downstreams:
    def __init__(self, urls: Mapping[str, str], tracer: trace.Tracer, faults: FaultState, timeout_s: float) -> None:
        self.urls = dict(urls)
        self._tracer = tracer
        self._faults = faults
        self.timeout_s = timeout_s

    def call(self, name: str, method: str, path: str, body: Any = None, *, query: str = "",
             content_type: str = "application/json") -> DownstreamResponse:
        url = self.urls[name].rstrip("/") + path + (f"?{query}" if query else "")
        payload = body if isinstance(body, bytes) else b"" if body is None else json.dumps(body).encode()
        headers = _forwarded_headers(content_type)
        with client_span(self._tracer, method, name, path, url, headers) as span:
            try:
                self._refuse_if_unavailable(name)
                response = self._send(method, url, payload, headers)
            except (OSError, http.client.HTTPException) as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, str(exc)))
                raise DownstreamError(name, f"{type(exc).__name__}: {exc}") from exc
            set_status(span, response.status, server=False)
        if response.status >= 500:
            raise DownstreamError(name, f"answered {response.status}", response.status)
        return response

    def _refuse_if_unavailable(self, name: str) -> None:
        fault = self._faults.get("downstream_unavailable", DownstreamUnavailable)
        if fault is not None and fault.target == name:
            raise ConnectionRefusedError(errno.ECONNREFUSED, f"Connection refused (downstream_unavailable {name})")

    def _send(self, method: str, url: str, payload: bytes, headers: dict[str, str]) -> DownstreamResponse:
        parts = urlsplit(url)
        conn = http.client.HTTPConnection(parts.hostname or "localhost", parts.port or 80, timeout=self.timeout_s)
        try:
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            conn.request(method, target, body=payload or None, headers=headers)
            answer = conn.getresponse()
            return DownstreamResponse(answer.status, answer.read(), answer.getheader("Content-Type") or "")
        finally:
            conn.close()


def _forwarded_headers(content_type: str) -> dict[str, str]:
    headers = {"Content-Type": content_type, "Connection": "close"}
    ctx = context.current()
    if ctx is not None:
        headers[CORRELATION_HEADER] = ctx.correlation_id
        if ctx.user_id:
            headers[USER_HEADER] = ctx.user_id
    return headers
