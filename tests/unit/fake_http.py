"""Small fakes of the HTTP APIs the assertion library talks to (Prometheus, the notification sink, Jaeger),
served on 127.0.0.1 so the real clients are exercised. Tests mutate the fakes' state while they run."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Handler = Callable[[dict[str, list[str]]], Any]


@contextmanager
def serve(routes: dict[str, Handler]) -> Iterator[str]:
    """Serve ``routes`` (path -> handler(query) -> JSON body, or (status, body)); yields the base URL."""

    class _Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            handler = routes.get(parts.path)
            result = handler(parse_qs(parts.query)) if handler else (404, {"error": "no route"})
            status, body = result if isinstance(result, tuple) else (200, result)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def rule(name: str, state: str = "inactive", alerts: list[dict[str, Any]] | None = None, health: str = "ok",
         error: str = "") -> dict[str, Any]:
    return {"name": name, "state": state, "health": health, "lastError": error, "type": "alerting",
            "alerts": alerts or []}


def alert(name: str, state: str, **labels: str) -> dict[str, Any]:
    return {"labels": {"alertname": name, **labels}, "state": state, "annotations": {},
            "activeAt": "2026-01-01T00:00:00Z", "value": "1"}


class FakePrometheus:
    """/api/v1/rules, /api/v1/query and /api/v1/query_range from mutable state."""

    def __init__(self) -> None:
        self.rules: list[dict[str, Any]] = []
        self.series: dict[str, list[tuple[dict[str, str], list[float]]]] = {}  # expr -> (labels, values)

    def routes(self) -> dict[str, Handler]:
        return {"/api/v1/rules": self._rules, "/api/v1/query": self._query, "/api/v1/query_range": self._range}

    def _rules(self, q: dict[str, list[str]]) -> Any:
        return {"status": "success", "data": {"groups": [{"name": "g", "rules": list(self.rules)}]}}

    def _query(self, q: dict[str, list[str]]) -> Any:
        rows = self.series.get(q["query"][0], [])
        result = [{"metric": labels, "value": [time.time(), str(values[-1])]} for labels, values in rows]
        return {"status": "success", "data": {"resultType": "vector", "result": result}}

    def _range(self, q: dict[str, list[str]]) -> Any:
        rows = self.series.get(q["query"][0], [])
        result = [{"metric": labels, "values": [[time.time() - len(values) + i, str(v)] for i, v in enumerate(values)]}
                  for labels, values in rows]
        return {"status": "success", "data": {"resultType": "matrix", "result": result}}


class FakeSink:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def routes(self) -> dict[str, Handler]:
        return {"/records": lambda q: list(self.records)}

    def tap(self, receiver: str, status: str, *alerts: dict[str, Any], group: str = "{}:{}") -> None:
        body = {"receiver": receiver, "status": status, "groupKey": group,
                "alerts": [{"status": status, **a} for a in alerts]}
        self.records.append({"kind": "tap", "receiver": receiver, "received_at": time.time(), "body": body})

    def add(self, kind: str, receiver: str = "", body: Any = None, **extra: Any) -> None:
        self.records.append({"kind": kind, "receiver": receiver, "received_at": time.time(), "body": body, **extra})


def labels(name: str, **more: str) -> dict[str, Any]:
    """An alert as a notification carries it."""
    return {"labels": {"alertname": name, **more}, "annotations": {"summary": "s", "description": "d"}}
