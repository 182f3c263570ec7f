"""Elasticsearch facade (elasticsearch-py 8.x) over the collector's log indices.

The collector writes one document per log record in ``raw`` mapping mode to daily indices
``<prefix>-logs-YYYY.MM.DD`` (the day the record was exported, UTC): ``@timestamp``, ``Body``,
``SeverityText``/``SeverityNumber``, ``TraceId``/``SpanId``/``TraceFlags``, the record's attributes at the top
level (a JSON line's own keys among them), and ``Resource.<key>``/``Scope.name``/``Scope.version``.
The local image has no rest-root module (``info()``/``ping()`` fail with 405), so readiness is cluster health.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import elasticsearch
from elasticsearch import Elasticsearch

from harness.clients.http import ES_OPTIONS
from harness.errors import ObsdrillError

KEYWORD_FIELDS = ("TraceId", "SpanId", "SeverityText", "trace_id", "span_id", "correlation_id", "request_id",
                  "service", "level", "logger", "event", "user_id")
RECORD_FIELDS = ("@timestamp", "ObservedTimestamp", "Body", "SeverityText", "SeverityNumber", "TraceId",
                 "SpanId", "TraceFlags", "Resource", "Scope")


def _is_attribute(key: str) -> bool:
    return key not in RECORD_FIELDS and not key.startswith(("Resource.", "Scope."))


@dataclass(frozen=True)
class LogRecord:
    index: str
    id: str
    timestamp: str
    body: Any
    severity: str
    trace_id: str
    span_id: str
    attributes: dict[str, Any] = field(default_factory=dict)
    resource: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_hit(cls, hit: dict[str, Any]) -> LogRecord:
        src = hit.get("_source", {})
        return cls(index=str(hit.get("_index", "")), id=str(hit.get("_id", "")),
                   timestamp=str(src.get("@timestamp", "")), body=src.get("Body"),
                   severity=str(src.get("SeverityText", "")), trace_id=str(src.get("TraceId", "")),
                   span_id=str(src.get("SpanId", "")),
                   attributes={k: v for k, v in src.items() if _is_attribute(k)},
                   resource={**(src.get("Resource") or {}), **{k[len("Resource."):]: v for k, v in src.items()
                                                               if k.startswith("Resource.")}})

    def show(self) -> str:
        return f"{self.timestamp} {self.severity or '-'} trace={self.trace_id or '-'} {str(self.body)[:120]}"


# The collector's index prefix: its daily log indices are recoloca-logs-YYYY.MM.DD (the seed's name;
# stack/otelcol/config.yaml, logs_index: recoloca-logs, tests/unit/test_stack_contract.py).
LOGS_PREFIX = "recoloca"


def logs_pattern(prefix: str = LOGS_PREFIX) -> str:
    """Every daily log index: ``<prefix>-logs-*``."""
    return f"{prefix}-logs-*"


def logs_index(prefix: str = LOGS_PREFIX, day: dt.date | None = None) -> str:
    """The collector's index of one day (UTC today by default): ``<prefix>-logs-YYYY.MM.DD``."""
    day = day or dt.datetime.now(dt.UTC).date()
    return f"{prefix}-logs-{day:%Y.%m.%d}"


def _check_client_version() -> None:
    major = int(elasticsearch.VERSION[0])
    if major >= 9:
        raise ObsdrillError(
            f"elasticsearch-py {elasticsearch.__versionstr__} is installed; it sends 'compatible-with=9', which "
            "Elasticsearch 8 rejects (400 media_type_header_exception). Install elasticsearch>=8,<9.")


class EsClient:
    def __init__(self, url: str, prefix: str = LOGS_PREFIX, timeout: float = 10.0) -> None:
        _check_client_version()
        self.url = url
        self.prefix = prefix
        self.es = Elasticsearch(url, request_timeout=timeout, **ES_OPTIONS)

    def health(self, wait_for_status: str | None = None, timeout: str = "1s") -> str:
        """green, yellow or red (red also when ``wait_for_status`` was not reached in ``timeout``)."""
        kwargs: dict[str, Any] = {"timeout": timeout}
        if wait_for_status:
            kwargs["wait_for_status"] = wait_for_status
        body = self.es.options(ignore_status=408).cluster.health(**kwargs).body
        return "red" if body.get("timed_out") else str(body["status"])

    def version(self) -> str:
        """The version the running server reports: ``GET /_nodes/_local`` (``GET /`` is served by ES's
        rest-root module, which a distribution may leave out: then ``/`` answers 405)."""
        nodes: Any = self.es.nodes.info(node_id="_local", metric="_none").body["nodes"]
        return str(next(iter(nodes.values()))["version"])

    def ready(self) -> bool:
        try:
            return self.health("yellow") in ("yellow", "green")
        except elasticsearch.TransportError:
            return False

    def indices(self, pattern: str | None = None) -> list[str]:
        rows: Any = self.es.cat.indices(index=pattern or f"{self.prefix}-*", format="json").body
        return sorted(str(row["index"]) for row in rows)

    def index_counts(self) -> dict[str, int]:
        """Every index the node holds (system indices left out) -> its document count."""
        rows: Any = self.es.cat.indices(format="json", h="index,docs.count").body
        return {str(r["index"]): int(r.get("docs.count") or 0) for r in rows if not str(r["index"]).startswith(".")}

    def refresh(self, pattern: str | None = None) -> None:
        self.es.indices.refresh(index=pattern or f"{self.prefix}-*", ignore_unavailable=True,
                                allow_no_indices=True)

    def put_logs_template(self) -> None:
        """Composable template for ``<prefix>-logs-*``: the correlation fields of the seed's log format as
        keywords (exact term queries), ``timestamp`` as a date. Put it before the first record arrives (it
        applies to new indices)."""
        keyword = {"type": "keyword"}
        fields = {name: keyword for name in KEYWORD_FIELDS}
        fields |= {"timestamp": {"type": "date"}, "@timestamp": {"type": "date_nanos"}}
        self.es.indices.put_index_template(
            name=f"{self.prefix}-logs", index_patterns=[logs_pattern(self.prefix)], priority=100,
            template={"settings": {"number_of_replicas": 0, "refresh_interval": "1s"},
                      "mappings": {"properties": fields}})

    def search(self, query: dict[str, Any] | None = None, pattern: str | None = None, size: int = 100,
               refresh: bool = True) -> list[LogRecord]:
        """Log records matching ``query`` (default all), oldest first."""
        index = pattern or logs_pattern(self.prefix)
        if refresh:
            self.refresh(index)
        body = self.es.search(index=index, query=query or {"match_all": {}}, size=size,
                              sort=[{"@timestamp": {"order": "asc", "unmapped_type": "date"}}],
                              ignore_unavailable=True, allow_no_indices=True).body
        return [LogRecord.from_hit(hit) for hit in body["hits"]["hits"]]

    def logs_by_trace_id(self, trace_id: str, pattern: str | None = None, size: int = 100) -> list[LogRecord]:
        return self.search({"term": {"TraceId": trace_id.lower()}}, pattern, size)

    def count(self, query: dict[str, Any] | None = None, pattern: str | None = None) -> int:
        index = pattern or logs_pattern(self.prefix)
        self.refresh(index)
        body = self.es.count(index=index, query=query or {"match_all": {}}, ignore_unavailable=True,
                             allow_no_indices=True).body
        return int(body["count"])

    def delete_indices(self, pattern: str | None = None) -> None:
        self.es.indices.delete(index=pattern or logs_pattern(self.prefix), ignore_unavailable=True,
                               allow_no_indices=True)
