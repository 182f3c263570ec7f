"""The scheduler: resources derived from faults, the conflict graph on one stack and on several, batches,
and host locks that keep a host-wide scenario alone."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from harness import schedule
from harness.load import LoadProfile
from harness.scenario import load_scenarios
from harness.scenario.model import AlertExpectation, Expect, Fault, Scenario
from harness.settings import project_root


def scenario(name: str, *faults: tuple[str, str], alerts: tuple[str, ...] = (), not_firing: tuple[str, ...] = (),
             load: bool = False, resources: tuple[str, ...] = ()) -> Scenario:
    return Scenario(name=name, path=Path(f"{name}.yaml"), method=tuple(Fault(f, s) for f, s in faults),
                    expect=Expect(alerts=tuple(AlertExpectation(a, "r") for a in alerts), not_firing=not_firing),
                    load=LoadProfile(journeys=(("browse", 1),)) if load else None, resources=resources)


def test_resources_are_derived_from_the_faults() -> None:
    s = scenario("s", ("cpu_burn", "backend"), ("memory_growth", "backend"), ("disk_fill", "cv-analyzer"),
                 ("overheat", "gpu-sim"), ("crash", "payments"))
    assert schedule.derived(s) == ("service:backend", "host-cpu", "host-memory", "service:cv-analyzer",
                                   "data-volume", "service:gpu-sim", "gpu", "service:payments")


def test_declared_resources_replace_the_derived_ones_and_load_claims_its_route_shared() -> None:
    s = scenario("s", ("latency", "backend"), load=True, resources=("gpu",))
    got = {(c.resource, c.exclusive) for c in schedule.claims(s)}
    assert ("gpu", True) in got and ("service:backend", False) in got and ("service:gateway", False) in got
    assert ("service:backend", True) not in got


def test_a_host_claim_conflicts_with_everything_on_any_placement() -> None:
    cpu, other = scenario("cpu", ("cpu_burn", "backend")), scenario("gpu", ("overheat", "gpu-sim"))
    for same_stack in (True, False):
        assert "host-cpu" in schedule.conflict(cpu, other, same_stack)
        assert "host-cpu" in schedule.conflict(other, cpu, same_stack)


def test_on_several_stacks_only_the_host_is_shared() -> None:
    a = scenario("a", ("latency", "backend"), load=True)
    b = scenario("b", ("http_errors", "backend"), load=True)
    assert schedule.conflict(a, b, same_stack=False) == ""
    assert "service:backend" in schedule.conflict(a, b, same_stack=True)


def test_on_one_stack_load_meets_a_fault_on_its_route() -> None:
    faulty = scenario("faulty", ("latency", "backend"))
    loaded = scenario("loaded", load=True)
    assert "service:backend" in schedule.conflict(faulty, loaded, same_stack=True)
    assert schedule.conflict(scenario("x"), scenario("y", load=True), same_stack=True) == ""


def test_on_one_stack_an_alert_one_drives_and_the_other_forbids_conflicts() -> None:
    a = scenario("a", ("overheat", "gpu-sim"), alerts=("HighErrorRate",))
    b = scenario("b", ("queue_backup", "cv-analyzer"), not_firing=("HighErrorRate",))
    assert "expects not to fire" in schedule.conflict(a, b, same_stack=True)
    assert schedule.conflict(a, b, same_stack=False) == ""


def test_batches_respect_conflicts_and_slots() -> None:
    cpu = scenario("cpu", ("cpu_burn", "backend"))
    mem = scenario("mem", ("memory_growth", "backend"))
    rest = [scenario(f"s{i}", ("latency", "backend"), load=True) for i in range(5)]
    got = schedule.batches([*rest, cpu, mem], slots=3, same_stack=False)
    assert [len(b) for b in got] == [1, 1, 3, 2]
    assert {got[0][0].name, got[1][0].name} == {"cpu", "mem"}
    graph = schedule.conflict_graph([*rest, cpu, mem], same_stack=False)
    for batch in got:
        names = [s.name for s in batch]
        assert not any(a in names and b in names for a, b in graph)
    with pytest.raises(ValueError):
        schedule.batches(rest, slots=0, same_stack=False)


def test_the_built_in_suite_on_one_stack_is_nearly_sequential_and_on_three_is_not() -> None:
    suite = load_scenarios(project_root() / "scenarios")
    one = schedule.batches(suite, slots=3, same_stack=True)
    several = schedule.batches(suite, slots=3, same_stack=False)
    assert len(several) < len(one)
    assert [s.name for b in several[:2] for s in b] == ["high-cpu-usage", "high-memory-usage"] or \
        [s.name for b in several[:2] for s in b] == ["high-memory-usage", "high-cpu-usage"]
    assert all(len(b) == 1 for b in several[:2])
    assert {s.name for s in schedule.order(suite, 3)[-2:]} == {"high-cpu-usage", "high-memory-usage"}


def test_host_locks_keep_a_host_wide_scenario_alone(tmp_path: Path) -> None:
    cpu = scenario("cpu", ("cpu_burn", "backend"))
    other = scenario("other", ("latency", "backend"))
    assert schedule.host_locks(cpu) == [("host-cpu", True), ("host-memory", False)]
    assert schedule.host_locks(other) == [("host-cpu", False), ("host-memory", False)]
    log: list[str] = []

    def run(s: Scenario, hold: float) -> None:
        with schedule.holding(s, tmp_path):
            log.append(f"+{s.name}")
            time.sleep(hold)
            log.append(f"-{s.name}")

    first = threading.Thread(target=run, args=(other, 0.3))
    first.start()
    time.sleep(0.05)
    second = threading.Thread(target=run, args=(cpu, 0.0))
    second.start()
    first.join()
    second.join()
    assert log == ["+other", "-other", "+cpu", "-cpu"]


def test_a_host_wide_scenario_is_not_starved_by_a_stream_of_others(tmp_path: Path) -> None:
    cpu = scenario("cpu", ("cpu_burn", "backend"))
    log: list[str] = []

    def run(s: Scenario, hold: float) -> None:
        with schedule.holding(s, tmp_path):
            log.append(s.name)
            time.sleep(hold)

    threads = [threading.Thread(target=run, args=(scenario("a"), 0.3))]
    threads[0].start()
    time.sleep(0.05)
    threads.append(threading.Thread(target=run, args=(cpu, 0.0)))
    threads[1].start()
    time.sleep(0.05)
    threads.append(threading.Thread(target=run, args=(scenario("b"), 0.0)))  # came after cpu: runs after it
    threads[2].start()
    for t in threads:
        t.join()
    assert log == ["a", "cpu", "b"]


def test_run_with_several_stacks_hands_pytest_one_worker_per_stack() -> None:
    from harness import cliout
    from harness.cli import parse_args

    settings = cliout.Settings.from_env()
    assert "-n" not in cliout.pytest_args(settings, parse_args(["run"]), Path("/r"))
    out = cliout.pytest_args(settings, parse_args(["run", "--stacks", "3"]), Path("/r"))
    assert out[out.index("-n"):out.index("-n") + 4] == ["-n", "3", "--dist", "load"]
