"""Log correlation and trace join assertions: which service's lines lack the ids, which hop broke the
trace, and the service graph's missing/unexpected edges (fake Jaeger API, in-memory log search)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from harness.assertions.logs import assert_logs_correlated, correlation_problems
from harness.assertions.traces import assert_one_trace_per_request, assert_service_graph, broken_hop
from harness.bounds import Bound
from harness.clients.elasticsearch import LogRecord
from harness.clients.jaeger import JaegerClient, Trace
from harness.errors import ExpectationFailed
from harness.load import SampledRequest
from tests.unit.fake_http import serve

T1 = "4bf92f3577b34da6a3ce929d0e0e4736"
T2 = "0af7651916cd43dd8448eb211c80319c"
CV = SampledRequest("cv_upload", "POST", "/api/cv/analyze", "cid-1", 200, time.time() - 10)


def doc(service: str, trace_id: str, correlation_id: str = "cid-1", event: str = "api_request") -> LogRecord:
    attrs = {"service": service, "trace_id": trace_id, "correlation_id": correlation_id, "event": event,
             "level": "INFO", "endpoint": "/api/cv/analyze"}
    return LogRecord("recoloca-logs-2026.01.01", "id", "2026-01-01T00:00:00Z", "{}", "INFO", trace_id, "", attrs)


class FakeLogs:
    """EsClient.search over a list of documents (term on correlation_id, as the assertion queries)."""

    def __init__(self, docs: list[LogRecord]) -> None:
        self.docs = docs

    def search(self, query: dict[str, Any], pattern: str | None = None, size: int = 100,
               refresh: bool = True) -> list[LogRecord]:
        should = query["bool"]["should"][0]
        term = should.get("term") or should["bool"]["should"][0]["term"]
        (field, value), = term.items()
        return [d for d in self.docs if d.attributes.get(field) == value][:size]


def test_correlated_lines_of_every_service_pass() -> None:
    docs = [doc(s, T1) for s in ("gateway", "backend", "cv-analyzer")]
    assert CV.services() == ("gateway", "backend", "cv-analyzer")
    assert correlation_problems(CV, docs) == []


def test_missing_service_split_trace_and_bad_ids_are_named() -> None:
    docs = [doc("gateway", T1), doc("backend", T2), doc("backend", "")]
    problems = correlation_problems(CV, docs)
    assert "cv-analyzer logged nothing with this correlation_id" in problems
    assert "lines without trace_id from backend" in problems
    assert f"the request's lines carry 2 trace ids ({T1}: gateway; {T2}: backend)" in problems
    assert correlation_problems(CV, []) == ["no log line carries correlation_id cid-1"]


def test_a_line_whose_record_lacks_the_trace_context_is_named() -> None:
    """The collector's trace parser dropped (obsdrill mutate's trace-id-dropped): the trace_id field is there,
    the record's TraceId is not, so a log backend cannot join the line to its trace."""
    docs = [doc(s, T1) for s in ("gateway", "backend", "cv-analyzer")]
    docs[1] = LogRecord(docs[1].index, "id", docs[1].timestamp, "{}", "INFO", "", "", docs[1].attributes)
    assert correlation_problems(CV, docs) == [
        "record TraceId not set on the lines of backend although their trace_id field is: the collector's log "
        "pipeline did not set the records' trace context"]


def test_services_the_trace_passed_through_are_the_ones_that_must_log() -> None:
    docs = [doc("gateway", T1), doc("backend", T1)]
    assert correlation_problems(CV, docs, expected=["gateway", "backend"]) == []  # cv-analyzer was never called
    assert correlation_problems(CV, docs, expected=["gateway", "backend", "cv-analyzer"]) == [
        "cv-analyzer logged nothing with this correlation_id"]


