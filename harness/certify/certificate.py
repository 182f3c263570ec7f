"""Equivalence certificate of one compressed run: per alert, the pending/firing/resolved times the compressed
run showed (its stored ALERTS series, mapped onto real time) against the times Prometheus's rule engine
(promtool) gives for the UNSCALED rules over the same raw samples stretched onto real time. It holds for an
alert when every transition matches within one real evaluation interval plus one real scrape interval."""

from __future__ import annotations

import copy
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import durations
from harness.certify import promql, promtool, samples, timeline
from harness.certify.lint import lint, recording_rules, rule_entries
from harness.config import SourceConfig
from harness.errors import ConfigError, ObsdrillError
from harness.render import PROM_DEFAULTS

RULE_FILE = "certified_rules.yml"


@dataclass(frozen=True)
class InstanceTimelines:
    labels: timeline.Key
    compressed: tuple[timeline.Transition, ...]
    promtool: tuple[timeline.Transition, ...]
    holds: bool

    def describe(self) -> str:
        labels = ", ".join(f"{k}={v}" for k, v in self.labels if k != "alertname") or "(no labels)"
        return (f"    {'ok  ' if self.holds else 'FAIL'} {{{labels}}}\n"
                f"         compressed run: {timeline.show(self.compressed)}\n"
                f"         promtool (real): {timeline.show(self.promtool)}")


@dataclass(frozen=True)
class AlertCertificate:
    alert: str
    tolerance: float
    instances: tuple[InstanceTimelines, ...]
    lint: tuple[str, ...]  # what the time-factor lint says about this rule

    @property
    def holds(self) -> bool:
        return all(i.holds for i in self.instances)

    def describe(self) -> str:
        head = (f"  {self.alert}: {'holds' if self.holds else 'FAILS'} (tolerance {self.tolerance:g}s real; "
                f"{len(self.instances)} alert instance(s))")
        notes = [f"    lint: {line}" for line in self.lint]
        return "\n".join([head] + [i.describe() for i in self.instances] + notes)


@dataclass(frozen=True)
class Certificate:
    factor: float
    start: float  # wall-clock unix seconds of the certified window of the compressed run
    end: float
    series: int  # raw series exported
    evaluator: str
    alerts: tuple[AlertCertificate, ...]

    @property
    def holds(self) -> bool:
        return all(a.holds for a in self.alerts)

    def alert(self, name: str) -> AlertCertificate:
        return next(a for a in self.alerts if a.alert == name)

    def describe(self) -> str:
        span = self.end - self.start
        head = (f"equivalence certificate {'HOLDS' if self.holds else 'FAILS'}: time factor {self.factor:g}, "
                f"{span:.0f}s compressed = {span / self.factor:.0f}s real, {self.series} raw series, "
                f"unscaled rules evaluated by {self.evaluator}; times are real seconds since the window start")
        return "\n".join([head] + [a.describe() for a in self.alerts])


GRID_MAX_MS = 1000  # the grid's step at most (a sample moves by less than this onto the grid)
GRID_MIN_MS = 100  # and at least: intervals with a finer common divisor are not placed exactly


@dataclass(frozen=True)
class RealTiming:
    scrapes: tuple[float, ...]  # every job's scrape interval
    evaluation: float

    @property
    def scrape_max(self) -> float:
        return max(self.scrapes)

    @property
    def grid(self) -> float:
        """A step that divides every scrape interval, the evaluation interval and 1 s: each series keeps its
        own spacing on the grid, every evaluation falls on a point, and a sample moves by under 1 s."""
        millis = math.gcd(GRID_MAX_MS, *(round(s * 1000) for s in (*self.scrapes, self.evaluation)))
        return max(GRID_MIN_MS, millis) / 1000

    @property
    def tolerance(self) -> float:
        return self.evaluation + self.scrape_max


def real_timing(source: SourceConfig) -> RealTiming:
    glob = {**PROM_DEFAULTS, **(source.prometheus.get("global") or {})}
    scrapes = [durations.parse(glob["scrape_interval"])] + [
        durations.parse(job.get("scrape_interval", glob["scrape_interval"]))
        for job in source.prometheus.get("scrape_configs") or []]
    return RealTiming(tuple(scrapes), durations.parse(glob["evaluation_interval"]))


