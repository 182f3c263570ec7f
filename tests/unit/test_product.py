"""obsdrill as a product: shipped data through importlib.resources, layered config, `obsdrill init`, and the
explicit package list of the wheel."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

from harness import layers, resources
from harness.cli import main
from harness.errors import ConfigError
from harness.init import TEMPLATES, scaffold
from harness.settings import Settings, project_root


def test_shipped_data_is_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert (resources.stack_dir() / "prometheus" / "prometheus.yml").is_file()
    assert (resources.scenarios_dir() / "error-burst.yaml").is_file()
    settings = Settings.from_env({})
    assert settings.config_dir == resources.stack_dir() and settings.scenarios_dir == resources.scenarios_dir()
    assert settings.reports_dir == tmp_path / "reports"  # the caller's working directory
    assert settings.cache_dir == tmp_path / ".cache" / "obsdrill"


def test_a_user_dir_overrides_only_its_files(tmp_path: Path) -> None:
    user = tmp_path / "config"
    (user / "alertmanager").mkdir(parents=True)
    (user / "alertmanager" / "alertmanager.yml").write_text("route: {receiver: x}\nreceivers: [{name: x}]\n")
    merged = layers.materialise(user, tmp_path / "cache")
    assert (merged / "alertmanager" / "alertmanager.yml").read_text().startswith("route: {receiver: x}")
    shipped = resources.stack_dir()
    for rel in ("prometheus/prometheus.yml", "images/services.yaml", "images/scripts/otelcol.sh",
                "otelcol/config.yaml", "grafana/provisioning/datasources/datasources.yaml"):
        assert (merged / rel).read_bytes() == (shipped / rel).read_bytes()
    origin = {f.path: f.origin for f in layers.provenance(merged)}
    assert origin["alertmanager/alertmanager.yml"] == "user" and origin["images/services.yaml"] == "shipped"
    assert layers.materialise(user, tmp_path / "cache") == merged  # same content, same dir
    assert layers.materialise(merged, tmp_path / "cache") == merged


def test_build_scripts_stay_executable_in_the_merged_dir(tmp_path: Path) -> None:
    (tmp_path / "config").mkdir()
    merged = layers.materialise(tmp_path / "config", tmp_path / "cache")
    script = "images/scripts/otelcol.sh"
    assert (merged / script).stat().st_mode == (resources.stack_dir() / script).stat().st_mode


def test_a_missing_user_dir_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        layers.materialise(tmp_path / "nope", tmp_path / "cache")


def test_validate_accepts_a_config_dir_without_images_and_says_where_files_came_from(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("OBSDRILL_CACHE_DIR", str(tmp_path / "cache"))
    user = tmp_path / "mine"
    (user / "prometheus").mkdir(parents=True)
    rules = (resources.stack_dir() / "prometheus" / "alert_rules.yml").read_text()
    (user / "prometheus" / "alert_rules.yml").write_text(rules)
    assert main(["validate", "--config-dir", str(user)]) == 0
    out = capsys.readouterr().out
    assert f"user     {'prometheus/alert_rules.yml':52} {user / 'prometheus' / 'alert_rules.yml'}" in out
    assert "shipped  images/services.yaml" in out


def test_init_scaffolds_a_project_that_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "demo"
    assert main(["init", str(target)]) == 0
    for rel in ("config/prometheus/prometheus.yml", "config/prometheus/alert_rules.yml",
                "config/alertmanager/alertmanager.yml", "scenarios/error-burst.yaml", *TEMPLATES.values()):
        assert (target / rel).is_file(), rel
    assert not (target / "config" / "images").exists()  # layered from the shipped defaults
    compile((target / "tests" / "test_monitoring.py").read_text(), "test_monitoring.py", "exec")
    for ci in (".github/workflows/obsdrill.yml", ".gitlab-ci.yml"):
        text = (target / ci).read_text()
        assert "obsdrill run --junitxml" in text and "allure-history" in text
    monkeypatch.chdir(target)
    monkeypatch.setenv("OBSDRILL_CACHE_DIR", str(tmp_path / "cache"))
    capsys.readouterr()
    assert main(["validate"]) == 0
    assert f"ok  {target / 'scenarios' / 'error-burst.yaml'}" in capsys.readouterr().out


def test_init_refuses_a_non_empty_dir_unless_forced(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["init", str(tmp_path)]) == 2
    assert "is not empty" in capsys.readouterr().err
    assert not (tmp_path / "config").exists()
    written = scaffold(tmp_path, force=True)
    assert tmp_path / "config" / "alertmanager" / "alertmanager.yml" in written
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_the_wheel_package_list_matches_the_tree() -> None:
    root = project_root()
    config = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    code = {".".join(p.parent.relative_to(root).parts) for top in ("harness", "synthetic_services", "gpu_sim")
            for p in (root / top).rglob("__init__.py")}
    data = {name for name in config["packages"] if name not in code}
    assert code <= set(config["packages"])
    assert data == {"harness.templates", "harness._data.stack", "harness._data.scenarios"}
    assert config["package-dir"] == {"harness._data.stack": "stack", "harness._data.scenarios": "scenarios"}


def _imported_tops(paths: list[Path]) -> set[str]:
    tops = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                tops.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                tops.add(node.module.split(".")[0])
    return tops


def test_what_the_harness_imports_is_a_core_dependency() -> None:
    """`pip install obsdrill` without extras runs every command: each third-party module the harness (and the
    pure-data modules of synthetic_services it reads) imports is installed by a core dependency."""
    root = project_root()
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    core = {re.split(r"[<>=!~ \[;]", dep, maxsplit=1)[0].lower().replace("_", "-") for dep in project["dependencies"]}
    by_module = importlib.metadata.packages_distributions()
    paths = [*(root / "harness").rglob("*.py"), root / "synthetic_services" / "platform.py",
             root / "synthetic_services" / "envvars.py"]
    ours = {"harness", "synthetic_services", "gpu_sim"}
    third_party = {top for top in _imported_tops(paths) - ours - set(sys.stdlib_module_names)}
    missing = {}
    for top in sorted(third_party):
        dists = {d.lower().replace("_", "-") for d in by_module.get(top, [top])}
        required = {d for dep in core for d in dists if d == dep or _requires(dep, d)}
        if not required:
            missing[top] = sorted(dists)
    assert not missing, f"imported by the harness but not installed by a core dependency: {missing}"


def _requires(dependency: str, dist: str) -> bool:
    """``dist`` is installed because the core ``dependency`` requires it (one level: gevent by locust, ...)."""
    try:
        requires = importlib.metadata.requires(dependency) or []
    except importlib.metadata.PackageNotFoundError:
        return False
    return any(re.split(r"[<>=!~ \[;(]", r, maxsplit=1)[0].lower().replace("_", "-") == dist
               for r in requires if "extra ==" not in r)


def test_the_architecture_doc_lists_the_checked_layers() -> None:
    """docs/architecture.md's layer diagram is the import-linter contract of pyproject.toml, line for line."""
    root = project_root()
    contract = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]
    doc = (root / "docs" / "architecture.md").read_text().split("## The engine's layers", 1)[1]
    block = doc.split("```", 2)[1].strip().splitlines()
    drawn = [re.split(r"\s{2,}", line.strip(), maxsplit=1)[0] for line in block]
    assert [" | ".join(p.strip() for p in line.split("|")) for line in drawn] == contract["layers"]
