"""Bad input, catalogued (issue 13.6): each is rejected with one clear error naming the file, field or step,
the documented exit code (README: 0 passed, 1 expectation, 2 usage/config, 3 infrastructure, 128+N a signal),
and nothing started. What needs a stack (missing image, port clash, a signal mid-scenario on the real stack)
is in tests/integration/test_bad_input.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness import cliout, resources, runtime
from harness.cli import main

from .cli_process import run_cli

SCENARIO = "error-burst.yaml"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project dir with the shipped config and one scenario; `run` is pointed at a suite that would fail
    loudly if it were ever started (so a rejected input is shown to start nothing)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OBSDRILL_CACHE_DIR", str(tmp_path / "cache"))
    shutil.copytree(resources.stack_dir(), tmp_path / "stack")
    (tmp_path / "scenarios").mkdir()
    shutil.copy(resources.scenarios_dir() / SCENARIO, tmp_path / "scenarios")
    suite = tmp_path / "suite_never.py"
    suite.write_text("def test_started():\n    open('STARTED', 'w').close()\n")
    monkeypatch.setattr(cliout, "SUITE", suite)
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def _both(project: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """validate and run both exit 2, run starts nothing; the error text of both."""
    args = ["--config-dir", str(project / "stack"), "--scenarios-dir", str(project / "scenarios")]
    assert main(["validate", *args]) == 2
    assert main(["run", *args]) == 2
    assert not (project / "STARTED").exists()
    return capsys.readouterr().err


SCENARIO_CASES = [
    pytest.param("method:\n", "method:\n  - [unclosed\n", "while parsing", id="malformed-yaml"),
    pytest.param("fault: http_errors", "fault: meteor_strike", "method[0].fault: 'meteor_strike' is not one of",
                 id="unknown-fault"),
    pytest.param("{rate: 0.2, status: 500}", "{rate: 7, status: 500}",
                 "method[0].with.rate: 7 is greater than the maximum of 1", id="parameter-out-of-range"),
    pytest.param("- name: HighErrorRate\n      labels: {severity: critical, service: backend}",
                 "- name: HighErrorRatio\n      labels: {severity: critical, service: backend}",
                 "expect.alerts[0].name: no rule named 'HighErrorRatio'", id="unknown-alert"),
    pytest.param("severity: critical, service: backend}\n      receiver: critical-alerts",
                 "severity: critical, service: backend}\n      receiver: pager",
                 "expect.alerts[0].receiver: 'pager' is not a receiver",
                 id="unknown-receiver"),
    pytest.param('status_code="500"}[30s])) > 0', 'status_code="500"}[30s]) > 0',
                 "expect.metrics[0].query: PromQL does not parse", id="promql-does-not-parse"),
]


@pytest.mark.parametrize(("old", "new", "message"), SCENARIO_CASES)
def test_bad_scenario_is_rejected_naming_file_and_field(project: Path, capsys: pytest.CaptureFixture[str],
                                                        old: str, new: str, message: str) -> None:
    path = project / "scenarios" / SCENARIO
    _edit(path, old, new)
    err = _both(project, capsys)
    assert message in err and str(path.name) in err, err


def test_rule_that_does_not_parse_names_file_group_and_alert(project: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    _edit(project / "stack" / "prometheus" / "alert_rules.yml", "expr: database_connections_active > 80",
          "expr: database_connections_active >> 80")
    err = _both(project, capsys)
    assert "alert_rules.yml: group recoloca-backend, alert DatabaseConnectionHigh: expr does not parse" in err


def test_malformed_rule_file_is_rejected(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "stack" / "prometheus" / "alert_rules.yml").write_text("groups:\n  - name: [oops\n")
    assert "alert_rules.yml: not valid YAML: while parsing a flow sequence" in _both(project, capsys)


def test_unknown_receiver_in_alertmanager_config_is_rejected(project: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    _edit(project / "stack" / "alertmanager" / "alertmanager.yml", "receiver: 'critical-alerts'",
          "receiver: 'nobody-home'")
    assert ("alertmanager.yml: route.routes[0].receiver: 'nobody-home' is not a defined receiver"
            in _both(project, capsys))


def test_unknown_scenario_name_is_one_line_and_starts_nothing(project: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "no-such-scenario"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("obsdrill: error: no scenario named no-such-scenario") and "\n" not in err
    assert not (project / "STARTED").exists()


def test_no_runtime_exits_3_naming_what_was_tried(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(runtime, "_candidate_hosts", lambda: [f"unix://{project}/no-such.sock"])
    monkeypatch.setattr(runtime, "is_root", lambda: False)
    assert main(["runtime"]) == 3
    err = capsys.readouterr().err
    assert "obsdrill: error: no Docker engine answers" in err and "DOCKER_HOST" in err


INTERRUPTIBLE = '''
import os, signal, pytest

@pytest.fixture(scope="session")
def stack():
    yield
    with open("TEARDOWN", "w") as out:  # what a second SIGTERM would meet during teardown
        out.write(signal.getsignal(signal.SIGTERM).name)

def test_scenario(stack):
    signal.raise_signal(signal.{sig})
    open("AFTER_SIGNAL", "w").close()

def test_next_scenario(stack):
    open("NEXT", "w").close()
'''


@pytest.mark.parametrize(("sig", "code"), [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_signal_mid_scenario_interrupts_the_run_and_teardown_runs(project: Path, sig: str, code: int) -> None:
    """The run stops (no later scenario starts), every fixture's teardown runs (the stack's: nothing is left
    running) and the exit code is 128 + the signal; a second signal cannot cut teardown short."""
    suite = project / f"suite_{sig.lower()}.py"  # one module name per case
    suite.write_text(INTERRUPTIBLE.replace("{sig}", sig))
    done = run_cli(project, suite, "run")
    assert done.returncode == code, done.stdout + done.stderr
    assert (project / "TEARDOWN").read_text() == "SIG_IGN"
    assert not (project / "AFTER_SIGNAL").exists() and not (project / "NEXT").exists()
