"""Background alerts: always on (a dead-man's switch such as `Watchdog`, expr `vector(1)`), declared by the
config (obsdrill.yml `background_alerts`) or the scenario, or recognised (no input series). They are kept
out of settle and `no_other_alerts`; instead a built-in check shows each one's heartbeat reaching its
receivers (Alertmanager's routing) at its repeat_interval (scaled) and notices when it stops."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from harness import durations
from harness.clients.sink import Notification
from harness.errors import ConfigError
from harness.render import RenderedConfig
from harness.routing import Routing, alert_labels, show


def names(config: RenderedConfig, declared: Iterable[str] = ()) -> frozenset[str]:
    return frozenset([*config.background, *declared])


def repeat_for(route: dict[str, Any], receivers: Sequence[str], inherited: float = 0.0) -> float:
    """The longest (rendered, scaled) repeat_interval among the routes that name one of ``receivers`` (the
    ones Alertmanager's routing chose); 0 when none does. Children inherit their parent's."""
    own = durations.parse(route["repeat_interval"]) if "repeat_interval" in route else inherited
    found = [own] if route.get("receiver") in receivers else []
    found += [repeat_for(child, receivers, own) for child in route.get("routes") or []]
    return max(found, default=0.0)


@dataclass(frozen=True)
class Heartbeat:
    name: str
    labels: dict[str, str]
    receivers: tuple[str, ...]
    every: float  # at most this long between two notifications to each receiver
    explain: str

    def problems(self, notes: Sequence[Notification], since: float, now: float) -> list[str]:
        """A gap longer than ``every`` (the start and now included) at any receiver: it stopped, or never came."""
        out = []
        for receiver in self.receivers:
            times = sorted(n.received_at for n in notes if n.kind == "tap" and n.receiver == receiver
                           and since <= n.received_at <= now  # the sink may hold earlier ones
                           and self.name in [a.get("labels", {}).get("alertname") for a in n.firing_alerts()])
            points = [since, *times, now]
            gap, at = max((b - a, a) for a, b in pairwise(points))
            if gap > self.every:
                last = f"last one at {times[-1] - since:+.1f}s" if times else "none at all"
                out.append(f"background alert {self.name}: no heartbeat to {receiver!r} for {gap:.1f}s from "
                           f"{at - since:+.1f}s ({last}; {len(times)} in {now - since:.1f}s), expected one at least "
                           f"every {self.explain}")
        return out


def heartbeats(config: RenderedConfig, routing: Routing | None, background: Iterable[str],
               slack: float) -> list[Heartbeat]:
    """One check per background alert Alertmanager routes somewhere (amtool on its labels)."""
    group = config.timing.group_interval
    out = []
    for name in sorted(background):
        try:
            rule = config.rule(name)
        except ConfigError:
            continue
        labels = alert_labels(name, rule, (), config.external_labels)
        receivers = routing.receivers(labels) if routing else None
        repeat = repeat_for(config.route, receivers or ()) or config.timing.repeat_interval
        every = repeat + group + slack
        explain = (f"{every:.1f}s = repeat_interval {repeat:g}s + group_interval {group:g}s + slack {slack:g}s "
                   f"({show(labels)} -> {', '.join(receivers or ())})")
        if receivers:
            out.append(Heartbeat(name, labels, receivers, every, explain))
    return out
