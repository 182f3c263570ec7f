"""Commands on a stack ``obsdrill up`` started (one per module): ``run --stack external`` addressing it only by
URL (no sink URL given: routing is judged from Alertmanager's alert groups), ``run --reuse``, ``fault``,
``faults`` and ``reload``. OBSDRILL_TEST_EXTERNAL_SCENARIOS picks the external run's scenarios (default:
error-burst and service-down, whose crash fault that mode cannot run); ``all`` runs the whole suite.
OBSDRILL_TEST_EXTERNAL_STACK is the stack `up` starts (default core; full adds Elasticsearch and Jaeger,
whose URLs the external run is then given too)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
import requests

from harness.platform import GPU_SIM, SERVICES

DEFAULT = ("error-burst", "service-down")


def _obsdrill(*args: str, reports: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness.cli", args[0], "--reports-dir", str(reports), *args[1:]],
                          capture_output=True, text=True, timeout=3000, check=False)


def outcomes(junit: Path) -> dict[str, str]:
    """test name -> passed/skipped/failed, from a JUnit XML report."""
    out = {}
    for case in ElementTree.parse(junit).getroot().iter("testcase"):
        kinds = [child.tag for child in case if child.tag in ("skipped", "failure", "error")]
        out[case.get("name", "?")] = kinds[0] if kinds else "passed"
    return out


def up_urls(stdout: str) -> dict[str, str]:
    """component -> URL from the lines `obsdrill up` prints."""
    return {parts[0]: parts[-1] for line in stdout.splitlines()
            if len(parts := line.split()) == 2 and parts[1].startswith("http://")}


@pytest.fixture(scope="module")
def up_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[dict[str, str], Path, str]]:
    reports = tmp_path_factory.mktemp("external-reports")
    up = _obsdrill("up", "--stack", os.environ.get("OBSDRILL_TEST_EXTERNAL_STACK", "core"), reports=reports)
    assert up.returncode == 0, up.stdout + up.stderr
    run_id = up.stdout.split("obsdrill stack ", 1)[1].split()[0]
    try:
        yield up_urls(up.stdout), reports, run_id
    finally:
        down = _obsdrill("down", "--run", run_id, reports=reports)
        assert down.returncode == 0 and run_id in down.stdout, down.stdout + down.stderr


@pytest.mark.stack
def test_builtin_suite_runs_on_an_up_stack_addressed_by_url(up_stack: tuple[dict[str, str], Path, str]) -> None:
    urls, reports, _ = up_stack
    chosen = os.environ.get("OBSDRILL_TEST_EXTERNAL_SCENARIOS", " ".join(DEFAULT))
    scenarios = [] if chosen == "all" else chosen.split()
    given = [name for name in urls if name in (*SERVICES, GPU_SIM)]
    services = [f"--external-service={name}={urls[name]}" for name in given]
    pillars = [f"--external-{name}={urls[name]}" for name in ("elasticsearch", "jaeger") if name in urls]
    run = _obsdrill("run", "--stack", "external", "--external-prometheus", urls["prometheus"],
                    "--external-alertmanager", urls["alertmanager"], *services, *pillars, *scenarios,
                    "--junitxml", str(reports / "external.xml"), "--", "-rs",
                    reports=reports)  # -rs: pytest prints each skip's reason
    out = run.stdout + run.stderr
    print(out)
    assert run.returncode == 0, out[-6000:]
    assert {"gateway", "backend", "frontend"} <= set(given), urls
    assert f"external stack (prometheus, alertmanager; services {', '.join(given)})" in out
    assert "not checked in this mode: notification content and delivery" in out
    assert "not checked in this mode: crash faults" in out
    verdicts = outcomes(reports / "external.xml")
    print(verdicts)
    if not scenarios or "service-down" in scenarios:  # its crash fault needs a restart: skipped with the reason
        assert verdicts["test_scenario[service-down]"] == "skipped"
        assert "crash needs a container restart, which --stack external cannot do" in out
    if not scenarios or "error-burst" in scenarios:
        assert verdicts["test_scenario[error-burst]"] == "passed"
        assert "expect.notifications not checked: this stack runs no sink (external mode)" in out


@pytest.mark.stack
def test_run_reuse_runs_a_scenario_on_the_up_stack(up_stack: tuple[dict[str, str], Path, str]) -> None:
    _, reports, run_id = up_stack
    run = _obsdrill("run", "--reuse", run_id, "error-burst", "--junitxml", str(reports / "reuse.xml"),
                    reports=reports)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:]
    assert f"reusing the `obsdrill up` stack {run_id} (core" in out
    assert outcomes(reports / "reuse.xml") == {"test_scenario[error-burst]": "passed"}
    assert "expect.notifications not checked" not in out  # the up-run's own sink receives them


@pytest.mark.stack
def test_fault_faults_and_clear_on_the_up_stack(up_stack: tuple[dict[str, str], Path, str]) -> None:
    _, reports, run_id = up_stack
    bad = _obsdrill("fault", "backend", "http_errors", "rate=7", "--run", run_id, reports=reports)
    assert bad.returncode == 2 and "fault.with.rate: 7 is greater than the maximum of 1" in bad.stderr
    on = _obsdrill("fault", "backend", "http_errors", "rate=0.5", "status=503", "--run", run_id, reports=reports)
    assert on.returncode == 0 and "http_errors on backend {'rate': 0.5, 'status': 503}" in on.stdout, on.stderr
    listed = _obsdrill("faults", "--json", "--run", run_id, reports=reports)
    assert listed.returncode == 0, listed.stderr
    assert list(json.loads(listed.stdout)) == ["backend"] and "http_errors" in json.loads(listed.stdout)["backend"]
    cleared = _obsdrill("fault", "clear", "backend", "--run", run_id, reports=reports)
    assert cleared.returncode == 0 and "cleared every fault of backend" in cleared.stdout
    assert json.loads(_obsdrill("faults", "--json", "--run", run_id, reports=reports).stdout) == {}


@pytest.mark.stack
def test_explain_says_rule_value_bound_and_route(up_stack: tuple[dict[str, str], Path, str]) -> None:
    _, reports, run_id = up_stack
    said = _obsdrill("explain", "HighErrorRate", "--label", "service=backend", "--run", run_id, reports=reports)
    assert said.returncode == 0, said.stdout + said.stderr
    out = said.stdout
    assert "HighErrorRate: inactive now; rule " in out and "alert_rules.yml" in out
    assert "threshold: > 0.05 on" in out and "fires within" in out and "range window 30s" in out
    assert "sends {alertname=\"HighErrorRate\", service=\"backend\", severity=\"critical\"} to 'critical-alerts'" in out
    assert "receiver critical-alerts: webhook -> http://sink:8080/tap/critical-alerts" in out
    unknown = _obsdrill("explain", "NoSuchAlert", "--run", run_id, reports=reports)
    assert unknown.returncode == 2 and "no alert 'NoSuchAlert' in the running rules" in unknown.stderr


@pytest.mark.stack
def test_watch_once_json_and_the_live_screen(up_stack: tuple[dict[str, str], Path, str]) -> None:
    import pexpect

    _, reports, run_id = up_stack
    once = _obsdrill("watch", "--once", "--json", "--run", run_id, reports=reports)
    assert once.returncode == 0, once.stderr
    snap = json.loads(once.stdout)
    high = next(r for r in snap["rules"] if r["name"] == "HighErrorRate")
    assert high["state"] == "inactive" and high["threshold"] == "> 0.05" and snap["faults"] == {}
    terminal = {**os.environ, "LINES": "80", "COLUMNS": "200"}  # pytest exports 24x80, which rich would believe
    screen = pexpect.spawn(sys.executable, ["-m", "harness.cli", "watch", "--interval", "0.5", "--run", run_id,
                                            "--reports-dir", str(reports)], dimensions=(80, 200), timeout=30,
                           encoding="utf-8", env=terminal)
    try:
        screen.expect("HighErrorRate")
        screen.expect("faults on")
        on = _obsdrill("fault", "backend", "http_errors", "rate=0.5", "--run", run_id, reports=reports)
        assert on.returncode == 0, on.stderr
        screen.expect("http_errors")  # the faults table of the refreshed screen
        screen.sendintr()
        screen.expect(pexpect.EOF)
    finally:
        screen.close(force=True)
        _obsdrill("fault", "clear", "--run", run_id, reports=reports)
    assert screen.exitstatus == 0


def _rule_duration(prometheus: str, name: str) -> float:
    groups = requests.get(f"{prometheus}/api/v1/rules", params={"type": "alert"}, timeout=10).json()["data"]["groups"]
    return float(next(r["duration"] for g in groups for r in g["rules"] if r["name"] == name))


@pytest.mark.stack
def test_reload_pushes_a_changed_rule_and_says_what_changed(up_stack: tuple[dict[str, str], Path, str],
                                                           tmp_path: Path) -> None:
    urls, reports, run_id = up_stack
    shipped = Path(__file__).resolve().parents[2] / "stack" / "prometheus" / "alert_rules.yml"
    config = tmp_path / "config" / "prometheus"
    config.mkdir(parents=True)
    text = shipped.read_text()
    assert text.count("for: 2m") >= 1
    (config / "alert_rules.yml").write_text(text.replace("for: 2m", "for: 1m", 1))  # HighErrorRate's
    before = _rule_duration(urls["prometheus"], "HighErrorRate")
    changed = _obsdrill("reload", "--run", run_id, "--config-dir", str(tmp_path / "config"), reports=reports)
    assert changed.returncode == 0, changed.stdout + changed.stderr
    assert "rule changed HighErrorRate: for_seconds" in changed.stdout and "reloaded Prometheus and Alertmanager" \
        in changed.stdout
    assert _rule_duration(urls["prometheus"], "HighErrorRate") == before / 2
    back = _obsdrill("reload", "--run", run_id, reports=reports)  # the shipped config again
    assert back.returncode == 0 and "rule changed HighErrorRate" in back.stdout, back.stdout + back.stderr
    assert _rule_duration(urls["prometheus"], "HighErrorRate") == before
    again = _obsdrill("reload", "--run", run_id, reports=reports)
    assert again.returncode == 0 and "nothing changed" in again.stdout
