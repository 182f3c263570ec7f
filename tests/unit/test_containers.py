"""One container spec, two consumers: the spec -> Testcontainers path (what ObsContainer asks the engine to
create, URLs resolved once per start) and the spec -> Compose path; the Stack hands out cached clients."""

from __future__ import annotations

import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from docker.types import Ulimit as DockerUlimit

from harness import compose, topology
from harness.components.prometheus import prometheus
from harness.components.services import gpu_sim
from harness.components.spec import ContainerSpec, Mount, Readiness, RunContext, Tmpfs, Ulimit, container
from harness.config import load_source
from harness.errors import ConfigError
from harness.images import ImageChoice, load_recipes
from harness.settings import Settings
from harness.stack import Stack
from harness.volumes import DataVolume
from tests.unit.fake_engine import no_ryuk, started

__all__ = ["no_ryuk"]  # a fixture
LABELS = (("io.obsdrill.owner", "obsdrill"), ("io.obsdrill.run", "r1"))


def _spec(root: Path) -> ContainerSpec:
    run = RunContext("r1", LABELS, root)
    return replace(
        container(run, "thing", "example/thing:1", Readiness(9090, ("/ready",))),
        command=("--flag", "value"), env=(("A", "1"), ("B", "two")), ports=(9090, 9091),
        mounts=(Mount(root / "conf", "/etc/thing", "ro"), Mount(root / "state", "/var/lib/thing", "rw", 0o777)),
        tmpfs=(Tmpfs("/scratch", "16m", "0777"),), user="65534:65534", ulimits=(Ulimit("nofile", 1024, 4096),))


def test_spec_to_testcontainers_create_call(tmp_path: Path, no_ryuk: None) -> None:
    call = started(_spec(tmp_path)).created()
    assert call["image"] == "example/thing:1"
    assert call["name"] == "obsdrill-r1-thing"
    assert call["command"] == ["--flag", "value"]
    assert call["environment"] == {"A": "1", "B": "two"}
    assert call["ports"] == {"9090/tcp": ("127.0.0.1", None), "9091/tcp": ("127.0.0.1", None)}
    assert call["volumes"] == {str(tmp_path / "conf"): {"bind": "/etc/thing", "mode": "ro"},
                               str(tmp_path / "state"): {"bind": "/var/lib/thing", "mode": "rw"}}
    assert call["tmpfs"] == {"/scratch": "size=16m,mode=0777"}
    assert call["network"] == "run-net"
    assert call["networking_config"]["run-net"]["Aliases"] == ["thing"]
    assert call["labels"] == {**dict(LABELS), "io.obsdrill.component": "thing"}
    assert call["user"] == "65534:65534"
    assert call["ulimits"] == [DockerUlimit(name="nofile", soft=1024, hard=4096)]


def test_spec_to_compose_service(tmp_path: Path) -> None:
    taken: set[int] = set()
    entry = compose.service_entry(_spec(tmp_path), tmp_path, taken)
    assert entry == {
        "image": "example/thing:1", "command": ["--flag", "value"], "environment": {"A": "1", "B": "two"},
        "volumes": ["./conf:/etc/thing:ro", "./state:/var/lib/thing:rw"], "tmpfs": ["/scratch:size=16m,mode=0777"],
        "ports": ["127.0.0.1:9090:9090", "127.0.0.1:9091:9091"], "networks": {"obsdrill": {"aliases": ["thing"]}},
        "labels": {**dict(LABELS), "io.obsdrill.component": "thing"}, "user": "65534:65534",
        "ulimits": {"nofile": {"soft": 1024, "hard": 4096}}}
    again = compose.service_entry(_spec(tmp_path), tmp_path, taken)
    assert again["ports"] == ["127.0.0.1::9090", "127.0.0.1::9091"]  # published already: the engine picks
    assert "user" not in compose.service_entry(prometheus("p:1", RunContext("r1", LABELS, tmp_path)), tmp_path, set())


def test_compose_refuses_a_mount_outside_its_root(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="outside"):
        compose.service_entry(_spec(tmp_path / "elsewhere"), tmp_path / "root", set())


