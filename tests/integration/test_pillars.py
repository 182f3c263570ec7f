"""Issue 3: the whole stack on real servers, each pillar end to end: a log line with a trace id written by
a service is found in Elasticsearch by that trace id, a span exported by a service over OTLP is fetched from
Jaeger by trace id, a metric is scraped by Prometheus; Grafana is provisioned or reported unavailable."""

from __future__ import annotations

import re

import pytest

from harness.assertions.logs import LogCorrelation
from harness.assertions.wait import eventually
from harness.bounds import Bound
from harness.clients.jaeger import normalize_trace_id
from harness.facade import Obsdrill
from tests.integration.helpers import send

pytestmark = pytest.mark.stack


def test_every_scrape_target_is_up_and_a_service_metric_is_scraped(obsdrill: Obsdrill) -> None:
    prom = obsdrill.prometheus
    jobs = {t["labels"]["job"]: t["health"] for t in prom.targets()}
    assert set(jobs) >= {"recoloca-gateway", "recoloca-backend", "recoloca-cv-analyzer", "recoloca-ai-generation",
                         "recoloca-payments", "dcgm-exporter", "node-exporter", "prometheus", "alertmanager"}
    assert set(jobs.values()) == {"up"}, jobs
    sent = send(obsdrill, "backend", "GET", "/api/status")
    assert sent.status == 200
    samples = obsdrill.expect_query(
        'http_requests_total{service="backend",endpoint="/api/status",status_code="200"} > 0')
    assert samples[0].labels["job"] == "recoloca-backend"


def test_log_line_with_trace_id_reaches_elasticsearch(obsdrill: Obsdrill) -> None:
    es = obsdrill.stack.elasticsearch
    sent = send(obsdrill, "backend", "GET", "/api/status")
    docs, _ = eventually(lambda: es.search({"term": {"trace_id": sent.trace_id}}), Bound.of(60),
                              f"log lines with trace_id {sent.trace_id}",
                              lambda: "  newest documents:\n" + "\n".join(
                                  f"    {d.show()}" for d in es.search(size=5)))
    access = [d for d in docs if d.attributes.get("event") == "api_request"]
    assert access, [d.attributes for d in docs]
    line = access[0].attributes
    assert (line["service"], line["correlation_id"], line["endpoint"]) == ("backend", sent.correlation_id,
                                                                            "/api/status")
    assert access[0].index.startswith("recoloca-logs-") and access[0].trace_id == sent.trace_id
    mapping = es.es.indices.get_mapping(index=access[0].index).body[access[0].index]["mappings"]["properties"]
    assert {mapping[f]["type"] for f in ("trace_id", "span_id", "correlation_id", "service", "level")} == {"keyword"}
    assert mapping["timestamp"]["type"] == "date"
    # a log check searching the wrong pattern names it and the indices that do exist, with their counts
    said = LogCorrelation(es, "wrong-logs-*").where_searched()
    assert es.index_counts()[access[0].index] >= 1 and "searched index pattern 'wrong-logs-*'" in said, said
    assert re.search(rf"{re.escape(access[0].index)} \([1-9][0-9]* docs\)", said), said  # logs keep arriving


def test_span_exported_over_otlp_reaches_jaeger(obsdrill: Obsdrill) -> None:
    jaeger = obsdrill.stack.jaeger
    sent = send(obsdrill, "payments", "POST", "/charge", {"amount": 9.99, "user_id": "user-it"})
    trace, _ = eventually(lambda: jaeger.trace(sent.trace_id), Bound.of(60), f"trace {sent.trace_id} in Jaeger")
    assert normalize_trace_id(trace.trace_id) == normalize_trace_id(sent.trace_id)
    server = [s for s in trace.spans if s.service == "payments" and s.kind == "server"]
    assert server and server[0].parent_id == sent.span_id  # child of the caller's span we sent in traceparent


def test_grafana_is_provisioned_or_reported_unavailable(obsdrill: Obsdrill) -> None:
    stack = obsdrill.stack
    choice = stack.images["grafana"]
    if not choice.available:
        assert stack.facts()["Grafana"] == "unavailable (no image)"
        assert not stack.has("grafana")
        return
    from harness.clients.grafana import GrafanaClient
    from harness.topology import GRAFANA_PASSWORD

    grafana = GrafanaClient(stack.url("grafana"), password=GRAFANA_PASSWORD)
    assert {d["uid"] for d in grafana.datasources()} >= {"prometheus", "elasticsearch", "jaeger"}
    assert grafana.dashboard("recoloca-overview")["dashboard"]["title"] == "Recoloca.ai - Application Overview"


def test_every_facade_reports_ready(obsdrill: Obsdrill) -> None:
    stack = obsdrill.stack
    assert stack.prometheus.ready() and stack.alertmanager.ready()
    assert stack.elasticsearch.ready() and stack.jaeger.ready()
