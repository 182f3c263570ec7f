"""Log assertions against Elasticsearch: for sampled requests, every service the request touched logged
lines that carry the request's correlation id and one and the same trace id (that of its trace). A
failure shows, per request, the documents found (or the closest ones) and what is wrong with them."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from harness.assertions.wait import eventually
from harness.bounds import Bound
from harness.clients.elasticsearch import EsClient, LogRecord, logs_pattern
from harness.errors import ExpectationFailed
from harness.load import SampledRequest

LOGS_PATTERN = logs_pattern()
_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")


def field_query(name: str, value: str) -> dict[str, Any]:
    """Exact match on a keyword field, or on its ``.keyword`` sub-field under dynamic mapping."""
    return {"bool": {"should": [{"term": {name: value}}, {"term": {f"{name}.keyword": value}}],
                     "minimum_should_match": 1}}


def attr(doc: LogRecord, name: str) -> str:
    return str(doc.attributes.get(name) or "")


def show_doc(doc: LogRecord) -> str:
    return (f"{doc.timestamp} {attr(doc, 'service') or '?'} {attr(doc, 'level') or doc.severity or '-'} "
            f"event={attr(doc, 'event') or '-'} trace_id={attr(doc, 'trace_id') or '-'} "
            f"TraceId={doc.trace_id or '-'} correlation_id={attr(doc, 'correlation_id') or '-'}")


def trace_ids(docs: Sequence[LogRecord]) -> dict[str, list[str]]:
    """trace_id -> services that logged it."""
    out: dict[str, list[str]] = {}
    for doc in docs:
        services = out.setdefault(attr(doc, "trace_id"), [])
        if attr(doc, "service") not in services:
            services.append(attr(doc, "service"))
    return out


def correlation_problems(request: SampledRequest, docs: Sequence[LogRecord],
                         expected: Sequence[str] | None = None) -> list[str]:
    """What is wrong with the log lines of one request ([] when they are correlated). ``expected``: the
    services that must have logged it (default: every service of its route)."""
    if not docs:
        return [f"no log line carries correlation_id {request.correlation_id}"]
    problems = []
    seen = {attr(d, "service") for d in docs}
    must = request.services() if expected is None else expected
    problems += [f"{svc} logged nothing with this correlation_id" for svc in must if svc not in seen]
    by_trace = trace_ids(docs)
    if "" in by_trace:
        problems.append(f"lines without trace_id from {', '.join(by_trace.pop(''))}")
    bad = [t for t in by_trace if not _TRACE_ID.match(t)]
    problems += [f"trace_id {t!r} is not 32 lowercase hex digits" for t in bad]
    if len(by_trace) > 1:
        split = "; ".join(f"{t}: {', '.join(s)}" for t, s in by_trace.items())
        problems.append(f"the request's lines carry {len(by_trace)} trace ids ({split})")
    if request.trace_id and by_trace and request.trace_id not in by_trace:
        problems.append(f"the response's traceparent names trace {request.trace_id}, the logs {', '.join(by_trace)}")
    mismatched = [d for d in docs if d.trace_id and attr(d, "trace_id") and d.trace_id.lower() != attr(d, "trace_id")]
    problems += [f"{attr(d, 'service')}: record TraceId {d.trace_id} != trace_id field {attr(d, 'trace_id')}"
                 for d in mismatched[:3]]
    unset = sorted({attr(d, "service") for d in docs if attr(d, "trace_id") and not d.trace_id})
    if unset:  # the line says its trace, the record does not: a log backend cannot join it to the trace
        problems.append(f"record TraceId not set on the lines of {', '.join(unset)} although their trace_id field "
                        f"is: the collector's log pipeline did not set the records' trace context")
    return problems


@dataclass(frozen=True)
class RequestLogs:
    request: SampledRequest
    docs: tuple[LogRecord, ...]
    problems: tuple[str, ...]

    @property
    def trace_id(self) -> str:
        ids = [t for t in trace_ids(self.docs) if t]
        return ids[0] if len(ids) == 1 else ""

    def summary(self) -> dict[str, Any]:
        return {"request": self.request.show(), "problems": list(self.problems),
                "documents": [show_doc(d) for d in self.docs[:20]]}


class LogCorrelation:
    """``traced``: the services of a trace (by id) where traces are collected, None while unknown; the
    services a request passed through must all have logged it. Without it: every service of its route (a
    failed AI generation, which never calls payments, then needs a trace to be judged right)."""

    def __init__(self, es: EsClient, pattern: str = LOGS_PATTERN,
                 traced: Callable[[str], Sequence[str] | None] | None = None) -> None:
        self.es = es
        self.pattern = pattern
        self.traced = traced

    def docs(self, correlation_id: str) -> list[LogRecord]:
        return self.es.search(field_query("correlation_id", correlation_id), self.pattern, size=200)

    def check(self, request: SampledRequest) -> RequestLogs:
        docs = self.docs(request.correlation_id)
        ids = [t for t in trace_ids(docs) if t]
        expected = self.traced(ids[0]) if self.traced is not None and len(ids) == 1 else None
        return RequestLogs(request, tuple(docs), tuple(correlation_problems(request, docs, expected)))

    def closest(self, request: SampledRequest, limit: int = 5) -> list[LogRecord]:
        """Lines of the same route logged by the services this request should have touched."""
        query = {"bool": {"should": [field_query("endpoint", request.path)], "minimum_should_match": 1,
                          "filter": [{"terms": {"service": list(request.services())}}]}}
        try:
            return self.es.search(query, self.pattern, size=limit, refresh=False)
        except Exception:
            return []

    def near_miss(self, results: Sequence[RequestLogs]) -> str:
        lines = []
        for res in results:
            if not res.problems:
                continue
            lines.append(f"  {res.request.show()}\n    " + "\n    ".join(res.problems))
            docs = list(res.docs) or self.closest(res.request)
            label = "its documents" if res.docs else "no document with its correlation id; closest documents"
            lines.append(f"    {label}:\n      " + ("\n      ".join(show_doc(d) for d in docs[:8]) or "(none)"))
        if results and not any(res.docs for res in results):
            lines.append(self.where_searched())
        return "\n".join(lines)

    def where_searched(self) -> str:
        """No request had any document: the index pattern searched and the indices that do exist, so a
        collector writing elsewhere (another index name, a dropped exporter) is named."""
        try:
            counts = self.es.index_counts()
        except Exception as exc:
            return f"  searched index pattern {self.pattern!r}; the indices could not be listed: {exc}"
        held = ", ".join(f"{name} ({count} docs)" for name, count in sorted(counts.items())) or "none"
        return f"  searched index pattern {self.pattern!r}; the indices Elasticsearch holds: {held}"


def assert_logs_correlated(es: EsClient, requests: Sequence[SampledRequest], within: Bound,
                           pattern: str = LOGS_PATTERN,
                           traced: Callable[[str], Sequence[str] | None] | None = None) -> list[RequestLogs]:
    """Wait until the log lines of every request in ``requests`` are correlated (see module doc)."""
    if not requests:
        raise ExpectationFailed("logs: the load sampled no successful request to check")
    checker = LogCorrelation(es, pattern, traced)
    latest: list[RequestLogs] = []

    def correlated() -> list[RequestLogs] | None:
        latest[:] = [checker.check(r) for r in requests]
        return None if any(r.problems for r in latest) else list(latest)

    failing = f"log lines of {len(requests)} sampled requests are not correlated"
    results, _ = eventually(correlated, within, failing, lambda: checker.near_miss(latest))
    return results
