"""Receiver endpoints the harness runs in place of SaaS: an HTTP receiver (Alertmanager webhook, Slack,
PagerDuty Events v2 formats) and a real SMTP server. Every delivery is recorded for assertions.

GET /records lists them; DELETE /records clears them and the analytics events (per-test reset). The client
analytics endpoints (synthetic_services/analytics.py: GA4's POST /mp/collect, Mixpanel's POST /track) answer the
page's browsers (CORS) and keep the events they accepted apart: GET /analytics lists them.

A failing receiver, for stack-fault scenarios: PUT /admin/fail {"status": 503} makes every HTTP delivery
answer that status (and not be recorded, only counted) until DELETE /admin/fail; GET /admin/fail shows the
state and how many deliveries were refused."""

from __future__ import annotations

import json
import threading
import time
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from synthetic_services.analytics import ga4_events, mixpanel_events

ADMIN_FAIL = "/admin/fail"
ANALYTICS = "/analytics"


class Records:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[dict[str, Any]] = []
        self.failing: int | None = None  # the status every HTTP delivery answers while the receiver fails
        self.refused = 0

    def add(self, item: dict[str, Any]) -> None:
        item["received_at"] = time.time()
        with self._lock:
            item["seq"] = len(self._items)
            self._items.append(item)

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def fail(self, status: int | None) -> dict[str, Any]:
        with self._lock:
            self.failing = status
            if status is not None:
                self.refused = 0
            return self.state()

    def refuse(self) -> int | None:
        """The status to answer a delivery with while failing (counted), else None."""
        with self._lock:
            if self.failing is not None:
                self.refused += 1
            return self.failing

    def state(self) -> dict[str, Any]:
        return {"failing": self.failing is not None, "status": self.failing, "refused": self.refused}


def _http_handler(records: Records, analytics: Records) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _reply(self, status: int, body: Any) -> None:
            payload = b"" if status == 204 else body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Access-Control-Allow-Origin", "*")  # the analytics endpoints answer browsers
            self.end_headers()
            self.wfile.write(payload)

        def do_OPTIONS(self) -> None:  # a browser's CORS preflight
            self.send_response(204)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Access-Control-Allow-Methods", "POST, OPTIONS")
            self.send_header("Access-Control-Allow-Headers", "Content-Type")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def _analytics(self, raw: bytes) -> bool:
            """GA4 and Mixpanel requests (True when this was one): the accepted events are kept."""
            url = urlsplit(self.path)
            if url.path in ("/mp/collect", "/debug/mp/collect"):
                events, problems = ga4_events(url.query, raw)
                debug = url.path.startswith("/debug")
                answer: Any = {"validationMessages": [{"description": p} for p in problems]} if debug else b""
                status = 200 if debug else 204  # GA answers 2xx whatever it drops
            elif url.path == "/track":
                events, problems = mixpanel_events(self.headers.get("Content-Type") or "", raw)
                verbose = "verbose=1" in url.query
                answer = {"status": 0 if problems else 1, "error": "; ".join(problems) or None} if verbose else \
                    (b"0" if problems else b"1")
                status = 200
            else:
                return False
            for event in events:
                analytics.add(event)
            self._reply(status, answer)
            return True

        def do_GET(self) -> None:
            if self.path == "/health":
                self._reply(200, {"status": "ok"})
            elif self.path == "/records":
                self._reply(200, records.all())
            elif self.path == ADMIN_FAIL:
                self._reply(200, records.state())
            elif self.path == ANALYTICS:
                self._reply(200, analytics.all())
            else:
                self._reply(404, {"error": "not found"})

        def do_DELETE(self) -> None:
            if self.path == ADMIN_FAIL:
                self._reply(200, records.fail(None))
                return
            records.clear()
            analytics.clear()
            self._reply(200, {"cleared": True})

        def do_PUT(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            spec = json.loads(raw or b"{}") if self.path == ADMIN_FAIL else None
            status = spec.get("status", 503) if isinstance(spec, dict) else None
            if not isinstance(status, int) or not 500 <= status <= 599:
                self._reply(400 if spec is not None else 404, {"error": "PUT /admin/fail {\"status\": 500-599}"})
                return
            self._reply(200, records.fail(status))

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self._analytics(raw):  # the analytics SaaS does not fail with the alert receivers
                return
            refused = records.refuse()
            if refused is not None:
                self._reply(refused, {"error": "receiver failing (sink admin fault)"})
                return
            parts = self.path.strip("/").split("/")
            kind, receiver = parts[0], "/".join(parts[1:])
            try:
                body: Any = json.loads(raw or b"null")
            except json.JSONDecodeError:
                body = raw.decode(errors="replace")
            records.add({"kind": kind, "receiver": receiver, "path": self.path, "body": body})
            status = 202 if kind == "pagerduty" else 200
            self._reply(status, {"status": "success", "message": "Event processed"} if kind == "pagerduty"
                        else {"ok": True})

        def log_message(self, format: str, *args: Any) -> None:
            return

    return _Handler


class _SmtpHandler:
    def __init__(self, records: Records) -> None:
        self.records = records

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=default_policy)
        body = message.get_body(preferencelist=("plain", "html"))
        self.records.add({
            "kind": "email", "receiver": "", "mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
            "subject": str(message.get("Subject", "")), "body": body.get_content() if body else "",
        })
        return "250 Message accepted for delivery"


def serve(http_port: int, smtp_port: int, host: str = "0.0.0.0") -> None:
    from aiosmtpd.controller import Controller

    records, analytics = Records(), Records()
    smtp = Controller(_SmtpHandler(records), hostname=host, port=smtp_port)
    smtp.start()
    server = ThreadingHTTPServer((host, http_port), _http_handler(records, analytics))
    server.daemon_threads = True
    print(json.dumps({"message": "sink started", "http_port": http_port, "smtp_port": smtp_port}), flush=True)
    try:
        server.serve_forever()
    finally:
        smtp.stop()
