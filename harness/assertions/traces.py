"""Trace assertions against Jaeger: one user request = one trace holding every service it touched, with
every span's parent in it; and Jaeger's service dependency graph equal to the expected edges. A failure
names the hop that broke the join (and, with logs, the trace the callee logged the request under)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from harness.assertions.logs import LogCorrelation, attr
from harness.assertions.wait import eventually
from harness.bounds import Bound
from harness.clients.elasticsearch import EsClient
from harness.clients.jaeger import Dependency, JaegerClient, Trace
from harness.errors import ExpectationFailed
from harness.load import BROWSER_ENTRY, SampledRequest
from harness.platform import route_hops


def broken_hop(request: SampledRequest, trace: Trace,
               called: Callable[[str], bool] = lambda _service: True) -> tuple[str, str] | None:
    """The first hop the request really made whose callee did not join the trace: a caller's client span
    names the callee (``peer.service``) but no span of the callee hangs under it. A hop of the route that did
    not happen is no break (a failed AI generation charges nothing, so payments is never called); without a
    client span, a route hop counts only if the callee was ``called`` (its logs have the request)."""
    children: dict[str, set[str]] = {}
    for span in trace.spans:
        if span.parent_id is not None:
            children.setdefault(span.parent_id, set()).add(span.service)
    for span in trace.spans:
        callee = str(span.tags.get("peer.service") or "")
        if span.kind == "client" and callee and callee not in children.get(span.span_id, set()):
            return span.service, callee
    services = set(trace.services())
    for caller, callee in route_hops(request.path, request.entry):
        if caller in services and callee not in services and called(callee):
            return caller, callee
    return None


def span_problems(request: SampledRequest, trace: Trace) -> list[str]:
    ids = {s.span_id for s in trace.spans}
    orphans = [s for s in trace.spans if s.parent_id is not None and s.parent_id not in ids]
    # a browser's request: the page made the trace and keeps its own span, so the frontend's SERVER span names
    # a parent Jaeger never gets; that one span is the trace's root
    page = [s for s in orphans if request.entry == BROWSER_ENTRY and s.service == BROWSER_ENTRY
            and s.kind == "server"][:1]
    problems = [f"span {s.operation!r} of {s.service} has parent span {s.parent_id}, which is not in the trace"
                for s in orphans if s not in page]
    roots = page + [s for s in trace.spans if s.parent_id is None]
    if len(roots) > 1:
        problems.append("the trace has several root spans: " + ", ".join(f"{s.service} {s.operation!r}" for s in roots))
    if roots and roots[0].service != request.entry:
        problems.append(f"the root span is {roots[0].service} {roots[0].operation!r}, not {request.entry}'s")
    return problems


@dataclass(frozen=True)
class RequestTrace:
    request: SampledRequest
    trace_id: str
    services: tuple[str, ...]
    problems: tuple[str, ...]

    def summary(self) -> dict[str, Any]:
        return {"request": self.request.show(), "trace_id": self.trace_id, "services": list(self.services),
                "problems": list(self.problems)}


class TraceJoin:
    def __init__(self, jaeger: JaegerClient, logs: LogCorrelation | None = None) -> None:
        self.jaeger = jaeger
        self.logs = logs

    def trace_id_of(self, request: SampledRequest) -> str:
        """From the response's traceparent, else from the entry service's log line of the request."""
        if request.trace_id or self.logs is None:
            return request.trace_id
        docs = self.logs.docs(request.correlation_id)
        entry = [attr(d, "trace_id") for d in docs if attr(d, "service") == request.entry]
        return next((t for t in entry + [attr(d, "trace_id") for d in docs] if t), "")

    def _logged(self, request: SampledRequest, service: str) -> bool:
        """Did ``service`` log this request (True when logs are not available to tell)?"""
        if self.logs is None:
            return True
        return any(attr(d, "service") == service for d in self.logs.docs(request.correlation_id))

    def _callee_trace(self, request: SampledRequest, callee: str) -> str:
        if self.logs is None:
            return ""
        ids = {attr(d, "trace_id") for d in self.logs.docs(request.correlation_id) if attr(d, "service") == callee}
        if not ids:
            return f"; {callee} logged nothing for correlation_id {request.correlation_id}"
        return f"; {callee} logged the request under trace {', '.join(sorted(ids))}"

    def check(self, request: SampledRequest) -> RequestTrace:
        trace_id = self.trace_id_of(request)
        if not trace_id:
            return RequestTrace(request, "", (), ("no trace id: the response carried no traceparent and no log "
                                                  "line of the request has a trace_id",))
        trace = self.jaeger.trace(trace_id)
        if trace is None:
            return RequestTrace(request, trace_id, (), (f"Jaeger has no trace {trace_id}",))
        problems = []
        hop = broken_hop(request, trace, lambda service: self._logged(request, service))
        if hop is not None:
            problems.append(f"hop {hop[0]} -> {hop[1]} broke the join: trace {trace_id} has spans of "
                            f"{', '.join(trace.services())} but none of {hop[1]}{self._callee_trace(request, hop[1])}")
        problems += span_problems(request, trace)
        return RequestTrace(request, trace_id, tuple(trace.services()), tuple(problems))


def assert_one_trace_per_request(jaeger: JaegerClient, requests: Sequence[SampledRequest], within: Bound,
                                 es: EsClient | None = None) -> list[RequestTrace]:
    """Wait until every request in ``requests`` is one trace holding every service of its route."""
    if not requests:
        raise ExpectationFailed("traces: the load sampled no successful request to check")
    join = TraceJoin(jaeger, LogCorrelation(es) if es is not None else None)
    latest: list[RequestTrace] = []

    def joined() -> list[RequestTrace] | None:
        latest[:] = [join.check(r) for r in requests]
        return None if any(r.problems for r in latest) else list(latest)

    def near_miss() -> str:
        return "\n".join(f"  {r.request.show()}\n    " + "\n    ".join(r.problems) for r in latest if r.problems)

    results, _ = eventually(joined, within, f"{len(requests)} sampled requests are not one trace each",
                            near_miss)
    return results


def graph_text(edges: Sequence[Dependency]) -> str:
    return ", ".join(f"{d.parent}->{d.child} ({d.calls} calls)" for d in sorted(edges, key=lambda d: (d.parent,
                                                                                                         d.child)))


def assert_service_graph(jaeger: JaegerClient, expected: Sequence[tuple[str, str]], since: float,
                         within: Bound) -> list[Dependency]:
    """Wait until Jaeger's dependency graph since ``since`` (wall clock) has exactly the ``expected`` edges
    between services. Self-edges are left out: Jaeger v2's in-memory store also counts a service's own
    server span -> client span as ``service -> service``; that is no call between services."""
    want = set(expected)
    latest: list[Dependency] = []

    def equal() -> list[Dependency] | None:
        found = jaeger.dependencies(lookback_s=max(1.0, time.time() - since))
        latest[:] = [d for d in found if d.parent != d.child]
        return list(latest) if {(d.parent, d.child) for d in latest} == want else None

    def near_miss() -> str:
        have = {(d.parent, d.child) for d in latest}
        missing = ", ".join(f"{a}->{b}" for a, b in sorted(want - have)) or "none"
        extra = ", ".join(f"{a}->{b}" for a, b in sorted(have - want)) or "none"
        return (f"  missing edges: {missing}\n  unexpected edges: {extra}\n"
                f"  Jaeger has: {graph_text(latest) or '(no edge)'}")

    edges, _ = eventually(equal, within, "Jaeger's service graph differs from the expected one",
                          near_miss)
    return edges

