"""Parsing in the Jaeger and Elasticsearch facades (no server)."""

import datetime as dt

from harness.clients.elasticsearch import LogRecord, logs_index
from harness.clients.jaeger import Trace, normalize_trace_id

TRACE = {
    "traceID": "4bf92f3577b34da6a3ce929d0e0e4736",
    "spans": [
        {"traceID": "4bf92f3577b34da6a3ce929d0e0e4736", "spanID": "b7ad6b7169203331", "operationName": "GET /work",
         "references": [{"refType": "CHILD_OF", "traceID": "4bf92f3577b34da6a3ce929d0e0e4736",
                         "spanID": "00f067aa0ba902b7"}],
         "startTime": 2000, "duration": 50, "processID": "p2",
         "tags": [{"key": "otel.status_code", "type": "string", "value": "ERROR"}]},
        {"traceID": "4bf92f3577b34da6a3ce929d0e0e4736", "spanID": "00f067aa0ba902b7", "operationName": "checkout",
         "references": [], "startTime": 1000, "duration": 900, "processID": "p1",
         "tags": [{"key": "span.kind", "type": "string", "value": "server"}]},
    ],
    "processes": {"p1": {"serviceName": "frontend"}, "p2": {"serviceName": "backend"}},
}


def test_trace_json_becomes_spans_with_services_parents_and_tags() -> None:
    trace = Trace.from_json(TRACE)
    assert trace.operations() == ["checkout", "GET /work"]
    assert trace.services() == ["backend", "frontend"]
    root = trace.root()
    assert root is not None and root.service == "frontend" and root.kind == "server" and not root.error
    child = trace.spans[1]
    assert child.parent_id == "00f067aa0ba902b7" and child.error


def test_trace_ids_compare_without_leading_zeros() -> None:
    assert normalize_trace_id("00000000000000000a3ce929d0e0e4736") == normalize_trace_id("A3CE929D0E0E4736")


def test_raw_mode_document_becomes_a_log_record() -> None:
    hit = {"_index": "obsdrill-logs-2026.11.23", "_id": "x1", "_source": {
        "@timestamp": "2026-11-23T10:00:00.123Z", "Body": '{"msg": "boom"}', "SeverityText": "error",
        "SeverityNumber": 17, "TraceId": "4bf92f3577b34da6a3ce929d0e0e4736", "SpanId": "00f067aa0ba902b7",
        "msg": "boom", "service": "backend", "Resource.host.name": "h", "Scope.name": "", "Scope.version": ""}}
    record = LogRecord.from_hit(hit)
    assert (record.severity, record.trace_id, record.index) == ("error", "4bf92f3577b34da6a3ce929d0e0e4736",
                                                                 "obsdrill-logs-2026.11.23")
    assert record.attributes == {"msg": "boom", "service": "backend"}
    assert record.resource == {"host.name": "h"}


def test_daily_index_name() -> None:
    assert logs_index("obsdrill", dt.date(2026, 1, 2)) == "obsdrill-logs-2026.01.02"
