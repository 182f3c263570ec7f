"""docker-compose.yml is generated from the harness's topology (harness/compose.py); the committed file must
equal what the generator produces now, and describe the same containers the harness starts."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import testcontainers.core.container as tc_container
import yaml

from harness import compose, topology
from harness.cli import main
from harness.components.base import RunContext
from harness.images import ImageChoice, load_recipes
from harness.settings import OWNER_LABEL, Settings, project_root
from harness.volumes import DataVolume

COMMITTED = project_root() / compose.COMPOSE_FILE
FULL = {"elasticsearch", "jaeger", "otelcol", "sink", *topology.SERVICES, "gpu-sim", "node-exporter",
        "alertmanager", "prometheus", "grafana"}


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


class _NoEngine:
    def __init__(self, **kwargs: Any) -> None:
        pass


@pytest.fixture
def harness_containers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The full stack's containers built the way Stack._start builds them (no engine: its client is stubbed)."""
    monkeypatch.setattr(tc_container, "DockerClient", _NoEngine)
    settings = _settings()
    recipes = load_recipes(settings.config_dir / "images")
    images = {n: ImageChoice(n, recipes[n].upstream or recipes[n].tag, "upstream", "test")
              for n in topology.FULL_IMAGES}
    run = RunContext("t", {OWNER_LABEL: "obsdrill"}, SimpleNamespace(name="n"), tmp_path)  # type: ignore[arg-type]
    tiers = topology.build(settings, images, run, DataVolume("data", None, 64, "test"))
    return {c.alias: c for c in tiers.all()}


def test_committed_file_is_what_the_generator_produces_now(generated: tuple[str, Path]) -> None:
    assert COMMITTED.is_file(), "docker-compose.yml is missing: run `obsdrill compose`"
    assert COMMITTED.read_text() == generated[0], (
        "docker-compose.yml no longer matches the harness's topology: run `obsdrill compose` and commit it")


def test_every_component_of_the_full_topology(document: dict[str, Any], harness_containers: dict[str, Any]) -> None:
    assert set(document["services"]) == FULL == set(harness_containers)
    assert document["name"] == compose.PROJECT


def test_ports_only_on_loopback_with_the_harness_container_ports(
        document: dict[str, Any], harness_containers: dict[str, Any]) -> None:
    for name, service in document["services"].items():
        assert service["ports"], name
        for port in service["ports"]:
            assert port.startswith("127.0.0.1:"), f"{name}: {port}"
        container_ports = [p.rsplit(":", 1)[1] for p in service["ports"]]
        assert container_ports == [k.removesuffix("/tcp") for k in harness_containers[name].ports], name
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


def test_commands_environment_and_mounts_equal_the_harness(
        document: dict[str, Any], harness_containers: dict[str, Any]) -> None:
    for name, container in harness_containers.items():
        service = document["services"][name]
        assert service.get("command") == container._command, name
        assert service.get("environment", {}) == container.env, name
        assert [v.split(":", 1)[1] for v in service.get("volumes", [])] == [
            f"{m['bind']}:{m['mode']}" for m in container.volumes.values()], name
        assert service.get("tmpfs", []) == [f"{p}:{o}" for p, o in container.tmpfs.items()], name


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


def test_building_the_document_leaves_testcontainers_untouched(generated: tuple[str, Path]) -> None:
    assert tc_container.DockerClient.__name__ == "DockerClient"
