"""Background alerts: recognised from the AST (no input series), declared in obsdrill.yml, and a heartbeat
check that fails when the heartbeat stops or never comes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.background import Heartbeat, repeat_for
from harness.clients.sink import Notification
from harness.config import AlertRule, load_source
from harness.errors import ConfigError
from harness.settings import project_root


def _rule(expr: str) -> AlertRule:
    return AlertRule("A", expr, 0.0, (), (), "g", "f")


@pytest.mark.parametrize(("expr", "constant"), [
    ("vector(1)", True), ("(vector(1))", True), ("vector(1) > bool 0", True), ("time() * 0 + 1", True),
    ('absent(up{job="x"})', False), ("sum(rate(x[5m])) by (a) > 1", False), ("max_over_time(x[5m:1m])", False),
    ("not ( valid", False)])
def test_constant_expressions_are_recognised(expr: str, constant: bool) -> None:
    assert _rule(expr).constant is constant


def _tap(at: float, name: str = "Watchdog", receiver: str = "heartbeat") -> Notification:
    return Notification("tap", receiver, at, {"status": "firing", "alerts": [
        {"status": "firing", "labels": {"alertname": name}}]})


def test_heartbeat_gaps() -> None:
    beat = Heartbeat("Watchdog", {}, ("heartbeat",), 10.0, "10s")
    assert beat.problems([_tap(105), _tap(112), _tap(121)], 100, 125) == []
    stopped = beat.problems([_tap(105), _tap(112)], 100, 130)
    assert stopped and "no heartbeat to 'heartbeat' for 18.0s from +12.0s (last one at +12.0s" in stopped[0]
    never = beat.problems([_tap(105, receiver="other")], 100, 115)
    assert "none at all" in never[0]
    earlier = beat.problems([_tap(80), _tap(103)], 100, 108)  # one before the window does not count
    assert earlier == [] and "1 in 15.0s" in beat.problems([_tap(80), _tap(103)], 100, 115)[0]


def test_repeat_for_of_the_tree() -> None:
    tree = {"repeat_interval": "6m", "receiver": "default",
            "routes": [{"repeat_interval": "30s", "receiver": "heartbeat"},
                       {"receiver": "team", "routes": [{"repeat_interval": "1h", "receiver": "heartbeat"}]}]}
    assert repeat_for(tree, ["heartbeat"]) == 3600
    assert repeat_for(tree, ["team"]) == 360
    assert repeat_for(tree, ["nobody"]) == 0


def test_declared_background_must_name_a_rule(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    shutil.copytree(project_root() / "stack" / "prometheus", cfg / "prometheus")
    shutil.copytree(project_root() / "stack" / "alertmanager", cfg / "alertmanager")
    (cfg / "obsdrill.yml").write_text("background_alerts: [HighErrorRate]\n")
    assert load_source(cfg).background() == ["HighErrorRate"]
    (cfg / "obsdrill.yml").write_text("background_alerts: [Nope]\n")
    with pytest.raises(ConfigError, match=r"obsdrill\.yml: background_alerts: Nope not defined"):
        load_source(cfg)
