"""What running the corpus end to end found (issue 14): YAML anchors shared between receivers, labels
Prometheus sets only on sending (external labels, alert relabeling), and keep_firing_for in the resolve
deadline. Each is checked here on the corpus config that showed it."""

from __future__ import annotations

from pathlib import Path

import yaml

from harness.assertions.expectations import AlertExpectation
from harness.bounds import Deadlines
from harness.config import load_source
from harness.render import render
from harness.settings import project_root

CORPUS = project_root() / "tests" / "corpus"


def _rendered_am(case: str, out: Path) -> dict[str, dict]:
    render(load_source(CORPUS / case / "config"), 0.1, out)
    am = yaml.safe_load((out / "alertmanager" / "alertmanager.yml").read_text())
    return {r["name"]: r for r in am["receivers"]}


def test_receivers_sharing_webhooks_through_an_anchor_each_get_their_own(tmp_path: Path) -> None:
    receivers = _rendered_am("inhibit-equal", tmp_path)  # chat: webhook_configs: *id001 (pager's)
    for name in ("pager", "chat"):
        urls = [h["url"] for h in receivers[name]["webhook_configs"]]
        assert all(url.endswith(f"/{name}") for url in urls), (name, urls)
        assert len(urls) == 2, urls  # the team's hook and the harness's recording tap, once each


def test_labels_set_only_on_sending_are_known(tmp_path: Path) -> None:
    assert render(load_source(CORPUS / "alert-relabel" / "config"), 0.1, tmp_path / "a").sent_labels == ("owner",)
    external = render(load_source(CORPUS / "external-labels" / "config"), 0.1, tmp_path / "e")
    assert set(external.sent_labels) == {name for name, _ in external.external_labels} != set()


def test_expectations_drop_sent_labels_when_judging_prometheus_alerts() -> None:
    exp = AlertExpectation("BackendErrors", "payments", (("owner", "payments-team"), ("service", "backend")))
    held = exp.held(frozenset({"owner"}))
    assert held.matches({"alertname": "BackendErrors", "service": "backend"})
    assert not exp.matches({"alertname": "BackendErrors", "service": "backend"})
    assert not held.matches({"alertname": "BackendErrors", "service": "gateway"})
    assert exp.held(frozenset()) is exp


def test_keep_firing_for_is_in_the_resolve_deadline(tmp_path: Path) -> None:
    config = render(load_source(CORPUS / "keep-firing-for" / "config"), 0.1, tmp_path)
    rule = config.rule("BackendErrors")
    assert rule.keep_firing_seconds == 30.0  # 5m at time factor 0.1
    assert Deadlines(config.timing, 15.0).resolve(rule).terms()["keep_firing_for"] == 30.0