def exact_windows(expr: str, grid: float) -> str:
    """``expr`` with each range window one ``grid`` step (less 1 ms) shorter. A sample reaches the grid at the
    first point at or after it, so the window [T - w, T] would take in one taken up to a step before T - w;
    the shortened one holds exactly the samples the compressed run's window held (T and T - w are points
    when the step divides the window, as 1 s divides every whole-second window)."""
    return durations.map_ranges(expr, lambda w: w - grid + 0.001 if w > grid > 0 else w)


def certified_rules(source: SourceConfig, alerts: Sequence[str], grid: float = 0.0) -> dict[str, Any]:
    """One rule file: every recording rule and the chosen alerts, unscaled, in their groups, their windows
    made exact for ``grid`` (:func:`exact_windows`)."""
    groups = []
    for _, doc in source.rule_files:
        for group in doc.get("groups") or []:
            kept = [{**copy.deepcopy(r), "expr": exact_windows(str(r["expr"]), grid)}
                    for r in group.get("rules") or [] if "record" in r or r.get("alert") in alerts]
            if kept:
                groups.append({**copy.deepcopy(group), "rules": kept})
    return {"groups": groups}


def _alert_rules(source: SourceConfig, alerts: Sequence[str] | None) -> dict[str, dict[str, Any]]:
    found = {name: rule for _, kind, name, rule in rule_entries(source) if kind == "alert"}
    unknown = [a for a in alerts or () if a not in found]
    if unknown:
        raise ConfigError(f"certify: no alert rule named {', '.join(unknown)} in the loaded rules "
                          f"({', '.join(sorted(found))})")
    return {name: found[name] for name in (alerts or sorted(found))}


def _lead(rules: dict[str, dict[str, Any]], records: dict[str, str]) -> float:
    """Real seconds of history an evaluation at the window start depends on."""
    return max((promql.reach(str(r["expr"]), records) + durations.parse(r.get("for", 0))
                + durations.parse(r.get("keep_firing_for", 0)) for r in rules.values()), default=0.0)


def _first_sample(raw: Sequence[samples.Series], default: float) -> float:
    """The oldest sample of the export: before it the compressed run's Prometheus held nothing any rule reads,
    so promtool's steps there are empty on both sides. A 3-day window (36 min at 0.1 on a stack minutes old)
    would otherwise make promtool evaluate 8,640 empty steps before the data starts."""
    return min((s.points[0][0] for s in raw if s.points), default=default)


def certify_run(prometheus_url: str, source: SourceConfig, start: float, end: float, factor: float,
                alerts: Sequence[str] | None = None, runner: promtool.Runner | None = None,
                work_dir: Path | None = None) -> Certificate:
    """Certify the window [start, end] (wall-clock unix seconds) of a run compressed by ``factor`` on the
    Prometheus at ``prometheus_url``, for ``alerts`` (default: every alert rule of ``source``, the UNSCALED
    config under test). ``runner``: promtool (default: one on PATH). ``work_dir``: where the promtool
    files are written (kept for inspection; default a temporary directory)."""
    runner = runner or promtool.host_promtool()
    if runner is None:
        raise ObsdrillError("certify: no promtool on PATH; pass runner=ContainerPromtool(client, image)")
    if not 0 < factor <= 1 or end <= start:
        raise ConfigError(f"certify: need 0 < factor <= 1 and start < end (got {factor}, {start}..{end})")
    records = recording_rules(source)
    rules = _alert_rules(source, alerts)
    timing = real_timing(source)
    t0 = start - _lead(rules, records) * factor
    exporter = samples.Exporter(prometheus_url)
    selectors = set().union(*(promql.selectors(str(r["expr"]), records) for r in rules.values()))
    raw = exporter.export(selectors, t0, end)
    t0 = max(t0, _first_sample(raw, t0))
    period = timing.evaluation * factor  # one evaluation of the compressed run
    stored = exporter.raw('ALERTS{alertname=~"' + "|".join(rules) + '"}', t0 - period, end)
    replay = _Replay(runner, source, raw, exporter.metadata(), t0, end, factor, timing)
    theirs: dict[timeline.Key, list[Any]] = {}
    for i, (phase, names) in enumerate(_by_phase(list(rules), stored, period)):
        origin = t0 if phase is None else t0 - (t0 - phase) % period  # an evaluation instant of that group
        directory = work_dir if work_dir is None or i == 0 else work_dir / f"phase-{i}"
        theirs.update(replay.states(origin, names, directory))
    ours = timeline.compressed_states(stored, period, end)
    ours = {k: [(replay.real(t), s) for t, s in v] for k, v in ours.items()}
    certs = _alert_certificates(source, list(rules), ours, theirs, replay.real(start), timing.tolerance)
    return Certificate(factor, start, end, len(raw), runner.describe(), certs)


