from pathlib import Path

from harness import bounds
from harness.assertions.metrics import value_part
from harness.config import load_source
from harness.render import render
from harness.settings import project_root
from synthetic_services.faults import FaultError, FaultState


def test_fire_bound_is_computed_from_the_scaled_config(tmp_path: Path) -> None:
    cfg = render(load_source(project_root() / "stack"), 0.1, tmp_path)
    bound = bounds.fire_bound(cfg.rule("HighErrorRate"), cfg.timing, slack=15)
    assert bound.seconds == 30 + 1.5 + 3 + 12 + 1 + 15
    assert "for 12s" in bound.explain() and "group_wait 1s" in bound.explain()
    assert bounds.resolve_bound(cfg.rule("HighErrorRate"), cfg.timing, 15).seconds == 30 + 1.5 + 3 + 1 + 15


def test_value_part_splits_threshold() -> None:
    assert value_part("(a / b) > 0.05") == ("(a / b)", "> 0.05")
    assert value_part("up == 0") == ("up", "== 0")


def test_http_error_fault_is_exact_and_reversible() -> None:
    faults = FaultState()
    faults.set("http_errors", {"rate": 0.2, "status": 503})
    statuses = [faults.error_status("/api/status") for _ in range(100)]
    assert statuses.count(503) == 20 and statuses.count(None) == 80
    assert faults.describe() == {"http_errors": {"rate": 0.2, "status": 503, "endpoint": None}}
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


def test_alert_history_is_relative_to_the_injection() -> None:
    from harness.assertions.alerts import AlertWatch

    watch = AlertWatch(prom=None, sink=None)  # type: ignore[arg-type]  # history only, no server needed
    watch.started -= 10
    watch.history["X"] = [(9.0, "inactive")]
    watch.restart_clock()
    watch.history["X"].append((2.0, "pending"))
    assert watch.history_text("X") == "inactive@-1.0s -> pending@+2.0s"
