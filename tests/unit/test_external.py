"""--stack external: the target from file/options/env, the deployed config read from the servers' APIs, the
alert-groups stand-in for the sink, and what the mode says it cannot check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from harness import deployed, envvars
from harness.cli import build_parser
from harness.clients.amgroups import AlertGroupsSink
from harness.errors import ConfigError, StackError
from harness.external import ExternalStack, ExternalTarget, load_target, options_env
from harness.settings import Settings
from tests.unit.fake_http import serve

PROM_YAML = ("global:\n  scrape_interval: 1500ms\n  evaluation_interval: 1s\n"
             "scrape_configs:\n- job_name: a\n  scrape_interval: 3s\n")
AM_YAML = ("route:\n  receiver: default\n  group_wait: 1s\n  group_interval: 2s\n"
           "receivers:\n- name: default\n- name: critical-alerts\n")
RULES = {"status": "success", "data": {"groups": [{"name": "g", "file": "/etc/rules.yml", "interval": 1, "rules": [
    {"type": "alerting", "name": "HighErrorRate", "query": "rate(x[3s]) > 1", "duration": 6,
     "labels": {"severity": "critical"}, "annotations": {"summary": "s"}, "state": "inactive", "alerts": []},
    {"type": "alerting", "name": "Watchdog", "query": "vector(1)", "duration": 0, "labels": {}, "annotations": {}},
    {"type": "recording", "name": "job:x:rate", "query": "rate(x[1m])"}]}]}}


def test_target_from_file_overridden_by_env(tmp_path: Path) -> None:
    file = tmp_path / "ext.yml"
    file.write_text(yaml.safe_dump({"prometheus": "http://p:9090/", "alertmanager": "http://a:9093",
                                    "services": {"gateway": "http://g:1"}}))
    env = {envvars.external("alertmanager"): "http://other:9093", envvars.EXTERNAL_SERVICES: "auth=http://x:2"}
    target = load_target(file, env)
    assert target.urls == {"prometheus": "http://p:9090", "alertmanager": "http://other:9093"}
    assert target.services == {"gateway": "http://g:1", "auth": "http://x:2"}


@pytest.mark.parametrize(("doc", "message"), [
    ({"alertmanager": "http://a"}, "--stack external needs the URL of prometheus"),
    ({"prometheus": "p:9090", "alertmanager": "http://a"}, "ext.yml: prometheus: expected an http(s) URL"),
    ({"prometheus": "http://p", "alertmanager": "http://a", "promethues": "x"}, "unknown key(s) promethues"),
    ({"prometheus": "http://p", "alertmanager": "http://a", "services": {"gateway": 3}}, "services.gateway"),
])
def test_bad_targets_name_the_file_and_field(tmp_path: Path, doc: dict[str, Any], message: str) -> None:
    file = tmp_path / "ext.yml"
    file.write_text(yaml.safe_dump(doc))
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_target(file, {})


def test_command_line_options_become_the_sessions_environment() -> None:
    args = build_parser().parse_args(["run", "--stack", "external", "--external-prometheus", "http://p",
                                      "--external-alertmanager", "http://a", "--external-service", "gateway=http://g",
                                      "--external-service", "auth=http://h"])
    env = options_env(args)
    assert load_target(None, env) == ExternalTarget({"prometheus": "http://p", "alertmanager": "http://a"},
                                                    {"gateway": "http://g", "auth": "http://h"})
    with pytest.raises(ConfigError, match=r"OBSDRILL_EXTERNAL_SERVICES: 'auth' is not NAME=URL"):
        load_target(None, {**env, envvars.EXTERNAL_SERVICES: "auth"})


def test_deployed_config_is_read_from_the_apis(tmp_path: Path) -> None:
    prom = {"/api/v1/status/config": lambda q: {"data": {"yaml": PROM_YAML}}, "/api/v1/rules": lambda q: RULES}
    am = {"/api/v2/status": lambda q: {"config": {"original": AM_YAML}}}
    with serve(prom) as prom_url, serve(am) as am_url:
        config = deployed.read(prom_url, am_url, tmp_path, 0.1)
    assert [r.name for r in config.rules] == ["HighErrorRate", "Watchdog"]
    assert config.rule("HighErrorRate").for_seconds == 6 and config.rule("Watchdog").for_seconds == 0
    assert config.timing.scrape_interval == 3 and config.timing.evaluation_interval == 1
    assert (config.timing.group_wait, config.timing.group_interval, config.timing.repeat_interval) == (1, 2, 14400)
    assert config.receivers == ("default", "critical-alerts") and config.background == ("Watchdog",)
    assert (tmp_path / "prometheus" / deployed.RULES_FILE).is_file()
    assert (tmp_path / "alertmanager" / "alertmanager.yml").read_text() == AM_YAML


def test_deployed_config_without_route_is_a_stack_error(tmp_path: Path) -> None:
    prom = {"/api/v1/status/config": lambda q: {"data": {"yaml": PROM_YAML}}, "/api/v1/rules": lambda q: RULES}
    with serve(prom) as prom_url, serve({"/api/v2/status": lambda q: {"config": {"original": ""}}}) as am_url:
        with pytest.raises(StackError, match="has no route"):
            deployed.read(prom_url, am_url, tmp_path, 0.1)


def _group(receiver: str, *fingerprints: str, state: str = "active") -> dict[str, Any]:
    return {"labels": {"alertname": "HighErrorRate"}, "receiver": {"name": receiver},
            "alerts": [{"labels": {"alertname": "HighErrorRate", "service": "gateway"}, "annotations": {},
                        "fingerprint": f, "status": {"state": state}} for f in fingerprints]}


def test_alert_groups_become_firing_and_resolved_taps_per_receiver() -> None:
    groups: list[dict[str, Any]] = []
    with serve({"/api/v2/alerts/groups": lambda q: groups}) as url:
        sink = AlertGroupsSink(url)
        assert sink.taps() == []
        groups[:] = [_group("critical-alerts", "f1"), _group("team-a", "f1"), _group("muted", "f2", state="suppressed")]
        firing = sink.taps()
        assert sorted((n.receiver, n.status) for n in firing) == [("critical-alerts", "firing"), ("team-a", "firing")]
        assert firing[0].alertnames() == ["HighErrorRate"]
        assert firing[0].firing_alerts()[0]["labels"]["service"] == "gateway"
        assert len(sink.taps()) == 2  # still in its groups: recorded once
        sink.clear()
        assert sink.taps() == []  # not recorded again after clear while still active
        groups[:] = [_group("team-a", "f1")]
        assert [(n.receiver, n.status) for n in sink.taps()] == [("critical-alerts", "resolved")]
        assert sink.of_kind("email") == []


def test_external_stack_says_what_it_cannot_check(tmp_path: Path) -> None:
    settings = Settings.from_env(env={}).validated(reports_dir=tmp_path, stack_mode="external")
    stack = ExternalStack(settings, ExternalTarget({"prometheus": "http://p", "alertmanager": "http://a"},
                                                   {"gateway": "http://g", "gpu-sim": "http://s"}))
    assert stack.services == ("gateway",) and stack.has("gpu-sim") and not stack.has("sink")
    assert isinstance(stack.sink, AlertGroupsSink)
    left = "\n".join(stack.left_out())
    assert "notification content" in left and "elasticsearch checks" in left and "amtool" in left
    assert stack.cannot([("method[0]", "crash"), ("method[1]", "error_rate")]) == [
        "method[0]: crash needs a container restart, which --stack external cannot do"]
    with pytest.raises(StackError, match="no admin URL given for service 'auth'"):
        stack.service("auth")
    with pytest.raises(StackError, match="not started"):
        stack.rendered()


def test_run_external_without_urls_exits_2_before_pytest(monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    for name in [envvars.EXTERNAL, envvars.EXTERNAL_SERVICES, *(envvars.external(c) for c in ("prometheus",
                                                                                                  "alertmanager"))]:
        monkeypatch.delenv(name, raising=False)
    from harness.cli import main

    assert main(["run", "--stack", "external", "error-burst"]) == 2
    assert "--stack external needs the URL of prometheus and alertmanager" in capsys.readouterr().err
