"""`obsdrill` exit codes, each provoked through harness.cli.main: 0 passed, 1 an expectation failed, 2 usage
or config error, 3 infrastructure. `run` is pointed at a stand-in suite, so no stack starts; the pytest
command line, the static pre-check and the exit-code mapping are the real ones."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness import cliout, resources
from harness.cli import main, parse_args
from harness.errors import ConfigError, ExpectationFailed, ImageError, InfrastructureError, ReadinessTimeoutError
from harness.outcome import classify

from .cli_process import run_cli

SUITE = '''
import pytest
from harness.errors import ExpectationFailed, ImageError

@pytest.fixture(scope="session")
def stack():
    if "{mode}" == "infra":
        raise ImageError("image services: could not be built")

def test_scenario(stack):
    if "{mode}" == "fail":
        raise ExpectationFailed("HighErrorRate did not fire within 30s")
'''


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OBSDRILL_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "scenarios").mkdir()
    shutil.copy(resources.scenarios_dir() / "error-burst.yaml", tmp_path / "scenarios")
    return tmp_path


def _run(project: Path, mode: str, *argv: str) -> subprocess.CompletedProcess[str]:
    suite = project / f"suite_{mode}.py"
    suite.write_text(SUITE.replace("{mode}", mode))
    return run_cli(project, suite, "run", *argv)


def test_run_passes_with_0_and_writes_junit_and_results_in_the_working_dir(project: Path) -> None:
    done = _run(project, "pass", "error-burst", "--junitxml", "out.xml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warning" not in done.stdout.lower(), done.stdout  # pytest's assert-rewrite warning about harness
    cases = ET.parse(project / "out.xml").getroot().iter("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [("suite_pass", "test_scenario")]
    assert any((project / "reports" / "allure-results").glob("*-result.json"))


def test_run_exits_1_when_an_expectation_failed(project: Path) -> None:
    assert _run(project, "fail").returncode == 1


def test_run_exits_3_when_the_infrastructure_failed(project: Path) -> None:
    assert _run(project, "infra").returncode == 3


def test_run_exits_2_for_an_unknown_scenario_with_one_line(project: Path) -> None:
    done = _run(project, "pass", "no-such-scenario")
    assert done.returncode == 2
    err = done.stderr.strip()
    assert err.startswith("obsdrill: error: no scenario named no-such-scenario") and "\n" not in err


def test_run_exits_2_for_what_validate_rejects(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = project / "scenarios" / "error-burst.yaml"
    path.write_text(path.read_text().replace("{rate: 0.2, status: 500}", "{rate: 7, status: 500}"))
    assert main(["validate"]) == 2
    assert "method[0].with.rate: 7 is greater than the maximum of 1" in capsys.readouterr().err
    done = _run(project, "pass")
    assert done.returncode == 2 and "method[0].with.rate: 7 is greater than the maximum of 1" in done.stderr


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", "--no-such-flag"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        main(["list", "--", "-k", "x"])
    assert exc.value.code == 2


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from harness import __version__

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and capsys.readouterr().out.strip() == f"obsdrill {__version__}"


def test_pytest_arguments_pass_through() -> None:
    args = parse_args(["run", "error-burst", "-k", "burst", "-x", "--lf", "--junitxml", "j.xml", "--", "-vv",
                       "--maxfail=2"])
    assert args.scenarios == ["error-burst"] and args.pytest_args == ["-vv", "--maxfail=2"]
    settings = cliout.Settings.from_env()
    out = cliout.pytest_args(settings, args, Path("/r"))
    assert out[-7:] == [f"--junitxml={Path('j.xml').resolve()}", "-k", "burst", "-x", "--lf", "-vv", "--maxfail=2"]
    assert "--obsdrill-scenario=error-burst" in out


def test_list_and_validate_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in listed] == ["error-burst"]
    assert listed[0]["alerts"][0] == {"name": "HighErrorRate", "receiver": "critical-alerts",
                                      "labels": {"severity": "critical", "service": "backend"}}
    assert main(["validate", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["passed"] and doc["problems"] == [] and len(doc["ok"]) == 1
    assert {f["from"] for f in doc["config"]["files"]} == {"shipped"}


def test_errors_map_to_their_exit_codes() -> None:
    assert classify(ExpectationFailed("x")) == 1 and classify(AssertionError("x")) == 1
    assert classify(ConfigError("x")) == 2
    assert classify(ImageError("x")) == classify(ReadinessTimeoutError("x")) == InfrastructureError.exit_code == 3