def test_log_assertion_failure_shows_the_documents() -> None:
    es = FakeLogs([doc("gateway", T1), doc("backend", T1)])
    with pytest.raises(ExpectationFailed) as failure:
        assert_logs_correlated(es, [CV], Bound.of(0.2))  # type: ignore[arg-type]
    text = str(failure.value)
    assert ("log lines of 1 sampled requests are not correlated (bound 0.2s = within 0.2s): not seen after waiting"
            in text)
    assert "cv-analyzer logged nothing with this correlation_id" in text
    assert f"gateway INFO event=api_request trace_id={T1}" in text
    es.docs.append(doc("cv-analyzer", T1, event="cv_analysis"))
    assert assert_logs_correlated(es, [CV], Bound.of(1))[0].trace_id == T1  # type: ignore[arg-type]


def _span(span_id: str, service: str, parent: str | None, operation: str) -> dict[str, Any]:
    refs = [{"refType": "CHILD_OF", "spanID": parent, "traceID": T1}] if parent else []
    return {"traceID": T1, "spanID": span_id, "operationName": operation, "references": refs,
            "startTime": int(span_id, 16), "duration": 10, "processID": service, "tags": []}


def _trace(*spans: dict[str, Any]) -> dict[str, Any]:
    processes = {s["processID"]: {"serviceName": s["processID"]} for s in spans}
    return {"traceID": T1, "spans": list(spans), "processes": processes}


def test_broken_hop_is_the_first_callee_without_spans() -> None:
    only_front = Trace.from_json(_trace(_span("01", "gateway", None, "POST /api/cv/analyze"),
                                        _span("02", "backend", "01", "POST /api/cv/analyze")))
    assert broken_hop(CV, only_front) == ("backend", "cv-analyzer")
    assert broken_hop(CV, only_front, called=lambda service: False) is None  # cv-analyzer never got the request


def _client(span_id: str, service: str, parent: str, callee: str) -> dict[str, Any]:
    span = _span(span_id, service, parent, f"POST {callee} /x")
    span["tags"] = [{"key": "span.kind", "value": "client"}, {"key": "peer.service", "value": callee}]
    return span


AI = SampledRequest("ai_generation", "POST", "/api/ai/generate", "cid-2", 200, time.time() - 10)
AI_FRONT = (_span("01", "gateway", None, "POST /api/ai/generate"), _client("02", "gateway", "01", "backend"),
            _span("03", "backend", "02", "POST /api/ai/generate"), _client("04", "backend", "03", "ai-generation"),
            _span("05", "ai-generation", "04", "POST /generate"))


def test_a_hop_that_never_happened_is_no_break_but_an_unjoined_client_span_is() -> None:
    failed_generation = Trace.from_json(_trace(*AI_FRONT))  # a failed generation charges nothing: no payments
    assert broken_hop(AI, failed_generation, called=lambda service: False) is None
    unjoined = Trace.from_json(_trace(*AI_FRONT, _client("06", "ai-generation", "05", "payments")))
    assert broken_hop(AI, unjoined, called=lambda service: False) == ("ai-generation", "payments")
    joined = Trace.from_json(_trace(*AI_FRONT, _client("06", "ai-generation", "05", "payments"),
                                    _span("07", "payments", "06", "POST /charge")))
    assert broken_hop(AI, joined) is None


def test_trace_join_failure_names_the_hop_and_the_callee_trace() -> None:
    trace = _trace(_span("01", "gateway", None, "POST /api/cv/analyze"),
                   _span("02", "gateway", "01", "POST backend /api/cv/analyze"))
    routes = {f"/api/traces/{T1}": lambda q: {"data": [trace]}, f"/api/traces/{T2}": lambda q: (404, {})}
    es = FakeLogs([doc("gateway", T1), doc("backend", T2)])
    with serve(routes) as url, pytest.raises(ExpectationFailed) as failure:
        assert_one_trace_per_request(JaegerClient(url), [CV], Bound.of(0.2), es)  # type: ignore[arg-type]
    text = str(failure.value)
    assert (f"hop gateway -> backend broke the join: trace {T1} has spans of gateway but none of backend; "
            f"backend logged the request under trace {T2}") in text


