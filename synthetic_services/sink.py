"""Receiver endpoints the harness runs in place of SaaS: an HTTP receiver (Alertmanager webhook, Slack,
PagerDuty Events v2 formats) and a real SMTP server. Every delivery is recorded for assertions.

GET /records lists them; DELETE /records clears them (per-test reset). A failing receiver, for stack-fault
scenarios: PUT /admin/fail {"status": 503} makes every HTTP delivery answer that status (and not be recorded,
only counted) until DELETE /admin/fail; GET /admin/fail shows the state and how many deliveries were refused."""

from __future__ import annotations

import json
import threading
import time
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ADMIN_FAIL = "/admin/fail"


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


def _http_handler(records: Records) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _reply(self, status: int, body: Any) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            if self.path == "/health":
                self._reply(200, {"status": "ok"})
            elif self.path == "/records":
                self._reply(200, records.all())
            elif self.path == ADMIN_FAIL:
                self._reply(200, records.state())
            else:
                self._reply(404, {"error": "not found"})

        def do_DELETE(self) -> None:
            if self.path == ADMIN_FAIL:
                self._reply(200, records.fail(None))
                return
            records.clear()
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

    records = Records()
    smtp = Controller(_SmtpHandler(records), hostname=host, port=smtp_port)
    smtp.start()
    server = ThreadingHTTPServer((host, http_port), _http_handler(records))
    server.daemon_threads = True
    print(json.dumps({"message": "sink started", "http_port": http_port, "smtp_port": smtp_port}), flush=True)
    try:
        server.serve_forever()
    finally:
        smtp.stop()
