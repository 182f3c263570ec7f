"""HTTP plumbing on the standard library: request/response values and a threading HTTP/1.1 server that hands
every request to one ``handle`` function."""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from synthetic_services.context import CORRELATION_HEADER, USER_HEADER

MAX_BODY = 10 * 1024 * 1024
IDLE_TIMEOUT_S = 60


class HttpError(Exception):
    """Raised by a handler to answer ``status`` with ``{"error": message}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    correlation_id: str
    user_id: str | None = None

    def json(self) -> dict[str, Any]:
        """The body as a JSON object ({} when empty); 400 otherwise."""
        if not self.body.strip():
            return {}
        try:
            value = json.loads(self.body)
        except ValueError as exc:
            raise HttpError(400, f"body: invalid JSON ({exc})") from exc
        if not isinstance(value, dict):
            raise HttpError(400, f"body: expected a JSON object, got {type(value).__name__}")
        return value


@dataclass
class Response:
    status: int = 200
    body: Any = field(default_factory=dict)
    content_type: str = "application/json"

    def encode(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        return (self.body if isinstance(self.body, str) else json.dumps(self.body)).encode()


Handle = Callable[[Request], Response]


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], handle: Handle) -> None:
        self.handle = handle
        super().__init__(address, _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_S
    server: Server

    def setup(self) -> None:
        super().setup()
        # headers and body go out in two writes: without this, Nagle + delayed ACK add ~40 ms per response
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _serve(self) -> None:
        try:
            request = self._request()
        except HttpError as exc:
            self._send(Response(exc.status, {"error": exc.message}), str(uuid.uuid4()))
            self.close_connection = True
            return
        try:
            response = self.server.handle(request)
        except Exception as exc:  # the app answers its own errors; this is the last line of defence
            response = Response(500, {"error": f"{type(exc).__name__}: {exc}"})
        self._send(response, request.correlation_id)

    def _request(self) -> Request:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError as exc:
            raise HttpError(400, "Content-Length: not a number") from exc
        if length > MAX_BODY or length < 0:
            raise HttpError(413, f"body: at most {MAX_BODY} bytes")
        url = urlsplit(self.path)
        return Request(method=self.command, path=url.path, query=url.query,
                       headers={k.lower(): v for k, v in self.headers.items()}, body=self.rfile.read(length),
                       correlation_id=self.headers.get(CORRELATION_HEADER) or str(uuid.uuid4()),
                       user_id=self.headers.get(USER_HEADER) or None)

    def _send(self, response: Response, correlation_id: str) -> None:
        payload = response.encode()
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header(CORRELATION_HEADER, correlation_id)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return


def make_server(host: str, port: int, handle: Handle) -> Server:
    """A bound, not yet serving server (``port`` 0 picks a free one: see ``Server.port``)."""
    return Server((host, port), handle)
