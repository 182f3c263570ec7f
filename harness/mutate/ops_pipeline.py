"""Operators on the signal pipeline: a scrape job dropped, a metric relabel that drops a label the rules use
(found with the promql-parser AST: matchers, by/without, on/ignoring), the collector dropping the trace id
from log records."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from harness import exports
from harness.certify import promql
from harness.config import SourceConfig
from harness.mutate.mutant import Mutant, dump, edited

PROMETHEUS = "prometheus/prometheus.yml"
COLLECTOR = "otelcol/config.yaml"
INTERNAL = frozenset({"__name__", "alertname"})


def _hosts(job: dict[str, Any]) -> tuple[str, ...]:
    targets = [str(t) for group in job.get("static_configs") or [] for t in group.get("targets") or []]
    return tuple(dict.fromkeys(t.rsplit(":", 1)[0] for t in targets))


def job_dropped(source: SourceConfig) -> Iterator[Mutant]:
    jobs = source.prometheus.get("scrape_configs") or []
    for i, job in enumerate(jobs):
        doc = edited(source.prometheus)
        del doc["scrape_configs"][i]
        name = str(job.get("job_name", i))
        hosts = _hosts(job)  # the rules that name the job, or read a metric only its targets export
        alerts = tuple(r.name for r in source.rules() if name in r.expr
                       or any(exports.served_by(m) in hosts for m in exports.metric_names(r.expr)))
        yield Mutant(f"job-dropped:{name}", "job-dropped", f"scrape job {name} dropped "
                     f"(targets {', '.join(hosts) or 'none'})", PROMETHEUS, dump(doc), alerts=alerts,
                     services=hosts, names=(name,))


def rule_labels(source: SourceConfig) -> dict[str, tuple[str, ...]]:
    """Each label the rules' expressions use (matchers, grouping, vector matching) -> the alerts using it."""
    used: dict[str, list[str]] = {}
    for rule in source.rules():
        try:
            tree = promql.parse(rule.expr)
        except (ValueError, TypeError):
            continue
        for node in promql.nodes(tree):
            labels = [m.name for m in getattr(getattr(node, "matchers", None), "matchers", None) or []]
            modifier = getattr(node, "modifier", None)
            labels += list(getattr(modifier, "labels", None) or [])
            labels += list(getattr(getattr(modifier, "matching", None), "labels", None) or [])
            for label in labels:
                if label not in INTERNAL and rule.name not in used.setdefault(label, []):
                    used[label].append(rule.name)
    return {k: tuple(v) for k, v in sorted(used.items())}


def relabel_drops(source: SourceConfig) -> Iterator[Mutant]:
    for label, alerts in rule_labels(source).items():
        doc = edited(source.prometheus)
        for job in doc.get("scrape_configs") or []:
            job.setdefault("metric_relabel_configs", []).append({"action": "labeldrop", "regex": label})
        yield Mutant(f"relabel-drops:{label}", "relabel-drops", f"every scrape job drops label {label} "
                     f"(used by {', '.join(alerts)})", PROMETHEUS, dump(doc), alerts=alerts, names=(label,))


def trace_id_dropped(directory: Path) -> Iterator[Mutant]:
    path = directory / COLLECTOR
    if not path.is_file():
        return
    doc = yaml.safe_load(path.read_text()) or {}
    for name, receiver in (doc.get("receivers") or {}).items():
        for i, op in enumerate((receiver or {}).get("operators") or []):
            if "trace" in op:
                copy = edited(doc)
                del copy["receivers"][name]["operators"][i]["trace"]
                yield Mutant(f"trace-id-dropped:{name}", "trace-id-dropped", f"collector receiver {name}: "
                             f"operators[{i}] no longer sets the log records' trace id", COLLECTOR, dump(copy),
                             pillars=True, names=("trace",))


def pipeline_mutants(source: SourceConfig) -> Iterator[Mutant]:
    yield from job_dropped(source)
    yield from relabel_drops(source)
    yield from trace_id_dropped(source.directory)
