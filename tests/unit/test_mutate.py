"""obsdrill mutate without a stack: operators (stable ids, one small defect each, the harness still loads the
layered mutant), selection derived from the scenarios, the score and its report, the time budget."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import promql_parser
import pytest
import yaml

from harness.cli import main
from harness.config import load_source
from harness.errors import ConfigError
from harness.mutate import operators
from harness.mutate.execution import (
    KILLED,
    NOT_COVERED,
    NOT_RUN,
    STILLBORN,
    SURVIVED,
    UNNAMED,
    Executor,
    Fate,
    mutant_dir,
    run_all,
)
from harness.mutate.mutant import Mutant
from harness.mutate.score import Score, write
from harness.mutate.selection import plan
from harness.runtime import Runtime
from harness.scenario import load_scenarios
from harness.settings import Settings, project_root

STACK = project_root() / "stack"
OPERATORS = {"threshold", "comparison-flipped", "for-multiplied", "window-widened", "severity-swapped",
             "severity-dropped", "label-renamed", "annotation-dropped", "route-matcher-swapped",
             "route-receiver-swapped", "continue-flipped", "group-by-narrowed", "recipient-changed", "job-dropped",
             "relabel-drops", "trace-id-dropped", "burn-factor"}


@pytest.fixture(scope="module")
def mutants() -> list[Mutant]:
    return operators.generate(load_source(STACK))


def _by_id(mutants: list[Mutant], mutant_id: str) -> Mutant:
    return next(m for m in mutants if m.id == mutant_id)


def test_every_operator_applies_to_the_seed_with_stable_unique_ids(mutants: list[Mutant]) -> None:
    assert {m.operator for m in mutants} >= OPERATORS
    assert len({m.id for m in mutants}) == len(mutants)
    assert [m.id for m in operators.generate(load_source(STACK))] == [m.id for m in mutants]
    assert all(m.description and m.names for m in mutants)


def test_threshold_and_comparison_edits_change_only_the_comparison(mutants: list[Mutant]) -> None:
    up = _by_id(mutants, "threshold:HighErrorRate:up")
    rules = {r["alert"]: r for g in yaml.safe_load(up.text)["groups"] for r in g["rules"] if "alert" in r}
    expr = rules["HighErrorRate"]["expr"]
    assert expr.rstrip().endswith("> 0.5") and promql_parser.parse(expr)
    assert up.description == ("HighErrorRate: threshold > 0.05 -> > 0.5 (needs a fault past the one the scenario "
                              "drives)")
    down = _by_id(mutants, "threshold:DiskSpaceLow:down")  # a `<` rule: down means a larger threshold
    assert "< 10 -> < 100" in down.description
    flipped = _by_id(mutants, "comparison-flipped:ServiceDown")
    assert "up == 0" not in flipped.text and "!= 0" in flipped.text


def test_burn_factors_move_together_and_down_is_eager(mutants: list[Mutant]) -> None:
    up = _by_id(mutants, "burn-factor:APIAvailabilityBudgetBurnPage:up")
    rules = {r["alert"]: r for g in yaml.safe_load(up.text)["groups"] for r in g["rules"] if "alert" in r}
    expr = rules["APIAvailabilityBudgetBurnPage"]["expr"]
    assert expr.count("> (144 * 0.001)") == 2 and expr.count("> (60 * 0.001)") == 2 and promql_parser.parse(expr)
    assert "14.4" not in expr and rules["APIAvailabilityBudgetBurnTicket"]["expr"].count("(3 * 0.001)") == 2
    assert up.description.endswith("burn factors 14.4, 6x -> 144, 60x") and not up.eager
    down = _by_id(mutants, "burn-factor:APIResponseTimeBudgetBurnTicket:down")
    assert down.eager and "(0.3 * 0.05)" in down.text and "burn factors 3, 1x -> 0.3, 0.1x" in down.description
    assert not [m for m in mutants if m.id.startswith("burn-factor:HighErrorRate")]  # no burn comparison there


def test_the_am_and_pipeline_operators(mutants: list[Mutant]) -> None:
    swapped = yaml.safe_load(_by_id(mutants, "route-receiver-swapped:route.routes[0]").text)
    assert swapped["route"]["routes"][0]["receiver"] == "warning-alerts"
    narrowed = _by_id(mutants, "group-by-narrowed:route:service")
    assert yaml.safe_load(narrowed.text)["route"]["group_by"] == ["alertname", "cluster"]
    assert set(narrowed.receivers) == {"default", "critical-alerts", "warning-alerts"}
    relabel = yaml.safe_load(_by_id(mutants, "relabel-drops:status_code").text)
    assert all({"action": "labeldrop", "regex": "status_code"} in j["metric_relabel_configs"]
               for j in relabel["scrape_configs"])
    trace = _by_id(mutants, "trace-id-dropped:file_log")
    assert trace.pillars and "trace:" not in trace.text.split("operators:")[1].split("processors:")[0]


@pytest.mark.parametrize("mutant_id", ["threshold:HighErrorRate:up", "severity-dropped:ServiceDown",
                                       "route-matcher-swapped:route.routes[0]:severity", "job-dropped:node-exporter",
                                       "relabel-drops:service"])
def test_a_mutant_is_its_one_file_layered_over_the_config(mutants: list[Mutant], mutant_id: str,
                                                         tmp_path: Path) -> None:
    mutant = _by_id(mutants, mutant_id)
    merged = mutant_dir(mutant, STACK, tmp_path / "work", tmp_path / "cache")
    assert (merged / mutant.file).read_text() == mutant.text
    assert (merged / "otelcol" / "config.yaml").read_text() == (STACK / "otelcol" / "config.yaml").read_text()
    load_source(merged)  # the harness loads it: the defect is in behaviour, not syntax


def test_selection_is_derived_from_the_scenarios(mutants: list[Mutant]) -> None:
    scenarios = load_scenarios(project_root() / "scenarios")
    threshold = plan(_by_id(mutants, "threshold:HighErrorRate:up"), scenarios, per_mutant=1)
    expecting = {s.name for s in scenarios if "HighErrorRate" in {a.name for a in s.alerts}}
    assert {s.name for s in threshold.scenarios} == expecting  # raised: every scenario that expects it
    assert "error-burst: expects HighErrorRate" in threshold.why
    page = plan(_by_id(mutants, "burn-factor:APIAvailabilityBudgetBurnPage:up"), scenarios)
    assert page.scenarios[0].name == "below-thresholds"  # the near miss (forbids the most alerts) first
    eager = plan(_by_id(mutants, "threshold:HighErrorRate:down"), scenarios, per_mutant=3)
    assert len(eager.scenarios) == 3
    assert not plan(_by_id(mutants, "recipient-changed:default:email_configs[0].to"), scenarios).covered
    trace = plan(_by_id(mutants, "trace-id-dropped:file_log"), scenarios, per_mutant=20)
    assert trace.covered and all(s.expect.logs or s.expect.traces for s in trace.scenarios)
    job = plan(_by_id(mutants, "job-dropped:recoloca-payments"), scenarios)
    assert {s.name for s in job.scenarios} <= {"payment-failures", "service-down"}
    slower = plan(_by_id(mutants, "for-multiplied:APIAvailabilityBudgetBurnPage"), scenarios)
    assert slower.scenarios[0].name == "slo-fast-burn"  # its `within: 20s` is the tightest fixed deadline on it


def test_named_kills_and_the_score(mutants: list[Mutant], tmp_path: Path) -> None:
    m = _by_id(mutants, "severity-swapped:HighErrorRate:warning")
    assert m.named_by("HighErrorRate fired with wrong labels: severity='warning' (expected 'critical')")
    assert not m.named_by("HighErrorRate did not reach receiver 'critical-alerts' within the bound")
    fates = (Fate(m, KILLED, "error-burst"), Fate(mutants[1], UNNAMED, "error-burst"),
             Fate(mutants[2], SURVIVED, "error-burst", "every scenario passed"), Fate(mutants[3], NOT_COVERED),
             Fate(mutants[4], NOT_RUN), Fate(mutants[5], STILLBORN))
    score = Score(fates, 90.0)
    assert score.judged == 4 and score.percent == 50.0 and score.named_percent == 25.0
    assert [f.fate for f in score.survivors()] == [UNNAMED, SURVIVED, NOT_COVERED]
    assert "mutation score 50.0%" in score.text() and "survivors" in score.text()
    out = write(score, tmp_path)
    doc = json.loads(out.read_text())
    assert out == tmp_path / "mutate" / "result.json" and doc["score_percent"] == 50.0
    assert doc["mutants"][0]["fate"] == KILLED and doc["counts"][NOT_RUN] == 1
    results = list((tmp_path / "allure-results").glob("*-result.json"))
    assert len(results) == 1 and "score 50.0%" in results[0].read_text()
    assert len(list((tmp_path / "allure-results").glob("*-attachment.*"))) == 2


def test_the_time_budget_and_stillborn_mutants(mutants: list[Mutant], tmp_path: Path) -> None:
    settings = Settings.from_env({}, cache_dir=tmp_path / "cache")
    scenarios = load_scenarios(project_root() / "scenarios")
    executor = Executor(settings, Runtime("podman", "unix:///nowhere", "0"), tmp_path / "work", lambda: None,
                        say=lambda _: None)  # type: ignore[arg-type,return-value]
    covered = plan(_by_id(mutants, "threshold:HighErrorRate:up"), scenarios)
    uncovered = plan(_by_id(mutants, "recipient-changed:default:email_configs[0].to"), scenarios)
    fates = run_all([covered, uncovered], executor, budget_s=-1)
    assert [f.fate for f in fates] == [NOT_RUN, NOT_COVERED] and "time budget" in fates[0].message
    broken = Mutant("broken:x", "broken", "not YAML", "prometheus/alert_rules.yml", "groups: [", ("HighErrorRate",))
    fate = executor.run(plan(broken, scenarios))
    assert fate.fate == STILLBORN and "alert_rules.yml" in fate.message


def test_mutate_list_and_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mutate", "--list", "--only", "for-multiplied:ServiceDown"]) == 0
    out = capsys.readouterr().out
    assert "1 mutants" in out and "for-multiplied:ServiceDown: ServiceDown: for 1m -> 3m" in out
    assert "service-down: expects ServiceDown" in out


def test_a_bring_your_own_config_with_its_own_severities(tmp_path: Path) -> None:
    base = project_root() / "tests" / "mutate" / "p1p2"
    settings = Settings.from_env({}, cache_dir=tmp_path / "cache", config_dir=base / "config")
    source = load_source(settings.config_dir)
    assert dict(source.paging_budgets) == {"P1": 180.0, "P2": 600.0}
    found = operators.generate(source)
    assert "severity-swapped:BackendErrors:P2" in {m.id for m in found}
    widened = _by_id(found, "inhibit-widened:inhibit_rules[0]")
    assert set(widened.alerts) == {"BackendErrors", "BackendErrorsP2", "PaymentsDown"}
    plans = [plan(m, load_scenarios(base / "scenarios")) for m in found]
    assert plan(widened, load_scenarios(base / "scenarios")).covered
    assert sum(p.covered for p in plans) > len(plans) // 2


def test_only_with_an_unknown_id_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mutate", "--list", "--only", "for-multiplied:NoSuchAlert"]) == 2
    assert "--only: no mutant has the id or prefix for-multiplied:NoSuchAlert" in capsys.readouterr().err


def test_what_a_kill_must_name_is_specific(mutants: list[Mutant]) -> None:
    slower = _by_id(mutants, "for-multiplied:HighErrorRate")
    assert slower.named_by("paging budget exceeded: HighErrorRate can page 11m55s (real time) after its fault, "
                           "over its paging budget 7m55s: for 6m + range window 5m")
    assert not slower.named_by("HighErrorRate did not reach receiver 'critical-alerts' before the bound")
    assert _by_id(mutants, "threshold:HighErrorRate:up").named_by("HighErrorRate ... (threshold > 0.5)")
    assert _by_id(mutants, "window-widened:HighErrorRate").names == ("HighErrorRate", "range window 15m")
    assert _by_id(mutants, "recipient-changed:critical-alerts:slack_configs[0].channel").names == (
        "#obsdrill-mutant",)


def test_the_pool_runs_jobs_on_every_executor_and_keeps_their_order() -> None:
    import threading

    from harness.mutate.execution import pool

    seen: dict[int, str] = {}
    started = threading.Barrier(2, timeout=5)  # both workers must be inside a job at once

    def job(n: int) -> Callable[[Any], int]:
        def run(executor: Any) -> int:
            if n < 2:
                started.wait()
            seen[n] = executor
            return n * n
        return run
    assert pool([job(n) for n in range(6)], ["a", "b"]) == [0, 1, 4, 9, 16, 25]  # type: ignore[list-item]
    assert set(seen.values()) == {"a", "b"}

    def broken(executor: Any) -> int:
        raise RuntimeError("stack gone")
    with pytest.raises(RuntimeError, match="stack gone"):
        pool([broken, job(9)], ["a"])  # type: ignore[list-item]


def test_parallel_below_one_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mutate", "--parallel", "0", "--list"]) == 2
    assert "--parallel: 0 is not a number of workers" in capsys.readouterr().err


def test_resume_keeps_kills_unless_the_killing_scenario_was_edited_since(mutants: list[Mutant],
                                                                         tmp_path: Path) -> None:
    import os
    import shutil

    from harness.mutate import resume

    shutil.copytree(project_root() / "scenarios", tmp_path / "scenarios")
    scenarios = load_scenarios(tmp_path / "scenarios")
    ids = ["threshold:HighErrorRate:up", "for-multiplied:HighErrorRate", "threshold:HighErrorRate:down"]
    plans = [plan(_by_id(mutants, i), scenarios) for i in ids]
    result = tmp_path / "result.json"
    result.write_text(json.dumps({"mutants": [
        {"id": ids[0], "fate": KILLED, "scenario": "error-burst", "message": "m", "tried": ["error-burst"]},
        {"id": ids[1], "fate": UNNAMED, "scenario": "payment-failures", "message": "m", "tried": []},
        {"id": ids[2], "fate": SURVIVED, "scenario": "error-burst", "message": "m", "tried": []}]}))
    edited = tmp_path / "scenarios" / "payment-failures.yaml"
    os.utime(edited, (result.stat().st_mtime + 10, result.stat().st_mtime + 10))
    kept = resume.kept(result, plans, scenarios)
    assert list(kept) == [ids[0]] and kept[ids[0]].kept == str(result) and kept[ids[0]].fate == KILLED
    (tmp_path / "bad.json").write_text("[]")
    with pytest.raises(ConfigError, match=r"not a result\.json of obsdrill mutate"):
        resume.kept(tmp_path / "bad.json", plans, scenarios)


def test_an_interrupted_run_writes_what_it_judged(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    from harness.mutate import command
    from harness.runtime import Runtime as RealRuntime

    def interrupted(plans: list[Any], scenarios: Any, executors: Any, args: Any, judged: list[Fate]) -> list[Fate]:
        judged.append(Fate(plans[0].mutant, KILLED, "error-burst", "HighErrorRate ... (threshold > 0.5)"))
        raise KeyboardInterrupt("interrupted by signal 15")
    monkeypatch.setattr(command, "_run_modes", interrupted)
    monkeypatch.setattr("harness.runtime.ensure_runtime", lambda *a, **k: RealRuntime("podman", "unix:///x", "0"))
    with pytest.raises(KeyboardInterrupt):
        command.cmd_mutate(command_args(["mutate", "--only", "threshold:HighErrorRate", "--reports-dir",
                                         str(tmp_path)]))
    doc = json.loads((tmp_path / "mutate" / "result.json").read_text())
    assert [m["fate"] for m in doc["mutants"]] == [KILLED, NOT_RUN]
    assert doc["mutants"][1]["message"] == "interrupted before it ran" and "--resume it" in capsys.readouterr().out


def command_args(argv: list[str]) -> Any:
    from harness.cli import build_parser

    return build_parser().parse_args(argv)
