"""docker-compose.yml is generated from the harness's topology (harness/compose.py); the committed file must
equal what the generator produces now, and describe the same containers the harness starts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from harness import compose, topology
from harness.cli import main
from harness.components.base import LOOPBACK
from harness.components.spec import RunContext, owner_labels
from harness.images import ImageChoice, load_recipes
from harness.settings import OWNER_LABEL, Settings, project_root
from harness.volumes import DataVolume
from tests.unit.fake_engine import no_ryuk, started

COMMITTED = project_root() / compose.COMPOSE_FILE
FULL = {"elasticsearch", "jaeger", "otelcol", "sink", *topology.SERVICES, "gpu-sim", "node-exporter",
        "alertmanager", "prometheus", "grafana", "postgres", "redis", "postgres-exporter", "redis-exporter", "bugsink"}
__all__ = ["no_ryuk"]  # a fixture


def _settings() -> Settings:
    return Settings.from_env(env={})  # the defaults the committed file is generated with (time factor 0.1)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    out = tmp_path_factory.mktemp("compose")
    return compose.compose_text(_settings(), out), out


@pytest.fixture(scope="module")
def document(generated: tuple[str, Path]) -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(generated[0])
    return doc


@pytest.fixture
def engine_calls(generated: tuple[str, Path], no_ryuk: None) -> dict[str, dict[str, Any]]:
    """What the harness asks the engine to create for each container of the full stack: specs built as
    Stack._start builds them (same run dir as the compose file, so host paths compare), each started through
    ObsContainer on a recording engine."""
    settings = _settings()
    recipes = load_recipes(settings.config_dir / "images")
    images = {n: ImageChoice(n, recipes[n].upstream or recipes[n].tag, "upstream", "test")
              for n in topology.FULL_IMAGES}
    run = RunContext(compose.RUN_ID, tuple(owner_labels(compose.RUN_ID, {}).items()),
                     generated[1].resolve() / compose.CONFIG_SUBDIR)
    tiers = topology.build(settings, images, run, DataVolume("data", None, 64, "test"))
    return {spec.alias: started(spec).created() for spec in tiers.all()}


def test_committed_file_is_what_the_generator_produces_now(generated: tuple[str, Path]) -> None:
    assert COMMITTED.is_file(), "docker-compose.yml is missing: run `obsdrill compose`"
    assert COMMITTED.read_text() == generated[0], (
        "docker-compose.yml no longer matches the harness's topology: run `obsdrill compose` and commit it")


def test_every_component_of_the_full_topology(document: dict[str, Any],
                                             engine_calls: dict[str, dict[str, Any]]) -> None:
    assert set(document["services"]) == FULL == set(engine_calls)
    assert list(document["services"]) == list(engine_calls)  # start order
    assert document["name"] == compose.PROJECT


def test_ports_only_on_loopback_with_the_harness_container_ports(
        document: dict[str, Any], engine_calls: dict[str, dict[str, Any]]) -> None:
    for name, service in document["services"].items():
        assert service["ports"], name
        for port in service["ports"]:
            assert port.startswith("127.0.0.1:"), f"{name}: {port}"
        container_ports = [p.rsplit(":", 1)[1] for p in service["ports"]]
        ports = engine_calls[name]["ports"]
        assert container_ports == [k.removesuffix("/tcp") for k in ports], name
        assert set(ports.values()) == {(LOOPBACK, None)}, name
    assert "127.0.0.1:9090:9090" in document["services"]["prometheus"]["ports"]
    assert "127.0.0.1:8000:8000" in document["services"]["gateway"]["ports"]
    assert "127.0.0.1::8000" in document["services"]["backend"]["ports"]  # 8000 already taken by gateway


def test_labels_and_one_network_with_aliases(document: dict[str, Any]) -> None:
    assert list(document["networks"]) == [compose.NETWORK]
    assert document["networks"][compose.NETWORK]["labels"][OWNER_LABEL] == "obsdrill"
    for name, service in document["services"].items():
        assert service["labels"][OWNER_LABEL] == "obsdrill", name
        assert service["labels"]["io.obsdrill.component"] == name
        assert service["networks"] == {compose.NETWORK: {"aliases": [name]}}


def test_depends_on_follows_the_tiers(document: dict[str, Any]) -> None:
    services = document["services"]
    assert "elasticsearch" in services["otelcol"]["depends_on"]
    assert {*topology.SERVICES, "gpu-sim", "node-exporter", "alertmanager"} <= set(
        services["prometheus"]["depends_on"])
    assert "prometheus" in services["grafana"]["depends_on"]
    started: set[str] = set()
    for _ in services:  # a start order exists (no cycle, no unknown service)
        started |= {n for n, s in services.items() if set(s.get("depends_on", [])) <= started}
    assert started == set(services)


def test_commands_environment_mounts_and_labels_equal_the_harness(
        generated: tuple[str, Path], document: dict[str, Any], engine_calls: dict[str, dict[str, Any]]) -> None:
    root = generated[1].resolve()
    for name, call in engine_calls.items():
        service = document["services"][name]
        assert service["image"] == call["image"], name
        assert service.get("command") == call["command"], name
        assert service.get("environment", {}) == call["environment"], name
        assert [f"{(root / host).resolve()}:{rest}" for host, rest in
                (v.split(":", 1) for v in service.get("volumes", []))] == [
            f"{host}:{m['bind']}:{m['mode']}" for host, m in call["volumes"].items()], name
        assert service.get("tmpfs", []) == [f"{p}:{o}" for p, o in call["tmpfs"].items()], name
        assert service["labels"] == call["labels"], name
        assert service["networks"][compose.NETWORK]["aliases"] == call["networking_config"]["run-net"]["Aliases"], name
        assert service.get("user") == call.get("user"), name
        assert service.get("hostname") == call.get("hostname"), name


def test_images_are_the_recipes_upstream_or_the_local_services_tag(document: dict[str, Any]) -> None:
    recipes = load_recipes(_settings().config_dir / "images")
    for name, service in document["services"].items():
        recipe = recipes["services" if name in (*topology.SERVICES, "gpu-sim", "sink") else name]
        assert service["image"] == (recipe.upstream or recipe.tag), name
    assert document["services"]["gateway"]["image"].startswith("localhost/obsdrill/services:")


def test_data_is_tmpfs_and_paths_are_relative(generated: tuple[str, Path], document: dict[str, Any]) -> None:
    text, out = generated
    assert "/data:size=64m,mode=0777" in document["services"]["cv-analyzer"]["tmpfs"]
    assert "DiskSpaceLow" in text and "run `obsdrill compose` first" in text.lower()
    assert "obsdrill images build services" in text
    for name, service in document["services"].items():
        for volume in service.get("volumes", []):
            assert volume.startswith("./reports/compose/"), f"{name}: {volume}"
    for absolute in (str(out), str(project_root()), str(Path.home())):
        assert absolute not in text


def test_generator_writes_the_config_it_mounts(generated: tuple[str, Path], document: dict[str, Any]) -> None:
    _, out = generated
    for service in document["services"].values():
        for volume in service.get("volumes", []):
            assert (out / volume.split(":", 1)[0]).exists(), volume
    rendered = (out / compose.CONFIG_SUBDIR / "prometheus" / "prometheus.yml").read_text()
    assert "gateway:8000" in rendered


def test_cli_compose_writes_the_file(tmp_path: Path, generated: tuple[str, Path],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for key in [k for k in os.environ if k.startswith("OBSDRILL_")]:
        monkeypatch.delenv(key)
    assert main(["compose", "--out", str(tmp_path)]) == 0
    assert (tmp_path / compose.COMPOSE_FILE).read_text() == generated[0]
    assert (tmp_path / compose.CONFIG_SUBDIR / "logs").is_dir()
    assert (tmp_path / compose.CONFIG_SUBDIR / "alertmanager" / "alertmanager.yml").is_file()


def test_generating_needs_no_engine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    generated: tuple[str, Path]) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    assert compose.compose_text(_settings(), generated[1]) == generated[0]
