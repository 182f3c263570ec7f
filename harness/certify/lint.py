"""Time-factor lint: every setting of the config under test that the time factor cannot scale, with the rule
(file, alert or record name) it is in and why. The harness scales scrape/evaluation intervals, every `for`
and `keep_firing_for`, every PromQL range and subquery window and Alertmanager's route timings
(harness/render.py); what is listed here keeps its real-time meaning, so a compressed run of it does not
behave like the real one. Per-second rates (rate, irate, deriv, *_over_time averages) and ratios scale
cleanly: a window 10x shorter holds 10x fewer events, and the rate over it is the same."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import promql_parser as pp

from harness import durations
from harness.certify import promql
from harness.config import SourceConfig

CLEAN = ("per-second rates (rate, irate, deriv, avg_over_time, ...) and ratios of window totals scale "
         "cleanly with the time factor")
# Prometheus's flags that are durations (lookback delta, resend delay, `for` grace period) are scaled by the
# harness like every interval (harness/components/prometheus.py SCALED_FLAGS): not findings.
AM_RESOLVE_TIMEOUT = "5m"


@dataclass(frozen=True)
class Finding:
    file: str
    rule: str  # "alert X", "record Y", or "" for a config-wide setting
    setting: str
    reason: str

    def line(self) -> str:
        where = f"{self.file}: {self.rule}" if self.rule else self.file
        return f"{where}: {self.setting} does not scale with the time factor: {self.reason}"


@dataclass(frozen=True)
class LintReport:
    findings: tuple[Finding, ...]

    def lines(self) -> list[str]:
        return [f.line() for f in self.findings] + [f"time factor: {CLEAN}"]

    def for_rule(self, name: str) -> list[Finding]:
        return [f for f in self.findings if f.rule.split(" ", 1)[-1] == name]


def lint(source: SourceConfig) -> LintReport:
    records = recording_rules(source)
    found = list(_config_findings(source))
    for file, kind, name, rule in rule_entries(source):
        found += _rule_findings(file, f"{kind} {name}", rule, records)
    return LintReport(tuple(found))


def rule_entries(source: SourceConfig) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(file, "alert"/"record", name, rule document) of every rule of every rule file."""
    for file, doc in source.rule_files:
        for group in doc.get("groups") or []:
            for rule in group.get("rules") or []:
                kind = "alert" if "alert" in rule else "record"
                yield file, kind, str(rule.get(kind, "?")), rule


def recording_rules(source: SourceConfig) -> dict[str, str]:
    return {name: str(rule["expr"]) for _, kind, name, rule in rule_entries(source) if kind == "record"}


def _config_findings(source: SourceConfig) -> Iterator[Finding]:
    timeout = (source.alertmanager.get("global") or {}).get("resolve_timeout")
    yield Finding("alertmanager/alertmanager.yml", "", f"global.resolve_timeout ({timeout or AM_RESOLVE_TIMEOUT}"
                  f"{'' if timeout else ' default, not scaled'})",
                  "Alertmanager applies it only to alerts that arrive without EndsAt; Prometheus always sets "
                  "EndsAt from its resend delay (scaled by the harness), so alerts from Prometheus resolve on that "
                  "instead")
    yield _scrape_finding(source)


def _scrape_finding(source: SourceConfig) -> Finding:
    """The shortest scrape timeout: scaled with the intervals, while a target's own answer time is not."""
    default = (source.prometheus.get("global") or {}).get("scrape_timeout", "10s")
    timeouts = [(str(job.get("scrape_timeout", default)), str(job.get("job_name", "?")))
                for job in source.prometheus.get("scrape_configs") or []]
    timeout, job = min(timeouts or [(str(default), "global")], key=lambda t: durations.parse(t[0], "scrape_timeout"))
    return Finding("prometheus/prometheus.yml", "", f"scrape_timeout ({timeout}, job {job})",
                   "the harness scales it with the scrape interval, but a target answers in real time: an exporter "
                   "whose scrape waits on a dependency that is gone (a DNS lookup, a connect timeout) is scraped as "
                   "down instead of reporting the failure once the scaled timeout is below that wait (measured: at "
                   "factor 0.05, 0.5 s, postgres_exporter's scrape of a stopped PostgreSQL timed out and pg_up "
                   "vanished; at 0.1, 1 s, it reported the failure)")


def _rule_findings(file: str, rule_name: str, rule: dict[str, Any], records: Mapping[str, str]) -> list[Finding]:
    expr = str(rule.get("expr", ""))
    try:
        tree = promql.parse(expr)
    except (ValueError, TypeError):
        return []  # reported by the PromQL parse check
    out = [Finding(file, rule_name, f"`{text}`", "compares a window total (increase, changes, count_over_time, "
                   "sum_over_time, ...) with a value that is not one: the scaled window holds factor x the events "
                   "at the same request rate, so the compressed run reaches the threshold later or never")
           for text in promql.window_total_comparisons(expr, records)]
    for node in promql.nodes(tree):
        out += [Finding(file, rule_name, setting, reason) for setting, reason in _node_findings(node)]
    return out


def _node_findings(node: Any) -> list[tuple[str, str]]:
    out = []
    if isinstance(node, pp.VectorSelector | pp.SubqueryExpr):
        if node.offset is not None:
            out.append((f"offset {pp.display_duration(node.offset)}", "offset modifiers are not scaled: the "
                        "compressed run looks back this much wall time, factor^-1 x as far in real time"))
        if node.at is not None:
            out.append(("@ modifier", "an @ timestamp is absolute and cannot be mapped onto compressed time"))
    if isinstance(node, pp.Call) and node.func.name == "predict_linear" and len(node.args) > 1:
        horizon = " ".join(node.args[1].prettify().split())
        out.append((f"predict_linear horizon {horizon}", "the horizon (seconds) is not scaled: the compressed "
                    "run extrapolates a slope measured on compressed time over real-time seconds"))
    if isinstance(node, pp.Call) and node.func.name in promql.CLOCK_FUNCTIONS:
        out.append((f"{node.func.name}()", "reads the wall clock (or sample timestamps), which runs at real speed "
                    "during a compressed run: durations computed from it are factor^-1 x too long"))
    return out
