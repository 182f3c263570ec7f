"""Admin API and /metrics over HTTP on 127.0.0.1, plus the command line."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from gpu_sim import (
    AdminApp,
    BackendUnavailableError,
    ExporterServer,
    GpuSimulator,
    NvmlApi,
    RealBackend,
    SimBackend,
    SimConfig,
    SimNvml,
)
from gpu_sim import backend as backend_module
from gpu_sim.cli import main
from gpu_sim.faults import progress

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def server() -> Iterator[ExporterServer]:
    backend = SimBackend(GpuSimulator(SimConfig(gpu_count=2)))
    srv = ExporterServer("127.0.0.1", 0, AdminApp(backend, hostname="test-node", time_scale=1.0))
    thread = srv.start_in_thread()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(timeout=5)


def call(srv: ExporterServer, method: str, path: str, body: object | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
    try:
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if payload else {}
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def call_json(
    srv: ExporterServer, method: str, path: str, body: object | None = None
) -> tuple[int, dict[str, object]]:
    status, raw = call(srv, method, path, body)
    data = json.loads(raw)
    assert isinstance(data, dict)
    return status, data


def temperatures(srv: ExporterServer) -> dict[str, float]:
    status, raw = call(srv, "GET", "/metrics")
    assert status == 200
    return {
        sample.labels["gpu"]: sample.value
        for family in text_string_to_metric_families(raw.decode())
        if family.name == "DCGM_FI_DEV_GPU_TEMP"
        for sample in family.samples
    }


def gpu_entry(state: dict[str, object], gpu: int) -> dict[str, object]:
    gpus = state["gpus"]
    assert isinstance(gpus, list)
    entry = gpus[gpu]
    assert isinstance(entry, dict)
    return entry


def test_admin_round_trip(server: ExporterServer) -> None:
    status, state = call_json(server, "GET", "/admin/faults")
    assert status == 200 and state["mode"] == "sim" and state["faults_supported"] is True
    assert call_json(server, "POST", "/admin/load", {"gpu": 0, "utilization": 95})[0] == 200
    status, state = call_json(server, "POST", "/admin/faults/overheat", {"gpu": 0})
    assert status == 200
    assert gpu_entry(state, 0)["faults"] == {
        "overheat": {"active": True, "cooling_factor": 12.0, "progress": progress(True)},
        "xid": {"active": False, "count": 0, "last_code": 0, "progress": progress(False)},
        "fb_exhaustion": {"active": False, "free_mib": None, "progress": progress(False)},
        "gpu_lost": {"active": False, "progress": progress(False)},
    }
    assert call_json(server, "POST", "/admin/advance", {"seconds": 300})[0] == 200
    temps = temperatures(server)
    assert temps["0"] > 85 and temps["1"] < 40
    status, state = call_json(server, "DELETE", "/admin/faults/overheat?gpu=0")
    assert status == 200 and gpu_entry(state, 0)["healthy"] is True
    call_json(server, "POST", "/admin/advance", {"seconds": 300})
    assert temperatures(server)["0"] < 85


def test_gpu_lost_and_clear_all_over_http(server: ExporterServer) -> None:
    assert call_json(server, "POST", "/admin/faults/gpu_lost", {"gpu": 1})[0] == 200
    assert call_json(server, "POST", "/admin/faults/xid", {"gpu": 0, "code": 48})[0] == 200
    assert set(temperatures(server)) == {"0"}
    status, state = call_json(server, "DELETE", "/admin/faults")
    assert status == 200
    assert all(gpu_entry(state, i)["healthy"] for i in range(2))
    assert json.loads(json.dumps(gpu_entry(state, 0)["faults"]))["xid"]["count"] == 1  # counter kept
    assert set(temperatures(server)) == {"0", "1"}


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "needle"),
    [
        ("POST", "/admin/faults/meltdown", {}, 404, "unknown fault"),
        ("POST", "/admin/faults/overheat", {"gpu": 9}, 400, "no such gpu"),
        ("POST", "/admin/faults/overheat", [1], 400, "JSON object"),
        ("POST", "/admin/load", {"gpu": 0}, 400, "utilization"),
        ("POST", "/admin/load", {"gpu": 0, "utilization": 150}, 400, "utilization"),
        ("GET", "/admin/load", None, 405, "use POST"),
        ("PUT", "/metrics", None, 405, "use GET"),
        ("GET", "/nope", None, 404, "no route"),
    ],
)
def test_bad_requests(
    server: ExporterServer, method: str, path: str, body: object, status: int, needle: str
) -> None:
    got, data = call_json(server, method, path, body)
    assert got == status
    assert needle in str(data["error"])


def test_invalid_json_body(server: ExporterServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    conn.request("POST", "/admin/faults/xid", body=b"{not json")
    response = conn.getresponse()
    assert response.status == 400
    assert "not valid JSON" in json.loads(response.read())["error"]
    conn.close()


def test_faults_refused_in_real_mode() -> None:
    nvml = SimNvml(GpuSimulator(SimConfig(gpu_count=1)))
    nvml.nvmlInit()
    app = AdminApp(RealBackend(nvml, 1), hostname="gpu-box")
    response = app.handle("POST", "/admin/faults/overheat", b'{"gpu": 0}')
    assert response.status == 409
    assert "refused in real mode" in json.loads(response.body)["error"]
    assert app.handle("DELETE", "/admin/faults").status == 409
    assert app.handle("POST", "/admin/load", b'{"utilization": 5}').status == 409
    state = json.loads(app.handle("GET", "/admin/faults").body)
    assert state["mode"] == "real" and state["faults_supported"] is False
    assert nvml.simulator.active_faults(0) == []
    assert b"DCGM_FI_DEV_GPU_TEMP" in app.handle("GET", "/metrics").body


@pytest.mark.parametrize(
    "argv",
    [["--port", "99999"], ["--gpus", "0"], ["--mode", "fake"], ["--time-scale", "-1"], ["--x"]],
)
def test_cli_rejects_bad_flags(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_cli_mode_real_without_gpu_exits_non_zero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def missing() -> NvmlApi:
        raise BackendUnavailableError("NVML failed to initialise: NVML Shared Library Not Found")

    monkeypatch.setattr(backend_module, "load_pynvml", missing)
    assert main(["--mode", "real", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert "--mode real" in err and "NVML Shared Library Not Found" in err


@pytest.mark.slow
def test_import_has_no_side_effects() -> None:
    code = (
        "import threading, prometheus_client, gpu_sim, gpu_sim.__main__\n"
        "assert threading.active_count() == 1\n"
        "names = {m.name for m in prometheus_client.REGISTRY.collect()}\n"
        "assert not any(n.startswith('DCGM') for n in names), names\n"
        "print('clean')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "clean"


@pytest.mark.slow
def test_entry_point_serves_and_stops_on_sigterm() -> None:
    cmd = [
        sys.executable,
        "-m",
        "gpu_sim",
        "--port",
        "0",
        "--gpus",
        "1",
        "--mode",
        "auto",
        "--time-scale",
        "50",
        "--log-level",
        "WARNING",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "serving 1 GPU(s)" in line and "http://127.0.0.1:" in line
        port = int(line.rsplit(":", 1)[1].split("/")[0])
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/metrics")
        body = conn.getresponse().read().decode()
        conn.close()
        assert "DCGM_FI_DEV_GPU_TEMP{" in body and 'gpu="0"' in body
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    if "mode=sim" in line:
        assert "no NVIDIA GPU found (reason: " in err
