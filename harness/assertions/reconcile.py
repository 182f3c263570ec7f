"""Cross-pillar reconciliation: per journey, method, route and status, the requests the load made (its request
logs, harness/load.py) = the increase of the target's ``http_requests_total`` in Prometheus (reset-aware) =
its ``api_request`` log documents in Elasticsearch (joined by correlation id) = its traces in Jaeger (root
SERVER spans; at a sampling ratio under 1 within the binomial bound for that ratio).

The count of one pillar is a :class:`Count`; the sources that make them from the real clients are in
harness/assertions/pillars.py. :func:`reconcile` polls the sources until every row balances or the bound
passes, and returns the :class:`Table` (rendered as text for the report, as rows for result.json);
:func:`assert_reconciled` fails on any request unaccounted, naming the pillar and the journey."""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from harness.bounds import Bound
from harness.errors import ExpectationFailed
from harness.load import MadeRequest
from harness.platform import JOURNEYS

Op = tuple[str, str, int]  # method, route, status
BINOMIAL_Z = 4.0  # a sampled count this many standard deviations from ratio*n fails (chance ~6e-5 per row)
NO_JOURNEY = "-"  # a route no journey calls (something besides the load made the request)
ROUTE_JOURNEY = {(method, route): name for name, calls in JOURNEYS.items() for method, route in calls}


@dataclass(frozen=True)
class Count:
    """What one pillar counted per (method, route, status).

    ``ids``: the correlation ids per op, where the pillar has them (logs); ``lost``: requests the pillar
    cannot have seen (answered between a counter's last scrape and its reset at a crash); ``ratio``: the
    trace sampling ratio (a count under 1 is judged by the binomial bound)."""

    pillar: str
    counts: dict[Op, int]
    ids: dict[Op, frozenset[str]] | None = None
    lost: dict[Op, int] = field(default_factory=dict)
    ratio: float = 1.0
    note: str = ""

    def unaccounted(self, op: Op, made: list[MadeRequest]) -> int:
        """Requests of ``op`` the load made that this pillar does not account for, plus the ones it counted
        that the load did not make (0 when the two agree)."""
        if self.ids is not None:
            mine = self.ids.get(op, frozenset())
            sent = {r.correlation_id for r in made}
            return len(sent - mine) + len(mine - sent)
        n, k = len(made), self.counts.get(op, 0)
        if self.ratio < 1.0:
            return max(k - n, 0) + max(math.ceil(abs(k - self.ratio * n) - binomial_bound(n, self.ratio)), 0)
        # a counter has no ids: more than the load made is traffic at the window's edges (see ``extra``), not
        # a request of the load left uncounted
        return max(n - k - self.lost.get(op, 0), 0)

    def extra(self, op: Op, made: list[MadeRequest]) -> int:
        """What a counter (no ids, sampling 1) counted beyond the requests of ``op`` the load made."""
        if self.ids is not None or self.ratio < 1.0:
            return 0
        return max(self.counts.get(op, 0) - len(made), 0)


def binomial_bound(n: int, ratio: float) -> float:
    """How far a count of ``n`` requests each sampled with probability ``ratio`` may be from ``ratio * n``."""
    return BINOMIAL_Z * math.sqrt(n * ratio * (1.0 - ratio)) + 0.5


@dataclass(frozen=True)
class Row:
    journey: str
    op: Op
    made: int
    counted: dict[str, int]
    unaccounted: dict[str, int]

    def as_dict(self) -> dict[str, Any]:
        method, route, status = self.op
        return {"journey": self.journey, "method": method, "route": route, "status": status, "load": self.made,
                **self.counted, "unaccounted": self.unaccounted}


