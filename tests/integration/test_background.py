"""A dead-man's switch on the real stack (issue 14.1): the corpus watchdog config's always-firing Watchdog
reaches its heartbeat receiver at its repeat_interval, and the heartbeat check says so when it stops (the
receiver answers 503, so Alertmanager's deliveries fail and nothing arrives) and is content again once
deliveries resume."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from harness import background
from harness.assertions.wait import eventually
from harness.bounds import Bound
from harness.routing import Routing
from harness.runtime import Runtime
from harness.settings import Settings, project_root
from harness.stack import Stack

pytestmark = pytest.mark.stack
CASE = project_root() / "tests" / "corpus" / "watchdog"


def _config(tmp_path: Path) -> Path:
    target = tmp_path / "watchdog"
    shutil.copytree(CASE / "config", target)
    shutil.copytree(project_root() / "stack" / "images", target / "images")
    return target


def test_the_heartbeat_check_notices_when_the_watchdog_stops(tmp_path: Path, obsdrill_settings: Settings,
                                                             obsdrill_runtime: Runtime) -> None:
    settings = obsdrill_settings.validated(config_dir=_config(tmp_path), stack_mode="core")
    with Stack(settings, obsdrill_runtime) as stack:
        names = background.names(stack.rendered(), ())
        assert names == frozenset({"Watchdog"})
        [beat] = background.heartbeats(stack.rendered(), Routing(stack.alertmanager), names,
                                       settings.slack_seconds)
        assert beat.receivers == ("heartbeat",), beat.explain

        def beats_since(since: float) -> list[float]:
            return [n.received_at for n in stack.sink.all() if n.kind == "tap" and n.receiver == "heartbeat"
                    and n.received_at >= since
                    and "Watchdog" in [a.get("labels", {}).get("alertname") for a in n.firing_alerts()]]

        eventually(lambda: beats_since(0), Bound.of(beat.every), "a first Watchdog heartbeat")
        stack.stack_fault("sink", "receiver_errors", {"status": 503})
        stopped = time.time()
        time.sleep(beat.every + 2)
        problems = beat.problems(stack.sink.all(), stopped, time.time())
        assert problems and "no heartbeat to 'heartbeat'" in problems[0], problems
        assert beats_since(stopped) == []

        stack.clear_stack_fault("sink", "receiver_errors")
        resumed = time.time()
        eventually(lambda: beats_since(resumed), Bound.of(beat.every), "the heartbeat again once the receiver answers")
        assert beat.problems(stack.sink.all(), resumed, time.time()) == []