def test_orphan_spans_and_a_complete_trace() -> None:
    complete = _trace(_span("01", "gateway", None, "POST /api/cv/analyze"),
                      _span("02", "backend", "01", "POST /api/cv/analyze"),
                      _span("03", "cv-analyzer", "02", "POST /analyze"))
    orphan = _trace(_span("01", "gateway", None, "POST /api/cv/analyze"),
                    _span("02", "backend", "01", "POST /api/cv/analyze"),
                    _span("03", "cv-analyzer", "ff", "POST /analyze"))
    state = {"trace": orphan}
    request = SampledRequest("cv_upload", "POST", "/api/cv/analyze", "cid-1", 200, 0.0, T1)
    with serve({f"/api/traces/{T1}": lambda q: {"data": [state["trace"]]}}) as url:
        with pytest.raises(ExpectationFailed, match="span 'POST /analyze' of cv-analyzer has parent span ff, which "
                                                    "is not in the trace"):
            assert_one_trace_per_request(JaegerClient(url), [request], Bound.of(0.2))
        state["trace"] = complete
        joined = assert_one_trace_per_request(JaegerClient(url), [request], Bound.of(1))
    assert joined[0].services == ("backend", "cv-analyzer", "gateway")


def _server(span_id: str, service: str, parent: str, operation: str) -> dict[str, Any]:
    span = _span(span_id, service, parent, operation)
    span["tags"] = [{"key": "span.kind", "value": "server"}]
    return span


def test_a_browsers_trace_is_rooted_at_the_frontend_under_the_pages_own_span() -> None:
    clicked = (_server("01", "frontend", "aa", "GET /api/jobs"), _client("02", "frontend", "01", "gateway"),
               _server("03", "gateway", "02", "GET /api/jobs"), _client("04", "gateway", "03", "backend"),
               _server("05", "backend", "04", "GET /api/jobs"))
    browser = SampledRequest("browser", "GET", "/api/jobs", "cid-1", 200, 0.0, T1, entry="frontend")
    state = {"trace": _trace(*clicked)}
    with serve({f"/api/traces/{T1}": lambda q: {"data": [state["trace"]]}}) as url:
        joined = assert_one_trace_per_request(JaegerClient(url), [browser], Bound.of(1))
        assert joined[0].services == ("backend", "frontend", "gateway")
        locust = SampledRequest("browse", "GET", "/api/jobs", "cid-1", 200, 0.0, T1)  # entered at the gateway
        with pytest.raises(ExpectationFailed, match="span 'GET /api/jobs' of frontend has parent span aa"):
            assert_one_trace_per_request(JaegerClient(url), [locust], Bound.of(0.2))
        state["trace"] = _trace(*clicked[:2], _server("03", "gateway", "bb", "GET /api/jobs"), *clicked[3:])
        with pytest.raises(ExpectationFailed, match="span 'GET /api/jobs' of gateway has parent span bb"):
            assert_one_trace_per_request(JaegerClient(url), [browser], Bound.of(0.2))  # only the page's span


def test_service_graph_lists_missing_and_unexpected_edges() -> None:
    edges = [{"parent": "gateway", "child": "backend", "callCount": 12},
             {"parent": "backend", "child": "gateway", "callCount": 1}]
    expected = [("gateway", "backend"), ("backend", "payments")]
    with serve({"/api/dependencies": lambda q: {"data": edges}}) as url:
        with pytest.raises(ExpectationFailed) as failure:
            assert_service_graph(JaegerClient(url), expected, time.time() - 60, Bound.of(0.2))
        text = str(failure.value)
        assert "missing edges: backend->payments" in text and "unexpected edges: backend->gateway" in text
        edges[1] = {"parent": "backend", "child": "payments", "callCount": 3}
        edges.append({"parent": "gateway", "child": "gateway", "callCount": 12})  # Jaeger v2's in-process self-edge
        assert len(assert_service_graph(JaegerClient(url), expected, time.time() - 60, Bound.of(1))) == 2
