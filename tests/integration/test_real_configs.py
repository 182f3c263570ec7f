"""Real teams' configs run unchanged: every corpus case (tests/corpus/<case>/) runs on its own config, its
passing scenarios (pass.yaml, pass-*.yaml: one per fault a rule pack covers) must pass and its failing scenario
must fail with a message naming the defect (case.yaml `defect`). One core stack serves every case: the first
starts on its config, each next one's config is reloaded into it (Prometheus and Alertmanager reload it,
Alertmanager restarts so no notification of the case before reaches this one), as `obsdrill mutate` runs
its mutants."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import allure
import pytest
import yaml

from harness import reporting, schedule
from harness.errors import ExpectationFailed
from harness.events import AlertTimeline
from harness.mutate.execution import Executor
from harness.reporting import timeline
from harness.runtime import Runtime
from harness.scenario import Scenario, load_scenario
from harness.scenario.runner import ScenarioRunner
from harness.settings import Settings, project_root

pytestmark = pytest.mark.stack
CORPUS = project_root() / "tests" / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "case.yaml").is_file())


def _config(case: str, tmp_path: Path) -> Path:
    """The case's config as a user would bring it, with the shipped image recipes beside it."""
    target = tmp_path / case
    shutil.copytree(CORPUS / case / "config", target)
    shutil.copytree(project_root() / "stack" / "images", target / "images")
    return target


@pytest.fixture(scope="module")
def reloaded(obsdrill_settings: Settings, obsdrill_runtime: Runtime,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[Executor]:
    """The one core stack of the module (stopped at its end), on whichever case's config it was given last."""
    settings = obsdrill_settings.validated(stack_mode="core")
    with Executor(settings, obsdrill_runtime, tmp_path_factory.mktemp("corpus"), reporting.standard) as executor:
        yield executor


@pytest.mark.parametrize("case", CASES)
def test_corpus_case(case: str, tmp_path: Path, reloaded: Executor) -> None:
    stack = reloaded.stack("core", _config(case, tmp_path))
    settings = stack.settings
    defect = yaml.safe_load((CORPUS / case / "case.yaml").read_text())["defect"]
    passing = sorted((CORPUS / case).glob("pass*.yaml"))
    assert passing, f"{CORPUS / case}: no passing scenario (pass.yaml or pass-*.yaml)"
    events = reporting.standard()
    timelines: list[AlertTimeline] = []
    events.subscribe(timelines.append, AlertTimeline)
    runner = ScenarioRunner(stack, events)
    for scenario in passing:
        _run(runner, load_scenario(scenario), settings)
    _timelines_drawn(timelines, [load_scenario(p) for p in passing])
    with pytest.raises(ExpectationFailed) as failure:
        _run(runner, load_scenario(CORPUS / case / "fail.yaml"), settings)
    message = str(failure.value)
    allure.attach(message, name="failure message", attachment_type=allure.attachment_type.TEXT)
    missing = [part for part in defect if part not in message]
    assert not missing, f"the failure does not name the defect ({missing} not in):\n{message}"


def _run(runner: ScenarioRunner, scenario: Scenario, settings: Settings) -> None:
    """Under the host locks, as the built-in suite runs it: a host-wide fault (cpu_burn, memory_growth) of
    another run on this machine (pytest -n, a second CI job) is seen by this stack's node_exporter too."""
    with schedule.holding(scenario, settings.cache_dir / "locks"):
        runner.run(scenario)


def _timelines_drawn(timelines: list[AlertTimeline], scenarios: list[Scenario]) -> None:
    """Each expected alert got its timeline picture (issue 9.5) with the rule's query read back from
    Prometheus: a query_range the server rejects leaves only a line in the log."""
    expected = [exp.describe() for scenario in scenarios for exp in scenario.alerts]
    assert sorted(t.alert for t in timelines) == sorted(expected)
    for drawn in timelines:
        assert drawn.series and any(s.values for s in drawn.series), f"{drawn.alert}: no series of {drawn.query}"
        assert timeline.png(drawn).startswith(b"\x89PNG")