@dataclass(frozen=True)
class Table:
    pillars: tuple[str, ...]
    rows: tuple[Row, ...]
    notes: tuple[str, ...] = ()
    behind: int = 0
    waited: float = 0.0
    bound: Bound | None = None

    @property
    def unaccounted(self) -> int:
        return sum(sum(r.unaccounted.values()) for r in self.rows)

    def problems(self) -> list[str]:
        """One line per pillar and row that does not balance, naming both."""
        return [f"{pillar}: {r.journey} {r.op[0]} {r.op[1]} {r.op[2]}: the load made {r.made}, {pillar} counted "
                f"{r.counted[pillar]} ({r.unaccounted[pillar]} unaccounted)"
                for r in self.rows for pillar in self.pillars if r.unaccounted[pillar]]

    def text(self) -> str:
        head = ["journey", "method route", "status", "load", *self.pillars, "unaccounted"]
        body = [[r.journey, f"{r.op[0]} {r.op[1]}", str(r.op[2]), str(r.made),
                 *(str(r.counted[p]) for p in self.pillars), str(sum(r.unaccounted.values()))] for r in self.rows]
        total = ["total", "", "", str(sum(r.made for r in self.rows)),
                 *(str(sum(r.counted[p] for r in self.rows)) for p in self.pillars), str(self.unaccounted)]
        lines = [head, *body, total]
        widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
        out = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip() for line in lines]
        return "\n".join([*out, *self.notes])

    def as_dict(self) -> dict[str, Any]:
        return {"pillars": list(self.pillars), "unaccounted": self.unaccounted, "behind": self.behind,
                "waited_s": round(self.waited, 1), "notes": list(self.notes), "rows": [r.as_dict() for r in self.rows]}


def table(made: Iterable[MadeRequest], counts: list[Count]) -> Table:
    """The rows of every op the load made or a pillar counted (requests that got no answer, status 0, are
    rows of their own that no pillar can count)."""
    by_op: dict[Op, list[MadeRequest]] = {}
    for request in made:
        by_op.setdefault((request.method, request.route, request.status), []).append(request)
    ops = set(by_op) | {op for c in counts for op in c.counts}
    rows = []
    for op in sorted(ops, key=lambda o: (ROUTE_JOURNEY.get(o[:2], NO_JOURNEY), o)):
        mine = by_op.get(op, [])
        # a route two journeys call (the browser users' clicks and Locust's) is one row per op: the pillars count
        # ops, not journeys; the row names every journey that made it
        journey = "+".join(sorted({r.journey for r in mine})) if mine else ROUTE_JOURNEY.get(op[:2], NO_JOURNEY)
        answered = op[2] != 0
        rows.append(Row(journey, op, len(mine), {c.pillar: c.counts.get(op, 0) for c in counts},
                        {c.pillar: c.unaccounted(op, mine) if answered else 0 for c in counts}))
    extra = [f"{c.pillar}: {ROUTE_JOURNEY.get(op[:2], NO_JOURNEY)} {op[0]} {op[1]} {op[2]}: counted {n} more than "
             f"the load made (requests at the window's edges, not the load's)"
             for c in counts for op in sorted(ops) if (n := c.extra(op, by_op.get(op, [])))]
    return Table(tuple(c.pillar for c in counts), tuple(rows), (*(c.note for c in counts if c.note), *extra))


Source = Callable[[], Count | None]  # a pillar's count now; None while it has not caught up yet


def reconcile(made: list[MadeRequest], sources: list[Source], bound: Bound, interval: float = 2.0) -> Table:
    """Poll the sources until every row balances (the pipelines settled) or ``bound`` passed; the last
    table (``behind``: the pillars that never caught up with the end of the load)."""
    started = time.monotonic()
    settled: dict[int, Count] = {}  # a pillar that balanced is not asked again
    while True:
        polled = {i: settled.get(i) or source() for i, source in enumerate(sources)}
        settled |= {i: c for i, c in polled.items() if c is not None and not table(made, [c]).unaccounted}
        counts = [c for c in polled.values() if c is not None]
        result = table(made, counts)
        waited = time.monotonic() - started
        done = len(counts) == len(sources) and not result.unaccounted
        if done or waited >= bound.seconds:
            return dataclasses.replace(result, behind=len(sources) - len(counts), waited=waited, bound=bound)
        time.sleep(interval)


def assert_reconciled(result: Table) -> None:
    """ExpectationFailed naming each pillar and journey that does not balance, with the table."""
    if result.unaccounted or result.behind:
        behind = [f"{result.behind} pillar(s) never caught up with the end of the load"] if result.behind else []
        bound = f" (bound {result.bound.explain()})" if result.bound else ""
        raise ExpectationFailed(
            f"reconciliation: {result.unaccounted} request(s) unaccounted after {result.waited:.1f}s{bound}:\n"
            + "\n".join(behind + result.problems()) + "\n" + result.text())
