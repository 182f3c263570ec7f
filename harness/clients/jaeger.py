"""Jaeger query API facade (the HTTP JSON API of jaeger-query, /api/...): traces by id, search,
services, operations, dependencies."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import requests

from harness.clients.http import session
from harness.errors import ObsdrillError


def normalize_trace_id(trace_id: str) -> str:
    """Jaeger's JSON API prints trace ids without leading zeros; compare ids in this form."""
    return trace_id.lower().lstrip("0") or "0"


@dataclass(frozen=True)
class Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    operation: str
    service: str
    start_us: int
    duration_us: int
    tags: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return str(self.tags.get("span.kind", ""))

    @property
    def error(self) -> bool:
        return bool(self.tags.get("error")) or self.tags.get("otel.status_code") == "ERROR"


@dataclass(frozen=True)
class Trace:
    trace_id: str
    spans: tuple[Span, ...]

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Trace:
        services = {pid: p.get("serviceName", "") for pid, p in (data.get("processes") or {}).items()}
        spans = tuple(_span(s, services) for s in data.get("spans") or [])
        return cls(str(data.get("traceID", "")), tuple(sorted(spans, key=lambda s: s.start_us)))

    def services(self) -> list[str]:
        return sorted({s.service for s in self.spans})

    def operations(self) -> list[str]:
        return [s.operation for s in self.spans]

    def root(self) -> Span | None:
        """The span without a parent in this trace (a page starts its trace: the frontend's span then names a
        parent the page kept)."""
        ids = {s.span_id for s in self.spans}
        return next((s for s in self.spans if s.parent_id is None or s.parent_id not in ids), None)

    def entry(self, service: str) -> Span | None:
        """The outermost SERVER span of ``service``: where a request entered it, whoever called it."""
        by_id = {s.span_id: s for s in self.spans}
        servers = sorted((s for s in self.spans if s.service == service and s.kind == "server"),
                         key=lambda s: s.start_us)
        return next((s for s in servers if s.parent_id is None or s.parent_id not in by_id
                     or by_id[s.parent_id].service != service), None)


def _span(raw: dict[str, Any], services: dict[str, str]) -> Span:
    parent = next((r["spanID"] for r in raw.get("references") or [] if r.get("refType") == "CHILD_OF"), None)
    return Span(trace_id=str(raw["traceID"]), span_id=str(raw["spanID"]), parent_id=parent,
                operation=str(raw.get("operationName", "")), service=services.get(raw.get("processID", ""), ""),
                start_us=int(raw.get("startTime", 0)), duration_us=int(raw.get("duration", 0)),
                tags={t["key"]: t.get("value") for t in raw.get("tags") or []})


@dataclass(frozen=True)
class Dependency:
    parent: str
    child: str
    calls: int


class JaegerClient:
    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.http = session("jaeger")

    def _get(self, path: str, **params: Any) -> requests.Response:
        return self.http.get(f"{self.url}{path}", params=params or None, timeout=self.timeout)

    def _data(self, path: str, **params: Any) -> Any:
        response = self._get(path, **params)
        if response.status_code >= 400:
            raise ObsdrillError(f"jaeger: GET {path} answered {response.status_code}: {response.text[:300]}")
        return response.json().get("data")

    def trace(self, trace_id: str) -> Trace | None:
        """The trace with this id (32 hex digits), or None while Jaeger does not have it."""
        response = self._get(f"/api/traces/{trace_id.lower()}")
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise ObsdrillError(f"jaeger: trace {trace_id}: {response.status_code}: {response.text[:300]}")
        data = response.json().get("data") or []
        return Trace.from_json(data[0]) if data else None

    def traces(self, service: str, operation: str | None = None, lookback: str = "1h", limit: int = 20,
               tags: dict[str, str] | None = None, start: float | None = None,
               end: float | None = None) -> list[Trace]:
        """Traces with a span of ``service``; ``start``/``end`` (epoch seconds) bound the spans' start."""
        params: dict[str, Any] = {"service": service, "lookback": lookback, "limit": limit}
        if start is not None and end is not None:
            params |= {"start": int(start * 1e6), "end": int(end * 1e6)}
        if operation:
            params["operation"] = operation
        if tags:
            params["tags"] = json.dumps(tags)
        return [Trace.from_json(t) for t in self._data("/api/traces", **params) or []]

    def services(self) -> list[str]:
        return sorted(self._data("/api/services") or [])

    def operations(self, service: str) -> list[str]:
        return sorted(self._data(f"/api/services/{service}/operations") or [])

    def dependencies(self, lookback_s: float = 3600.0, end: float | None = None) -> list[Dependency]:
        """Service call edges (parent -> child) seen in the ``lookback_s`` seconds before ``end`` (now)."""
        end_ms = int((end if end is not None else time.time()) * 1000)
        data = self._data("/api/dependencies", endTs=end_ms, lookback=int(lookback_s * 1000)) or []
        return [Dependency(str(d["parent"]), str(d["child"]), int(d.get("callCount", 0))) for d in data]

    def ready(self) -> bool:
        try:
            return self._get("/api/services").status_code == 200
        except requests.RequestException:
            return False
