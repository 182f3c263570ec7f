"""The counts of the reconciliation (harness/assertions/reconcile.py) from the real pillars, over the window
of a load (from before its first request to after its last answer, with no request in flight at either end).

- Prometheus: the raw samples of ``http_requests_total{service=<target>}`` (labels method, endpoint,
  status_code: synthetic_services/metrics.py), the increase from the last sample before the window to the
  first after it, summed over the target's instances; a counter reset (a crash) adds the new value, and the
  requests answered between the last scrape before the reset and the reset are ``lost`` (no scrape saw them).
- Elasticsearch: the target's ``api_request`` documents (``event``, ``service``, ``method``, ``endpoint``,
  ``status_code``, ``correlation_id``: the services' JSON log lines) whose ``timestamp`` is in the window.
- Jaeger: the traces whose root span is a SERVER span of the target starting in the window, by its
  ``http.request.method``, ``http.route`` and ``http.response.status_code``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from elasticsearch import helpers

from harness.assertions.logs import field_query
from harness.assertions.reconcile import Count, Op
from harness.clients.elasticsearch import EsClient, logs_pattern
from harness.clients.jaeger import JaegerClient
from harness.clients.prometheus import PromClient
from harness.load import MadeRequest

COUNTER = "http_requests_total"


@dataclass(frozen=True)
class Window:
    target: str
    start: float  # before the load's first request
    end: float  # after its last answer (the load paused: none in flight)
    margin: float = 30.0  # how far before ``start`` Prometheus is asked for the baseline sample


def _op(labels: dict[str, Any]) -> Op:
    return str(labels.get("method", "")), str(labels.get("endpoint", "")), int(labels.get("status_code", 0))


def series_increase(values: list[tuple[float, float]], window: Window) -> tuple[int, list[tuple[float, float]]]:
    """(increase over the window, [(last scrape before, first scrape after) of each reset]) of one series'
    samples (time, value), oldest first. A series with no sample before the window starts from 0 (the load
    made it)."""
    before = [v for t, v in values if t <= window.start]
    previous, previous_t = (before[-1], window.start) if before else (0.0, window.start)
    increase, resets = 0.0, []
    for t, v in values:
        if t <= window.start:
            continue
        if v < previous:
            increase += v
            resets.append((previous_t, t))
        else:
            increase += v - previous
        previous, previous_t = v, t
    return round(increase), resets


def scraped(prometheus: PromClient, target: str) -> bool:
    """Whether Prometheus holds the request counter of ``target`` at all (the config under test scrapes it)."""
    return bool(prometheus.api.custom_query(f'count({COUNTER}{{service="{target}"}})'))


def prometheus_count(prometheus: PromClient, window: Window, made: list[MadeRequest]) -> Count | None:
    """None until Prometheus scraped the target after the end of the window."""
    seconds = max(1, round(dt.datetime.now(dt.UTC).timestamp() - window.start + window.margin))
    raw = prometheus.api.custom_query(f'{COUNTER}{{service="{window.target}"}}[{seconds}s]')
    counts: dict[Op, int] = {}
    lost: dict[Op, int] = {}
    latest = 0.0
    for series in raw:
        values = [(float(t), float(v)) for t, v in series.get("values", [])]
        latest = max([latest, *(t for t, _ in values)])
        op = _op(series.get("metric", {}))
        increase, resets = series_increase(values, window)
        counts[op] = counts.get(op, 0) + increase
        lost[op] = lost.get(op, 0) + sum(1 for r in made for a, b in resets
                                         if (r.method, r.route, r.status) == op and a < r.at <= b)
    if latest <= window.end:
        return None
    unseen = sum(lost.values())
    note = f"prometheus: {unseen} request(s) answered between a last scrape and a counter reset" if unseen else ""
    return Count("prometheus", {op: n for op, n in counts.items() if n}, lost=lost, note=note)


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat(timespec="milliseconds")


def elasticsearch_count(es: EsClient, window: Window) -> Count:
    pattern = logs_pattern(es.prefix)
    es.refresh(pattern)
    query = {"bool": {"filter": [field_query("event", "api_request"), field_query("service", window.target),
                                 {"range": {"timestamp": {"gte": _iso(window.start), "lte": _iso(window.end)}}}]}}
    ids: dict[Op, set[str]] = {}
    counts: dict[Op, int] = {}
    for hit in helpers.scan(es.es, index=pattern, query={"query": query}, ignore_unavailable=True,
                            _source=["method", "endpoint", "status_code", "correlation_id"]):
        op = _op(hit.get("_source", {}))
        counts[op] = counts.get(op, 0) + 1
        ids.setdefault(op, set()).add(str(hit["_source"].get("correlation_id", "")))
    return Count("elasticsearch", counts, ids={op: frozenset(v) for op, v in ids.items()})


def jaeger_count(jaeger: JaegerClient, window: Window, limit: int, ratio: float) -> Count:
    traces = jaeger.traces(window.target, limit=limit, start=window.start, end=window.end)
    counts: dict[Op, int] = {}
    for trace in traces:
        root = trace.entry(window.target)  # the trace's root, or the gateway's span under the page's frontend call
        if root is None:
            continue
        if not window.start * 1e6 <= root.start_us <= window.end * 1e6:
            continue
        op = _op({"method": root.tags.get("http.request.method"), "endpoint": root.tags.get("http.route"),
                  "status_code": root.tags.get("http.response.status_code", 0)})
        counts[op] = counts.get(op, 0) + 1
    note = f"jaeger: sampling ratio {ratio:g}, judged by the binomial bound" if ratio < 1.0 else ""
    if len(traces) >= limit:
        note = f"jaeger: the search returned its limit of {limit} traces; {note}".rstrip("; ")
    return Count("jaeger", counts, ratio=ratio, note=note)
