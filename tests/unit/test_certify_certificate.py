"""The equivalence certificate's parts: mapping samples onto real time, resampling, the promtool test file
and reading promtool's report, alert timelines, and certify_run wired end to end against a fake Prometheus
and a fake promtool."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from harness.certify import promtool, samples, timeline
from harness.certify.certificate import _by_phase, certify_run, exact_windows, real_timing
from harness.certify.samples import Series
from harness.config import load_source
from harness.errors import ObsdrillError
from tests.unit.fake_http import serve

# What promtool 2.42 printed for a test like the one test_document writes (captured from the real tool).
_GOT_A = ('{__name__="ALERTS", alertname="A", alertstate="%s", job="a", q="he said \\"hi\\", ok", '
          'severity="critical"} 1E+00')
_GOT_B = '{__name__="ALERTS", alertname="A", alertstate="pending", job="b", severity="critical"} 1E+00'
PROMTOOL_OUTPUT = "\n".join([
    "Unit Testing:  /work/certificate_test.yml", "  FAILED:",
    '    expr: "ALERTS{alertname=~\\"A\\"}", time: 30s,', "        exp: nil", "        got: " + _GOT_A % "pending",
    '    expr: "ALERTS{alertname=~\\"A\\"}", time: 1m30s,', "        exp: nil",
    "        got: " + _GOT_A % "firing" + ", " + _GOT_B, ""])


def _series(name: str, points: list[tuple[float, float]], **labels: str) -> Series:
    return Series(tuple(sorted({"__name__": name, **labels}.items())), tuple(points))


def test_counter_increments_are_divided_by_the_factor_and_time_is_stretched() -> None:
    raw = _series("http_requests_total", [(100, 5), (101, 7), (102, 10), (103, 1), (104, 4)])
    out = samples.stretch(raw, t0=100, factor=0.1, counter=True)
    assert [t for t, _ in out.points] == pytest.approx([100, 110, 120, 130, 140])
    # +2, +3, reset (counts 1), +3: each increment x10, so the per-second rate is kept
    assert [v for _, v in out.points] == pytest.approx([5, 25, 55, 65, 95])
    gauge = samples.stretch(_series("queue", [(100, 5), (101, 7)]), 100, 0.1, counter=False)
    assert gauge.points == ((100, 5), (110, 7))


def test_counter_detection_prefers_metadata_over_the_suffix() -> None:
    metadata = {"http_request_duration_seconds": "histogram", "weird_total": "gauge", "payments": "counter"}
    assert samples.is_counter("http_request_duration_seconds_bucket", metadata)
    assert samples.is_counter("payments", metadata)
    assert not samples.is_counter("weird_total", metadata)
    assert samples.is_counter("http_requests_total", {})
    assert not samples.is_counter("up", {})


def test_each_sample_lands_once_on_the_first_point_at_or_after_it_and_a_gap_ends_stale() -> None:
    series = _series("x", [(0.4, 1), (10.3, 2), (19.8, 3), (60, 4), (70, 5)])
    # no sample reaches a point before it was taken (an evaluation there had not seen it); spacing 10 s (the
    # median); 19.8 -> 60 is a gap: stale one spacing after 19.8; after 70 the grid ends
    assert samples.place(series, 0, 5, 16) == [None, 1, None, 2, 3, None, "stale", None, None, None, None, None,
                                               4, None, 5, None]
    # a series that stops before the grid does (a crashed target) goes stale, and is not held
    assert samples.place(_series("y", [(0, 1), (10, 2)]), 0, 5, 8) == [1, None, 2, None, "stale", None, None, None]
    assert samples.grid_count(0, 70, 10) == 8


def test_a_15s_counter_among_10s_jobs_keeps_its_own_spacing(tmp_path: Path) -> None:
    """The grid divides every interval and 1 s: a sample held onto the next point of a 10 s grid would
    make irate() read no change at every third point."""
    source = _source(tmp_path)
    doc = yaml.safe_load((source / "prometheus" / "prometheus.yml").read_text())
    doc["global"] = {"scrape_interval": "15s", "evaluation_interval": "15s"}
    doc["scrape_configs"] = [{"job_name": "svc", "scrape_interval": "10s"}, {"job_name": "node"}]
    (source / "prometheus" / "prometheus.yml").write_text(yaml.safe_dump(doc))
    assert real_timing(load_source(source)).grid == 1
    doc["scrape_configs"][0]["scrape_interval"] = "2500ms"
    (source / "prometheus" / "prometheus.yml").write_text(yaml.safe_dump(doc))
    assert real_timing(load_source(source)).grid == 0.5
    cpu = _series("node_cpu_seconds_total", [(t, t * 0.5) for t in range(0, 61, 15)])
    assert samples.place(cpu, 0, 5, 13) == [0.0, None, None, 7.5, None, None, 15.0, None, None, 22.5, None, None,
                                            30.0]
    assert promtool.values_text(samples.place(cpu, 0, 5, 13)) == "0.0 _x2 7.5 _x2 15.0 _x2 22.5 _x2 30.0"


def test_promtool_file_has_every_series_and_one_empty_alerts_case_per_evaluation() -> None:
    grid = promtool.Grid(start=1000, step=5, evaluation_interval=15, count=13)  # 60 s of real time
    doc = promtool.test_document("rules.yml", [_series("x", [(1000, 1), (1020, 2.5), (1040, 3)], job='a"b')], grid,
                                 ["A", "B"])
    test = doc["tests"][0]
    assert doc["rule_files"] == ["rules.yml"] and doc["evaluation_interval"] == "15s" and test["interval"] == "5s"
    assert test["input_series"] == [{"series": 'x{job="a\\"b"}', "values": "1.0 _x3 2.5 _x3 3.0 _x3 stale"}]
    assert [c["eval_time"] for c in test["promql_expr_test"]] == ["0s", "15s", "30s", "45s", "1m"]
    assert {c["expr"] for c in test["promql_expr_test"]} == {'ALERTS{alertname=~"A|B"}'}
    assert all(c["exp_samples"] == [] for c in test["promql_expr_test"])
    yaml.safe_dump(doc)  # plain data


def test_promtool_report_is_read_back_into_alert_states() -> None:
    got = promtool.parse_output(PROMTOOL_OUTPUT)
    assert sorted(got) == [30.0, 90.0]
    assert got[30.0] == [{"__name__": "ALERTS", "alertname": "A", "alertstate": "pending", "job": "a",
                          "q": 'he said "hi", ok', "severity": "critical"}]
    assert [s["alertstate"] for s in got[90.0]] == ["firing", "pending"]


def test_compressed_timeline_ends_an_active_run_one_evaluation_after_its_last_sample() -> None:
    alerts = [_series("ALERTS", [(10, 1), (11, 1)], alertname="A", alertstate="pending"),
              _series("ALERTS", [(12, 1), (13, 1), (14, 1)], alertname="A", alertstate="firing")]
    [(key, states)] = timeline.compressed_states(alerts, evaluation=1.0, end=30).items()
    assert key == (("alertname", "A"),)
    assert timeline.changes(states) == [(10, "pending"), (12, "firing"), (15.0, "inactive")]
    still = timeline.compressed_states(alerts, evaluation=1.0, end=14.5)
    assert timeline.changes(still[key]) == [(10, "pending"), (12, "firing")]


def test_clip_and_agree() -> None:
    states = [(90.0, "pending"), (100.0, "pending"), (110.0, "firing"), (200.0, "inactive")]
    clipped = timeline.clip(states, start=95)
    assert clipped == (timeline.Transition(0, "pending"), timeline.Transition(15, "firing"),
                       timeline.Transition(105, "inactive"))
    near = tuple(timeline.Transition(t.at + 20, t.state) for t in clipped)
    assert timeline.agree(clipped, near, tolerance=25)
    assert not timeline.agree(clipped, near, tolerance=19)
    assert not timeline.agree(clipped, clipped[:2], tolerance=100)


class FakePromtool:
    """Answers like promtool would for ``x > 5`` with `for: 20s` (real) over the stretched samples."""

    def __init__(self, firing_at: float) -> None:
        self.firing_at = firing_at
        self.seen: dict[str, Any] = {}

    def describe(self) -> str:
        return "fake promtool"

    def run(self, directory: Path, test_file: str) -> tuple[int, str]:
        self.seen = yaml.safe_load((directory / test_file).read_text())
        self.seen["rules"] = yaml.safe_load((directory / self.seen["rule_files"][0]).read_text())
        cases = []
        for step in range(0, 400, 10):
            rel = step - 20  # test time 0 is the lead-in start, 20 s of real time before the window
            state = "firing" if self.firing_at <= rel < 200 else "pending" if 100 <= rel < 200 else None
            if state:
                cases.append(f'    expr: "ALERTS", time: {step}s,\n        exp: nil\n        got: '
                             f'{{__name__="ALERTS", alertname="A", alertstate="{state}"}} 1E+00')
        return 1, "Unit Testing: x\n  FAILED:\n" + "\n".join(cases) + "\n"


def _source(tmp_path: Path) -> Path:
    (tmp_path / "prometheus").mkdir()
    (tmp_path / "alertmanager").mkdir()
    (tmp_path / "prometheus" / "prometheus.yml").write_text(
        "global: {scrape_interval: 10s, evaluation_interval: 10s}\nrule_files: [r.yml]\n")
    (tmp_path / "prometheus" / "r.yml").write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [
        {"alert": "A", "expr": "x > 5", "for": "20s"}, {"alert": "B", "expr": "y > 1"}]}]}))
    (tmp_path / "alertmanager" / "alertmanager.yml").write_text("route: {receiver: r}\nreceivers: [{name: r}]\n")
    return tmp_path


def _prometheus(query: dict[str, list[str]]) -> dict[str, Any]:
    expr = query["query"][0]
    if expr.startswith("ALERTS"):  # the compressed run: pending at wall 1010, firing at 1012, resolved at 1020
        result = [{"metric": {"__name__": "ALERTS", "alertname": "A", "alertstate": state},
                   "values": [[t, "1"] for t in range(a, b)]} for state, a, b in (("pending", 1010, 1012),
                                                                                 ("firing", 1012, 1020))]
    else:
        result = [{"metric": {"__name__": "x"}, "values": [[t, "10" if 1010 <= t < 1020 else "1"]
                                                            for t in range(990, 1040)]}]
    return {"status": "success", "data": {"resultType": "matrix", "result": result}}


@pytest.mark.parametrize(("firing_at", "holds"), [(120.0, True), (180.0, False)])
def test_certify_run_compares_both_timelines(tmp_path: Path, firing_at: float, holds: bool) -> None:
    source = load_source(_source(tmp_path))
    runner = FakePromtool(firing_at)
    routes = {"/api/v1/query": _prometheus, "/api/v1/metadata": lambda q: {"status": "success", "data": {}}}
    with serve(routes) as url:
        cert = certify_run(url, source, start=1000, end=1039, factor=0.1, alerts=["A"], runner=runner)
    assert real_timing(source).tolerance == 20
    [alert] = cert.alerts
    [instance] = alert.instances
    assert [(t.at, t.state) for t in instance.compressed] == [(100, "pending"), (120, "firing"), (200, "inactive")]
    assert [(t.at, t.state) for t in instance.promtool][1] == (firing_at, "firing")
    assert cert.holds is holds and alert.holds is holds
    assert ("holds" if holds else "FAILS") in cert.describe()
    # the lead-in before the window: x > 5 reads no range, `for` 20s real = 2 s wall
    test = runner.seen["tests"][0]
    assert test["input_series"][0]["series"] == "x" and test["interval"] == "1s"
    assert [r["alert"] for g in runner.seen["rules"]["groups"] for r in g["rules"]] == ["A"]


def test_a_promtool_report_line_that_cannot_be_read_is_an_error() -> None:
    broken = PROMTOOL_OUTPUT.replace('job="b", ', 'job="b\n\n')
    with pytest.raises(ObsdrillError, match="cannot read the samples it got at 1m30s"):
        promtool.parse_output(broken)


def test_what_the_window_inherited_is_left_out_of_the_comparison() -> None:
    T = timeline.Transition
    inherited = (T(0, "firing"), T(6, "inactive"), T(141, "pending"), T(201, "firing"), T(261, "inactive"))
    promtool = (T(0, "pending"), T(0, "inactive"), T(135, "pending"), T(195, "firing"), T(255, "inactive"))
    a, b = (timeline.after_carry_over(t, 30) for t in (inherited, promtool))
    assert a == inherited[2:] and b == promtool[2:] and timeline.agree(a, b, 30)
    late = (T(0, "firing"), T(45, "inactive"))  # a resolution past the tolerance is the window's own
    assert timeline.after_carry_over(late, 30) == late


def test_the_grid_starts_at_the_oldest_sample_not_a_long_window_before_it(tmp_path: Path) -> None:
    """A 3-day window's lead reaches 7 h of wall time back at 0.1; the stack's samples start at 990, so
    promtool is given the grid from there (one case per real evaluation), not 25,920 empty steps first."""
    source = _source(tmp_path)
    (source / "prometheus" / "r.yml").write_text(yaml.safe_dump({"groups": [{"name": "g", "rules": [
        {"alert": "A", "expr": "avg_over_time(x[3d]) > 5", "for": "20s"}]}]}))
    runner = FakePromtool(120.0)
    routes = {"/api/v1/query": _prometheus, "/api/v1/metadata": lambda q: {"status": "success", "data": {}}}
    with serve(routes) as url:
        certify_run(url, load_source(source), start=1000, end=1039, factor=0.1, alerts=["A"], runner=runner)
    cases = runner.seen["tests"][0]["promql_expr_test"]
    assert len(cases) == 50  # (1039 - 990) wall s / 0.1 = 490 real s, an evaluation every 10 s: steps 0..490
    assert cases[-1]["eval_time"] == "8m10s"


def test_alerts_are_replayed_per_evaluation_phase_of_their_group() -> None:
    """Each stored ALERTS sample carries its group's evaluation timestamp: alerts of two groups (phases 1.3 s
    and 0.4 s of a 1.5 s compressed evaluation) get a grid each; one never active joins the first."""
    stored = [_series("ALERTS", [(1000.3, 1), (1001.8, 1)], alertname="A", alertstate="firing"),
              _series("ALERTS", [(1003.3, 1)], alertname="B", alertstate="pending"),
              _series("ALERTS", [(1000.9, 1)], alertname="C", alertstate="firing")]
    found = _by_phase(["A", "B", "C", "D"], stored, 1.5)
    assert [(pytest.approx(phase), names) for phase, names in found] == [(1.3, ["A", "B", "D"]), (0.4, ["C"])]
    assert _by_phase(["A"], [], 1.5) == [(None, ["A"])]


def test_promtool_time_zero_is_an_evaluation_instant_of_the_compressed_run(tmp_path: Path) -> None:
    """The stored ALERTS of A sit at x.5 s (phase 0.5 of a 1 s compressed evaluation): the grid starts at
    989.5, the run's evaluation before the first sample (990), so that sample (5 real seconds later)
    reaches promtool at its 5th 1 s point, never before an evaluation that had it."""
    runner = FakePromtool(120.0)

    def prometheus(query: dict[str, list[str]]) -> dict[str, Any]:
        answer = _prometheus(query)
        for item in answer["data"]["result"]:
            if query["query"][0].startswith("ALERTS"):
                item["values"] = [[t + 0.5, v] for t, v in item["values"]]
        return answer

    routes = {"/api/v1/query": prometheus, "/api/v1/metadata": lambda q: {"status": "success", "data": {}}}
    with serve(routes) as url:
        certify_run(url, load_source(_source(tmp_path)), start=1000, end=1039, factor=0.1, alerts=["A"],
                    runner=runner)
    assert runner.seen["tests"][0]["input_series"][0]["values"].startswith("_x5 1.0 _x9 1.0")


def test_windows_are_shortened_by_one_grid_step_so_they_hold_what_the_run_held() -> None:
    assert exact_windows('rate(x{a="[5m]"}[5m]) > 1 and max_over_time(y[1h:30s]) > 2', 1) == \
        'rate(x{a="[5m]"}[4m59s1ms]) > 1 and max_over_time(y[59m59s1ms:30s]) > 2'
    assert exact_windows("rate(x[1s])", 1) == "rate(x[1s])"  # no shorter window holds anything
