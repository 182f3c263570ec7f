"""The five services as plain processes on loopback, exporting spans over OTLP/HTTP to a receiver in this test:
one request through the gateway is one trace across every service, in the spans and in the JSON logs."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

pytestmark = pytest.mark.slow  # starts the services as processes

ORDER = ("payments", "cv-analyzer", "ai-generation", "backend", "gateway")
CALLS = {"gateway": ("backend",), "backend": ("cv-analyzer", "ai-generation", "payments"),
         "ai-generation": ("payments",)}


@dataclass
class Span:
    service: str
    name: str
    kind: int  # OTLP: 2 server, 3 client
    trace_id: str
    span_id: str
    parent: str


class OtlpReceiver(ThreadingHTTPServer):
    """POST /v1/traces (protobuf) -> ``spans``."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        super().__init__(("127.0.0.1", 0), _OtlpHandler)


class _OtlpHandler(BaseHTTPRequestHandler):
    server: OtlpReceiver

    def do_POST(self) -> None:
        export = ExportTraceServiceRequest.FromString(self.rfile.read(int(self.headers["Content-Length"])))
        for resource_spans in export.resource_spans:
            attrs = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope in resource_spans.scope_spans:
                self.server.spans.extend(Span(attrs["service.name"], s.name, s.kind, s.trace_id.hex(), s.span_id.hex(),
                                              s.parent_span_id.hex()) for s in scope.spans)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        return


def base_env() -> dict[str, str]:
    """This environment without OTel settings, with the repository importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"{url} exited with {proc.returncode}"
        try:
            if requests.get(f"{url}/health", timeout=1).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise AssertionError(f"{url} not healthy in {timeout}s")


def spawn(name: str, port: int, log_file: Path, env: dict[str, str], *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "synthetic_services", name, "--host", "127.0.0.1", "--port",
                             str(port), "--log-file", str(log_file), *extra], env=env, stdout=subprocess.DEVNULL)


@dataclass
class Platform:
    urls: dict[str, str]
    procs: dict[str, subprocess.Popen[bytes]]
    logs: Path
    receiver: OtlpReceiver


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    receiver = OtlpReceiver()
    threading.Thread(target=receiver.serve_forever, args=(0.05,), daemon=True).start()
    env = {**base_env(), "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver.server_address[1]}",
           "OTEL_TRACES_SAMPLER_ARG": "1.0"}
    ports = {name: free_port() for name in ORDER}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name in ORDER:
            wiring = [f"--downstream={d}={urls[d]}" for d in CALLS.get(name, ())]
            procs[name] = spawn(name, ports[name], tmp_path / f"{name}.log", env, *wiring)
        for name in ORDER:
            wait_healthy(urls[name], procs[name])
        yield Platform(urls, procs, tmp_path, receiver)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in procs.values():
            proc.wait(10)
        receiver.shutdown()
        receiver.server_close()


def check_logs(platform: Platform, correlation_id: str) -> list[dict[str, Any]]:
    """The JSON lines of this request in all five log files: one trace id, the correlation id everywhere."""
    lines = [json.loads(x) for name in ORDER for x in (platform.logs / f"{name}.log").read_text().splitlines()]
    mine = [line for line in lines if line.get("correlation_id") == correlation_id]
    assert {line["service"] for line in mine} == set(ORDER)
    assert len({line["trace_id"] for line in mine}) == 1 and len(mine[0]["trace_id"]) == 32
    assert all(line["request_id"] == correlation_id and line["user_id"] == "u-42" and len(line["span_id"]) == 16
               and line["logger"] == f"recoloca.{line['service']}" for line in mine)
    assert {line["event"] for line in mine} >= {"api_request", "cv_analysis", "ai_model_invocation", "payment"}
    return mine


def check_spans(platform: Platform, trace_id: str) -> list[Span]:
    """The exported spans of the trace: one root at the gateway, every server span the child of its caller's
    client span; returns the server spans."""
    spans = [s for s in platform.receiver.spans if s.trace_id == trace_id]
    by_id = {s.span_id: s for s in spans}
    servers = [s for s in spans if s.kind == 2]
    assert sorted(s.service for s in servers) == sorted(ORDER)
    assert [(s.service, s.name) for s in servers if not s.parent] == [("gateway", "POST /api/cv/improve")]
    edges = set()
    for server in (s for s in servers if s.parent):
        client = by_id[server.parent]
        assert client.kind == 3 and client.name.split()[1] == server.service
        edges.add((client.service, server.service))
    assert edges == {("gateway", "backend"), ("backend", "cv-analyzer"), ("backend", "ai-generation"),
                     ("ai-generation", "payments")}
    return servers


def test_one_request_through_the_gateway_is_one_trace_across_all_five_services(platform: Platform) -> None:
    correlation_id = f"test-{uuid.uuid4()}"
    answer = requests.post(f"{platform.urls['gateway']}/api/cv/improve", json={"user_type": "premium"},
                           headers={"X-Correlation-ID": correlation_id, "X-User-ID": "u-42"}, timeout=20)
    assert answer.status_code == 200 and answer.headers["X-Correlation-ID"] == correlation_id
    assert answer.json()["analysis"]["score"] > 0 and answer.json()["generation"]["status"] == "success"
    for proc in platform.procs.values():  # before the batch delay: spans must be flushed on SIGTERM
        proc.send_signal(signal.SIGTERM)
    assert all(proc.wait(10) == 0 for proc in platform.procs.values())
    lines = check_logs(platform, correlation_id)
    servers = check_spans(platform, lines[0]["trace_id"])
    assert {s.span_id for s in servers} <= {line["span_id"] for line in lines}  # api_request lines name them


def test_crash_answers_then_exits_with_the_exit_code(tmp_path: Path) -> None:
    port = free_port()
    proc = spawn("payments", port, tmp_path / "payments.log", base_env())
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc)
        answer = requests.put(f"http://127.0.0.1:{port}/admin/faults/crash", json={"exit_code": 3}, timeout=5)
        assert answer.status_code == 200 and answer.json()["faults"]["crash"]["exit_code"] == 3
        assert proc.wait(5) == 3
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    last = json.loads((tmp_path / "payments.log").read_text().splitlines()[-1])
    assert last["level"] == "CRITICAL" and last["action"] == "crash"


def test_cli_rejects_a_downstream_the_service_does_not_call() -> None:
    result = subprocess.run([sys.executable, "-m", "synthetic_services", "payments", "--downstream",
                             "backend=http://127.0.0.1:1"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "--downstream backend: payments calls only none" in result.stderr
