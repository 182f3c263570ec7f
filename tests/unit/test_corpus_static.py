"""The corpus of real-config shapes (tests/corpus/<case>/), checked without starting anything: each config
loads and renders (templates, rule files in subdirectories and globs, `*_file` settings travel with it),
every scenario (pass.yaml or pass-*.yaml, and fail.yaml) validates against it, and the case names the
defect its failing scenario must report."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from harness.config import load_source
from harness.render import render
from harness.scenario.check import validate
from harness.settings import project_root

CORPUS = project_root() / "tests" / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "case.yaml").is_file())


def test_the_corpus_covers_the_shapes() -> None:
    assert set(CASES) >= {"watchdog", "continue-fanout", "templates", "rule-globs", "time-intervals",
                          "external-labels", "alert-relabel", "match-deprecated", "group-by-all", "inhibit-equal",
                          "keep-firing-for", "annotation-functions", "node-pack"}


@pytest.mark.parametrize("case", CASES)
def test_case_loads_renders_and_validates(case: str, tmp_path: Path) -> None:
    config = CORPUS / case / "config"
    rendered = render(load_source(config), 0.1, tmp_path / "run")
    for name, _ in load_source(config).rule_files:
        assert (tmp_path / "run" / "prometheus" / name).is_file(), name
    passing = sorted((CORPUS / case).glob("pass*.yaml"))
    assert passing, f"{case}: no passing scenario"
    result = validate([*passing, CORPUS / case / "fail.yaml"], config, env={})
    assert result.passed, result.problems
    assert yaml.safe_load((CORPUS / case / "case.yaml").read_text())["defect"]
    assert rendered.rules


def test_watchdog_is_recognised_as_background() -> None:
    assert load_source(CORPUS / "watchdog" / "config").background() == ["Watchdog"]


def test_rule_globs_in_subdirectories() -> None:
    source = load_source(CORPUS / "rule-globs" / "config")
    assert [name for name, _ in source.rule_files] == ["rules/team.yml"]


def test_templates_travel_and_are_named(tmp_path: Path) -> None:
    rendered = render(load_source(CORPUS / "templates" / "config"), 0.1, tmp_path)
    assert (tmp_path / "alertmanager" / "templates" / "team.tmpl").is_file()
    am = yaml.safe_load((tmp_path / "alertmanager" / "alertmanager.yml").read_text())
    assert am["templates"] == ["templates/team.tmpl"]
    assert "copied template templates/team.tmpl (templates[0] 'templates/*.tmpl')" in rendered.copied


def test_file_settings_are_copied_or_stood_in_for(tmp_path: Path) -> None:
    config = tmp_path / "cfg"
    shutil.copytree(CORPUS / "rule-globs" / "config", config)
    (config / "prometheus" / "secrets").mkdir()
    (config / "prometheus" / "secrets" / "token").write_text("s3cret\n")
    prom = yaml.safe_load((config / "prometheus" / "prometheus.yml").read_text())
    prom["scrape_configs"][0]["authorization"] = {"credentials_file": "secrets/token"}
    prom["scrape_configs"][0]["tls_config"] = {"ca_file": "/nonexistent/ca.pem"}
    (config / "prometheus" / "prometheus.yml").write_text(yaml.safe_dump(prom))
    am = yaml.safe_load((config / "alertmanager" / "alertmanager.yml").read_text())
    am["receivers"][1]["webhook_configs"][0]["http_config"] = {"basic_auth": {"username": "u",
                                                                              "password_file": "/run/secrets/hook"}}
    (config / "alertmanager" / "alertmanager.yml").write_text(yaml.safe_dump(am))
    out = tmp_path / "run"
    rendered = render(load_source(config), 0.1, out)
    assert (out / "prometheus" / "secrets" / "token").read_text() == "s3cret\n"
    job = yaml.safe_load((out / "prometheus" / "prometheus.yml").read_text())["scrape_configs"][0]
    assert job["tls_config"] == {"insecure_skip_verify": True}
    hook = yaml.safe_load((out / "alertmanager" / "alertmanager.yml").read_text())["receivers"][1]
    placeholder = hook["webhook_configs"][0]["http_config"]["basic_auth"]["password_file"]
    assert (out / "alertmanager" / placeholder).is_file()
    notes = "\n".join(rendered.copied)
    assert "copied prometheus.yml.scrape_configs[0].authorization.credentials_file 'secrets/token'" in notes
    assert "'/nonexistent/ca.pem' not found: dropped, TLS verification off" in notes
    assert "'/run/secrets/hook' not found: replaced by the harness's placeholder" in notes


def test_a_missing_rule_file_is_a_config_error_not_a_traceback(tmp_path: Path) -> None:
    from harness.errors import ConfigError

    config = tmp_path / "cfg"
    shutil.copytree(CORPUS / "watchdog" / "config", config)
    (config / "prometheus" / "rules.yml").unlink()
    with pytest.raises(ConfigError, match=r"rule_files\[0\]: 'rules.yml': file not found"):
        load_source(config)