def test_prepare_run_dir_makes_the_dirs_containers_write(tmp_path: Path) -> None:
    settings = Settings.from_env(env={})
    recipes = load_recipes(settings.config_dir / "images")
    images = {n: ImageChoice(n, recipes[n].tag, "local", "test") for n in topology.FULL_IMAGES}
    tiers = topology.build(settings, images, RunContext("r1", LABELS, tmp_path), DataVolume("data", None, 64, "t"))
    topology.prepare_run_dir(settings, load_source(settings.config_dir), tmp_path, tiers)
    assert stat.S_IMODE((tmp_path / "logs").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "otelcol-state").stat().st_mode) == 0o777
    assert (tmp_path / "prometheus" / "prometheus.yml").is_file() and (tmp_path / "otelcol").is_dir()


@contextmanager
def serve(seen: list[tuple[str, str, str | None]], missing: frozenset[str] = frozenset()) -> Iterator[int]:
    """A 127.0.0.1 server answering 200 ``{}`` to GET and DELETE (404 for ``missing`` paths); yields its port
    and records (method, path, Authorization header)."""

    class _Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            seen.append((self.command, self.path, self.headers.get("Authorization")))
            self.send_response(404 if self.path in missing else 200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        do_GET = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_urls_resolved_once_per_start_and_again_after_a_restart(tmp_path: Path, no_ryuk: None) -> None:
    seen: list[tuple[str, str, str | None]] = []
    with serve(seen) as first, serve(seen) as second:
        box = started(gpu_sim("s:1", RunContext("r1", LABELS, tmp_path)))
        box.engine.host_ports[9400] = first
        assert box.wait_ready(5) >= 0 and box.url() == box.url() == f"http://127.0.0.1:{first}"
        assert box.engine.port_calls == 1
        box.wrapped.status = "exited"
        assert not box.is_running()
        box.engine.host_ports[9400] = second
        box.restart(5)
        assert box.wrapped.starts == 2
        assert box.url() == f"http://127.0.0.1:{second}" and box.engine.port_calls == 2
    assert seen[-1][:2] == ("GET", "/healthz")


def test_readiness_asks_every_path_with_its_credentials(tmp_path: Path, no_ryuk: None) -> None:
    spec = replace(_spec(tmp_path), readiness=Readiness(9090, ("/a", "/b"), auth=("admin", "pw")))
    seen: list[tuple[str, str, str | None]] = []
    with serve(seen, missing=frozenset({"/b"})) as port:
        box = started(spec)
        box.engine.host_ports[9090] = port
        assert not box.is_ready()
        assert [(m, p) for m, p, _ in seen] == [("GET", "/a"), ("GET", "/b")]
        assert {a for _, _, a in seen} == {"Basic YWRtaW46cHc="}


def test_stack_hands_out_cached_clients_until_a_restart(tmp_path: Path, no_ryuk: None) -> None:
    stack = Stack(Settings.from_env(env={}), SimpleNamespace(client=lambda: None), log=lambda _m: None,  # type: ignore[arg-type]
                  ready_timeout=5)
    seen: list[tuple[str, str, str | None]] = []
    with serve(seen) as first, serve(seen) as second:
        box = started(gpu_sim("s:1", RunContext("r1", LABELS, tmp_path)))
        box.engine.host_ports[9400] = first
        stack.containers["gpu-sim"] = box
        client = stack.service("gpu-sim")
        assert stack.service("gpu-sim") is client and client.url == f"http://127.0.0.1:{first}"
        stack.heal("gpu-sim")  # running: only its faults are cleared, same client
        assert stack.service("gpu-sim") is client and box.engine.port_calls == 1
        box.wrapped.status = "exited"
        box.engine.host_ports[9400] = second
        stack.heal("gpu-sim")
        assert stack.service("gpu-sim") is not client
        assert stack.service("gpu-sim").url == f"http://127.0.0.1:{second}"
    assert ("DELETE", "/admin/faults") in [(m, p) for m, p, _ in seen]
    assert seen[-1][:2] == ("DELETE", "/admin/faults")
