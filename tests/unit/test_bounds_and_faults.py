from pathlib import Path

from harness import bounds
from harness.assertions.metrics import value_part
from harness.config import load_source
from harness.render import render
from harness.settings import project_root
from synthetic_services.faults import FaultError, FaultState
from synthetic_services.faults.base import progress


def test_fire_bound_is_computed_from_the_scaled_config(tmp_path: Path) -> None:
    cfg = render(load_source(project_root() / "stack"), 0.1, tmp_path)
    deadlines = bounds.Deadlines(cfg.timing, slack=15)
    bound = deadlines.fire(cfg.rule("HighErrorRate"))
    assert bound.seconds == 30 + 1.5 + 3 + 12 + 1 + 15
    assert "for 12s" in bound.explain() and "group_wait 1s" in bound.explain()
    assert deadlines.resolve(cfg.rule("HighErrorRate")).seconds == 30 + 1.5 + 3 + 1 + 15


def test_delays_ramps_and_the_settle_bound_are_terms(tmp_path: Path) -> None:
    cfg = render(load_source(project_root() / "stack"), 0.1, tmp_path)
    deadlines = bounds.Deadlines(cfg.timing, slack=15)
    rule = cfg.rule("HighErrorRate")
    assert deadlines.fire(rule, delay=20).terms()[bounds.DELAY] == 20
    assert deadlines.fire(rule, delay=0) == deadlines.fire(rule)
    recovery = deadlines.recovery(rule, ramp=7)
    assert recovery.seconds == deadlines.resolve(rule).seconds + 7
    assert recovery.explain().endswith(f"+ {bounds.RAMP} 7s")
    assert deadlines.metric("up == 0", delay=4).explain() == (
        f"20.5s = range window 0s + scrape 1.5s + slack 15s + {bounds.DELAY} 4s")
    seed = [r for r in cfg.rules if r.file != "slo_rules.yml"]
    settle = deadlines.settle(seed)
    assert settle.seconds == max(deadlines.resolve(r).seconds for r in seed) > 0
    assert settle.terms()["group_interval"] == cfg.timing.group_interval
    assert deadlines.settle([]).seconds == 0
    # an SLO ticket's 3d window is 7.2 h at 0.1: settle waits at most the reach of a live run, and its
    # recovery is left out, saying which window and where it is checked instead
    ticket = cfg.rule("APIAvailabilityBudgetBurnTicket")
    assert deadlines.settle(cfg.rules).explain() == f"{bounds.REACH:.1f}s = reach of a live run {bounds.REACH:g}s"
    why = deadlines.beyond_reach(ticket, deadlines.recovery(ticket))
    assert why is not None and "6h real (36m at factor 0.1)" in why and "promtool test rules" in why
    assert deadlines.beyond_reach(rule, deadlines.recovery(rule)) is None


def test_bounds_of_metrics_notifications_and_the_pipeline(tmp_path: Path) -> None:
    cfg = render(load_source(project_root() / "stack"), 0.1, tmp_path)
    deadlines = bounds.Deadlines(cfg.timing, 15)
    metric = deadlines.metric('sum(rate(x{code=~"[45].."}[30s])) / sum(rate(x[1m])) > 0')
    assert metric.terms() == {"range window": 60, "scrape": 1.5, "slack": 15}  # the regex is no range
    assert deadlines.metric("up == 0").seconds == 16.5
    notify = deadlines.notification()
    assert notify.explain() == "17.0s = group_wait 1s + group_interval 1s + slack 15s"
    assert deadlines.pipeline().seconds == bounds.EXPORT_DELAY + bounds.PIPELINE_DELAY + 15


def test_extra_terms_and_explicit_deadlines(tmp_path: Path) -> None:
    cfg = render(load_source(project_root() / "stack"), 0.1, tmp_path)
    fire = bounds.Deadlines(cfg.timing, 15).fire(cfg.rule("GPUTemperatureHigh"))
    assert fire.plus("method delay", 0) is fire  # no 0 s terms
    delayed = fire.plus("method delay", 20)
    assert delayed.seconds == fire.seconds + 20 and delayed.explain().endswith("+ method delay 20s")
    assert bounds.choose(None, "within", fire) is fire
    explicit = bounds.choose(90, "expect.alerts[0].within", fire)
    assert explicit.explain() == "90.0s = expect.alerts[0].within (set in scenario) 90s"


def test_bounds_scale_with_the_time_factor(tmp_path: Path) -> None:
    source = load_source(project_root() / "stack")
    fast = render(source, 0.1, tmp_path / "fast")
    real = render(source, 1.0, tmp_path / "real")
    f = bounds.Deadlines(fast.timing, 0).fire(fast.rule("HighErrorRate")).seconds
    r = bounds.Deadlines(real.timing, 0).fire(real.rule("HighErrorRate")).seconds
    assert abs(r - 10 * f) < 1e-6


def test_value_part_splits_threshold() -> None:
    assert value_part("(a / b) > 0.05") == ("(a / b)", "> 0.05")
    assert value_part("up == 0") == ("up", "== 0")


def test_http_error_fault_is_exact_and_reversible() -> None:
    faults = FaultState()
    faults.set("http_errors", {"rate": 0.2, "status": 503})
    statuses = [faults.error_status("/api/status") for _ in range(100)]
    assert statuses.count(503) == 20 and statuses.count(None) == 80
    assert faults.describe() == {"http_errors": {"rate": 0.2, "status": 503, "endpoint": None,
                                                 "progress": progress(True)}}
    faults.clear()
    assert faults.error_status("/api/status") is None and faults.describe() == {}


def test_fault_errors_name_the_field() -> None:
    faults = FaultState()
    for spec, field in (({"rate": 2}, "http_errors.rate"), ({"rate": 0.1, "status": 200}, "http_errors.status")):
        try:
            faults.set("http_errors", spec)
        except FaultError as exc:
            assert field in str(exc)
        else:
            raise AssertionError(f"{spec} was accepted")
