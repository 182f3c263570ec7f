"""Issue 4 on the real stack: one request through the gateway is seen in every pillar (metrics in
Prometheus, one trace across all services in Jaeger with correct parent/child links, every service's log
lines in Elasticsearch carrying that trace id and correlation id)."""

from __future__ import annotations

import re

import pytest

from harness.assertions.wait import eventually
from harness.bounds import Bound
from harness.clients.jaeger import Trace
from harness.facade import Obsdrill
from harness.reporting.environment import server_versions
from tests.integration.helpers import send

pytestmark = pytest.mark.stack

SERVICES = {"gateway", "backend", "cv-analyzer", "ai-generation", "payments"}
ENDPOINTS = {"gateway": "/api/cv/improve", "backend": "/api/cv/improve", "cv-analyzer": "/analyze",
             "ai-generation": "/generate", "payments": "/charge"}
EDGES = {("gateway", "backend"), ("backend", "cv-analyzer"), ("backend", "ai-generation"),
         ("ai-generation", "payments")}


def _edges(trace: Trace) -> set[tuple[str, str]]:
    by_id = {s.span_id: s for s in trace.spans}
    return {(by_id[s.parent_id].service, s.service) for s in trace.spans
            if s.parent_id in by_id and by_id[s.parent_id].service != s.service}


def test_one_request_through_the_gateway_in_every_pillar(obsdrill: Obsdrill) -> None:
    sent = send(obsdrill, "gateway", "POST", "/api/cv/improve", {"user_type": "premium", "model": "gpt-cv"})
    assert sent.status == 200, sent.body
    for service, endpoint in ENDPOINTS.items():
        obsdrill.expect_query(f'http_requests_total{{service="{service}",endpoint="{endpoint}"}} > 0')

    jaeger = obsdrill.stack.jaeger
    trace, _ = eventually(lambda: _complete(jaeger.trace(sent.trace_id)), Bound.of(60),
                          f"trace {sent.trace_id} spanning {sorted(SERVICES)}",
                          lambda: f"  Jaeger has: {_summary(jaeger.trace(sent.trace_id))}")
    ids = {s.span_id for s in trace.spans}
    orphans = [s for s in trace.spans if s.parent_id not in ids]
    assert [(s.service, s.parent_id) for s in orphans] == [("gateway", sent.span_id)]  # the only root: our caller
    for span in trace.spans:
        parent = next((p for p in trace.spans if p.span_id == span.parent_id), None)
        if parent is not None and parent.service != span.service:
            assert (parent.kind, span.kind) == ("client", "server"), (parent, span)
    assert _edges(trace) == EDGES

    es = obsdrill.stack.elasticsearch
    docs, _ = eventually(lambda: _all_services(es.search({"term": {"trace_id": sent.trace_id}}, size=500)),
                         Bound.of(60), f"log lines of every service with trace_id {sent.trace_id}")
    assert {d.attributes["service"] for d in docs} == SERVICES
    assert {d.attributes.get("correlation_id") for d in docs} == {sent.correlation_id}
    assert all(d.attributes.get("span_id") in ids for d in docs)


def _complete(trace: Trace | None) -> Trace | None:
    return trace if trace is not None and set(trace.services()) == SERVICES else None


def _summary(trace: Trace | None) -> str:
    return "nothing" if trace is None else f"{len(trace.spans)} spans of {trace.services()}"


def _all_services(docs: list) -> list:  # type: ignore[type-arg]
    return docs if {d.attributes.get("service") for d in docs} == SERVICES else []


def test_every_running_server_reports_its_version(obsdrill: Obsdrill) -> None:
    """The report's environment names the versions the servers report (issue 9.5), none 'unknown': a
    distribution without an endpoint the client asks (ES without rest-root: `GET /` answers 405) shows here."""
    versions = server_versions(obsdrill.stack)  # type: ignore[arg-type]
    assert {"Prometheus", "Alertmanager", "Elasticsearch", "Jaeger", "OTel collector"} <= set(versions), versions
    for server, text in versions.items():
        assert re.match(r"v?\d+\.\d+\.\d+", text), f"{server}: {text}"