def _by_phase(names: Sequence[str], stored: Sequence[samples.Series], period: float
              ) -> list[tuple[float | None, list[str]]]:
    """The alerts grouped by the phase of their rule group's evaluations in the compressed run (wall seconds
    mod one evaluation), read from the ALERTS samples it stored: each carries its evaluation's timestamp. An
    alert never active there joins the first group; with none active, one group without a phase."""
    phases: dict[str, float] = {}
    for series in stored:
        if series.points:
            phases.setdefault(dict(series.labels).get("alertname", ""), series.points[-1][0] % period)
    groups: dict[float, list[str]] = {}
    for name in names:
        if name in phases:
            groups.setdefault(round(phases[name], 3) % round(period, 3), []).append(name)
    found: list[tuple[float | None, list[str]]] = [(phase, group) for phase, group in groups.items()] or [(None, [])]
    found[0][1].extend(n for n in names if n not in phases)
    return found


@dataclass(frozen=True)
class _Replay:
    """promtool's evaluation of the unscaled rules over the run's samples, one grid per evaluation phase."""

    runner: promtool.Runner
    source: SourceConfig
    raw: Sequence[samples.Series]
    metadata: dict[str, str]
    t0: float  # wall seconds: the origin of the common real-time frame
    end: float
    factor: float
    timing: RealTiming

    def real(self, wall: float) -> float:
        return self.t0 + (wall - self.t0) / self.factor

    def states(self, origin: float, names: list[str], work_dir: Path | None) -> dict[timeline.Key, list[Any]]:
        """Per alert instance of ``names``, (real seconds in the common frame, state) at each promtool step of a
        grid whose test time 0 is the compressed run's evaluation at wall ``origin``: promtool evaluates at the
        instants the run did, over the samples it had."""
        stretched = samples.stretch_all(self.raw, origin, self.factor, self.metadata)
        step = self.timing.grid
        grid = promtool.Grid(origin, step, self.timing.evaluation,
                             samples.grid_count(origin, origin + (self.end - origin) / self.factor, step))
        document = promtool.test_document(RULE_FILE, stretched, grid, names)
        with tempfile.TemporaryDirectory(prefix="obsdrill-certify-") as tmp:
            got = promtool.evaluate(self.runner, work_dir or Path(tmp),
                                    certified_rules(self.source, names, step), document)
        return {k: [(self.real(origin) + at, s) for at, s in v]
                for k, v in timeline.promtool_states(got, grid.eval_steps()).items()}


def _alert_certificates(source: SourceConfig, names: Sequence[str], ours: dict[timeline.Key, list[Any]],
                        theirs: dict[timeline.Key, list[Any]], real_start: float, tolerance: float
                        ) -> tuple[AlertCertificate, ...]:
    """Both sides as (real unix seconds, state) per alert instance, compared from ``real_start`` on."""
    report = lint(source)
    certs = []
    for name in names:
        instances = []
        for key in sorted({k for k in (*ours, *theirs) if dict(k).get("alertname") == name}):
            a = timeline.after_carry_over(timeline.clip(ours.get(key, []), real_start), tolerance)
            b = timeline.after_carry_over(timeline.clip(theirs.get(key, []), real_start), tolerance)
            instances.append(InstanceTimelines(key, a, b, timeline.agree(a, b, tolerance)))
        certs.append(AlertCertificate(name, tolerance, tuple(instances),
                                      tuple(f.line() for f in report.for_rule(name))))
    return tuple(certs)
