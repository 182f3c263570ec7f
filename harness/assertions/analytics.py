"""Client analytics reconciled with what the browsers did: every API call of a browser user that succeeded on a
route of the tracking plan (harness.platform.ANALYTICS_EVENTS) sent one GA4 event and one Mixpanel event from
the page; the sink's Measurement Protocol and /track endpoints must have accepted exactly that many of each,
no more, no fewer. The failure names the provider, the event and both counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from harness.assertions.wait import eventually
from harness.bounds import Bound
from harness.clients.sink import SinkClient
from harness.errors import ExpectationFailed
from harness.load import MadeRequest
from harness.platform import ANALYTICS_EVENTS

PROVIDERS = ("ga4", "mixpanel")
BROWSER_JOURNEY = "browser"


@dataclass(frozen=True)
class AnalyticsTable:
    expected: dict[str, int]  # GA4 event name -> count (the Mixpanel name is its pair in the plan)
    received: dict[str, Counter[str]]  # provider -> event name -> count

    def rows(self) -> list[tuple[str, str, int, int, int]]:
        """(ga4 name, mixpanel name, browsers made, ga4 received, mixpanel received) per event of the plan."""
        return [(ga4, mixpanel, self.expected.get(ga4, 0), self.received["ga4"][ga4],
                 self.received["mixpanel"][mixpanel]) for ga4, mixpanel in ANALYTICS_EVENTS.values()]

    def problems(self) -> list[str]:
        out = []
        for ga4, mixpanel, made, got_ga4, got_mp in self.rows():
            for provider, name, got in (("GA4", ga4, got_ga4), ("Mixpanel", mixpanel, got_mp)):
                if got != made:
                    out.append(f"{provider} {name!r}: the browsers' successful calls made {made}, the sink's "
                               f"{provider} endpoint accepted {got}")
        return out

    def text(self) -> str:
        lines = [f"{'GA4 event':20} {'Mixpanel event':22} {'browsers':>8} {'ga4':>5} {'mixpanel':>8}"]
        lines += [f"{a:20} {b:22} {n:8} {g:5} {m:8}" for a, b, n, g, m in self.rows()]
        return "\n".join(lines)


def expected_events(made: list[MadeRequest]) -> dict[str, int]:
    """GA4 event name -> how many the browsers' successful calls should have sent."""
    counts: Counter[str] = Counter()
    for request in made:
        if request.journey == BROWSER_JOURNEY and 200 <= request.status < 300 and request.route in ANALYTICS_EVENTS:
            counts[ANALYTICS_EVENTS[request.route][0]] += 1
    return dict(counts)


def analytics_table(sink: SinkClient, made: list[MadeRequest]) -> AnalyticsTable:
    received: dict[str, Counter[str]] = {p: Counter() for p in PROVIDERS}
    for event in sink.analytics():
        received.setdefault(str(event.get("provider")), Counter())[str(event.get("event"))] += 1
    return AnalyticsTable(expected_events(made), received)


def assert_analytics(sink: SinkClient, made: list[MadeRequest], bound: Bound) -> AnalyticsTable:
    """Waits until both providers hold exactly the events the browsers' calls sent."""
    last: list[AnalyticsTable] = []

    def balanced() -> AnalyticsTable | None:
        table = analytics_table(sink, made)
        last[:] = [table]
        return None if table.problems() else table

    try:
        table, _ = eventually(balanced, bound, "client analytics = the browsers' successful calls",
                              lambda: last[0].text() if last else "")
    except ExpectationFailed as exc:
        detail = "\n".join(last[0].problems()) if last else ""
        raise ExpectationFailed(f"{exc}\n{detail}".rstrip()) from exc
    return table
