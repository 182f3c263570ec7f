"""HTTP server: ``/metrics`` (DCGM format) plus the admin JSON API for faults.

Routes (all JSON except /metrics and /healthz)::

    GET    /metrics                  Prometheus exposition (DCGM names)
    GET    /healthz                  "ok"
    GET    /admin/faults             fault state and telemetry of every GPU
    POST   /admin/faults/<name>      switch a fault on   {"gpu": 0, ...params}
    DELETE /admin/faults/<name>      switch a fault off  {"gpu": 0} or ?gpu=0
    DELETE /admin/faults             clear every fault on every GPU
    POST   /admin/load               {"gpu": 0, "utilization": 95, "memory_used_mib": 1024}
    POST   /admin/advance            {"seconds": 60}: jump simulated time forward

Omitting "gpu" targets every GPU. Fault requests in real mode answer 409.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CollectorRegistry

from gpu_sim.backend import FaultControl, GpuBackend
from gpu_sim.errors import ConfigError, FaultError, FaultsUnsupportedError
from gpu_sim.exporter import CONTENT_TYPE, build_registry, render_metrics
from gpu_sim.faults import FaultName

LOG = logging.getLogger(__name__)
MAX_BODY_BYTES = 64 * 1024
FAULT_PREFIX = "/admin/faults/"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"


def json_response(status: int, payload: object) -> Response:
    return Response(status, (json.dumps(payload, sort_keys=True) + "\n").encode())


def error(status: int, message: str) -> Response:
    return json_response(status, {"error": message})


def parse_body(body: bytes) -> dict[str, object]:
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"request body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError("request body must be a JSON object")
    return data


def pop_gpu(data: dict[str, object], query: dict[str, list[str]]) -> int | None:
    """The target GPU from the body's "gpu" or the ``?gpu=`` query; None means all."""
    gpu = data.pop("gpu", None)
    if gpu is None and query.get("gpu"):
        text = query["gpu"][0]
        if not text.isdigit():
            raise FaultError(f"gpu must be an integer index, got {text!r}")
        gpu = int(text)
    if gpu is not None and (isinstance(gpu, bool) or not isinstance(gpu, int)):
        raise FaultError(f"gpu must be an integer index, got {gpu!r}")
    return gpu


class AdminApp:
    """Transport-free request router (the HTTP handler only moves bytes)."""

    def __init__(
        self,
        backend: GpuBackend,
        registry: CollectorRegistry | None = None,
        hostname: str | None = None,
        time_scale: float | None = None,
    ) -> None:
        self.backend = backend
        self.registry = registry or build_registry(backend, hostname)
        self.time_scale = time_scale

    def handle(self, method: str, target: str, body: bytes = b"") -> Response:
        parts = urlsplit(target)
        path, query = parts.path.rstrip("/") or "/", parse_qs(parts.query)
        try:
            return self._route(method, path, query, body)
        except FaultsUnsupportedError as exc:
            return error(409, str(exc))
        except (FaultError, ConfigError) as exc:
            return error(400, str(exc))

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: bytes) -> Response:
        if path.startswith(FAULT_PREFIX):
            return self._fault(method, path[len(FAULT_PREFIX) :], query, body)
        methods = self._routes.get(path)
        if methods is None:
            return error(404, f"no route {path}")
        handler = methods.get(method)
        if handler is None:
            allowed = " or ".join(sorted(methods))
            return error(405, f"method {method} not allowed on {path}; use {allowed}")
        return handler(body)

    @property
    def _routes(self) -> dict[str, dict[str, Callable[[bytes], Response]]]:
        return {
            "/metrics": {"GET": self._metrics},
            "/healthz": {"GET": lambda _body: Response(200, b"ok\n", "text/plain")},
            "/admin/faults": {
                "GET": lambda _body: json_response(200, self.state()),
                "DELETE": self._clear,
            },
            "/admin/load": {"POST": lambda body: self._load(parse_body(body))},
            "/admin/advance": {"POST": lambda body: self._advance(parse_body(body))},
        }

    def _metrics(self, _body: bytes) -> Response:
        return Response(200, render_metrics(self.registry), CONTENT_TYPE)

    def state(self) -> dict[str, object]:
        try:
            state = self.backend.fault_control().state()
        except FaultsUnsupportedError as exc:
            gpus = [
                {"gpu": i, "uuid": self.backend.identity(i).uuid} for i in range(self.backend.device_count())
            ]
            return {"mode": self.backend.mode, "faults_supported": False, "reason": str(exc), "gpus": gpus}
        return {**state, "faults_supported": True, "time_scale": self.time_scale}

    def _control(self) -> FaultControl:
        return self.backend.fault_control()

    def _clear(self, _body: bytes) -> Response:
        self._control().clear_all()
        return json_response(200, self.state())

    def _fault(self, method: str, name: str, query: dict[str, list[str]], body: bytes) -> Response:
        if name not in {fault.value for fault in FaultName}:
            known = ", ".join(fault.value for fault in FaultName)
            return error(404, f"unknown fault {name!r}; known faults: {known}")
        if method not in ("POST", "DELETE"):
            return error(405, f"method {method} not allowed here; use POST or DELETE")
        control = self._control()
        data = parse_body(body)
        gpu = pop_gpu(data, query)
        if method == "POST":
            control.enable_fault(name, gpu, data)
        else:
            if data:
                raise FaultError(f"switching a fault off takes only 'gpu', got {sorted(data)}")
            control.disable_fault(name, gpu)
        return json_response(200, self.state())

    def _load(self, data: dict[str, object]) -> Response:
        control = self._control()
        gpu = pop_gpu(data, {})
        utilization = data.pop("utilization", None)
        memory = data.pop("memory_used_mib", None)
        if data:
            raise ConfigError(f"unknown load parameter(s): {', '.join(sorted(data))}")
        if isinstance(utilization, bool) or not isinstance(utilization, (int, float)):
            raise ConfigError("'utilization' (0-100) is required and must be a number")
        if memory is not None and (isinstance(memory, bool) or not isinstance(memory, int)):
            raise ConfigError("'memory_used_mib' must be an integer")
        control.set_load(gpu, float(utilization), memory)
        return json_response(200, self.state())

    def _advance(self, data: dict[str, object]) -> Response:
        control = self._control()
        seconds = data.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or len(data) != 1:
            raise ConfigError('body must be {"seconds": <number>}')
        control.advance(float(seconds))
        return json_response(200, self.state())


class _Handler(BaseHTTPRequestHandler):
    server: ExporterServer
    protocol_version = "HTTP/1.1"

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            response = error(413, f"body larger than {MAX_BODY_BYTES} bytes")
            self.close_connection = True
        else:
            body = self.rfile.read(length) if length > 0 else b""
            response = self.server.app.handle(self.command, self.path, body)
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _dispatch

    def log_message(self, fmt: str, *args: object) -> None:
        LOG.debug("%s - %s", self.address_string(), fmt % args)


class ExporterServer(ThreadingHTTPServer):
    """ThreadingHTTPServer bound to ``(host, port)`` serving an :class:`AdminApp`."""

    daemon_threads = True

    def __init__(self, host: str, port: int, app: AdminApp) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        self.app = app
        super().__init__((host, port), _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def start_in_thread(self, poll_interval: float = 0.05) -> threading.Thread:
        """Serve from a daemon thread (stop with ``shutdown()``; tests and embedding)."""
        thread = threading.Thread(
            target=self.serve_forever, args=(poll_interval,), name="gpu-sim-http", daemon=True
        )
        thread.start()
        return thread
