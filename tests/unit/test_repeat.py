"""`obsdrill run --repeat N` (issue 13.5): the suite runs each scenario N times, and the summary gives per
scenario the pass count and the spread of fire and notification times from result.json."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from harness import cliout
from harness.cli import main, parse_args
from harness.repeat import Spread, repeat_count, report, summarize
from harness.settings import Settings
from harness.suite import test_scenarios as suite


def _row(name: str, passed: bool, notified: float | None, fired: float | None = None,
         failure: str = "") -> dict[str, Any]:
    return {"scenario": name, "passed": passed, "failure": failure,
            "alerts": {"HighErrorRate": {"fired_after_s": fired, "notified_after_s": notified}}}


def test_summary_counts_passes_and_spreads_times() -> None:
    rows = [_row("error-burst", True, 31.0, 25.0), _row("service-down", True, 12.0),
            _row("error-burst", False, None, None, "HighErrorRate did not fire within 40s\nnear misses"),
            _row("error-burst", True, 35.5, 27.0)]
    burst, down = summarize(rows)
    assert (burst.scenario, burst.runs, burst.passed) == ("error-burst", 3, 2)
    assert burst.notified["HighErrorRate"] == [31.0, 35.5]
    lines = burst.show()
    assert lines[0] == "error-burst: 2/3 passed"
    assert "notified after min 31.0s / median 33.2s / max 35.5s (n=2)" in lines[1]
    assert "fired after min 25.0s / median 26.0s / max 27.0s (n=2)" in lines[1]
    assert lines[2] == "  failure: HighErrorRate did not fire within 40s"
    assert down.show()[0] == "service-down: 1/1 passed"


def test_spread_of_nothing_says_never() -> None:
    assert Spread(()).show() == "never"
    assert Spread((3.0, 1.0, 2.0)).show() == "min 1.0s / median 2.0s / max 3.0s (n=3)"


def test_report_reads_the_result_file_of_each_stack_of_this_run(tmp_path: Path) -> None:
    since = time.time() - 1
    path = tmp_path / "runs" / "abc" / "result.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"scenarios": [_row("s", True, 1.0), _row("s", True, 3.0)]}))
    lines = report(tmp_path / "runs", since)
    assert lines[1] == "s: 2/2 passed"
    other = tmp_path / "runs" / "def" / "result.json"  # a second stack of the run (--stacks 2)
    other.parent.mkdir()
    other.write_text(json.dumps({"scenarios": [_row("s", False, None), _row("t", True, 2.0)]}))
    lines = report(tmp_path / "runs", since)
    assert lines[1] == "s: 2/3 passed" and "t: 1/1 passed" in lines
    assert report(tmp_path / "runs", time.time() + 60) == [
        f"repeat: no result.json under {tmp_path / 'runs'} from this run"]


def test_repeat_count_rejects_nonsense() -> None:
    assert repeat_count("3") == 3
    for bad in ("0", "-1", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            repeat_count(bad)


def test_run_repeat_is_a_usage_error_below_one(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["run", "--repeat", "0"])
    assert raised.value.code == 2
    assert "--repeat: '0': a whole number, 1 or more" in capsys.readouterr().err


def test_repeat_reaches_the_suite_which_runs_each_scenario_n_times(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    args = parse_args(["run", "error-burst", "service-down", "--repeat", "2"])
    settings = Settings.from_options(reports_dir=tmp_path / "mine")
    assert "--obsdrill-repeat=2" in cliout.pytest_args(settings, args, tmp_path)
    # the suite's stack writes result.json (read by the summary) under the run's own --reports-dir
    assert f"--obsdrill-reports-dir={tmp_path / 'mine'}" in cliout.pytest_args(settings, args, tmp_path)
    assert "--obsdrill-repeat=2" not in cliout.pytest_args(Settings.from_env(), parse_args(["run"]), tmp_path)
    seen: dict[str, Any] = {}
    options = {"--obsdrill-repeat": 2, "--obsdrill-scenario": ["error-burst", "service-down"]}
    config = SimpleNamespace(getoption=lambda name, default=None: options.get(name, default))
    metafunc = SimpleNamespace(fixturenames=["scenario"], config=config,
                               parametrize=lambda name, values, ids: seen.update(values=values, ids=ids))
    monkeypatch.setattr(suite, "settings_from", lambda _config: Settings.from_env())
    suite.pytest_generate_tests(metafunc)  # type: ignore[arg-type]
    assert seen["ids"] == ["error-burst#1", "service-down#1", "error-burst#2", "service-down#2"]
    assert [s.name for s in seen["values"]] == ["error-burst", "service-down"] * 2
