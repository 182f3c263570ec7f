"""The timeline picture of one expected alert (an :class:`~harness.events.AlertTimeline`): the rule's PromQL
left-hand side over the scenario against its threshold, the fault windows shaded, the alert's
pending/firing/resolved changes, each notification's arrival and the deadlines. Seconds since the
injection on the x axis. Rendered with matplotlib's object API on the Agg canvas (no pyplot state)."""

from __future__ import annotations

import io

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from harness.events import AlertTimeline

STATE_COLOURS = {"pending": "tab:orange", "firing": "tab:red", "inactive": "tab:green"}
NOTE_MARKERS = {"firing": ("v", "tab:red"), "resolved": ("^", "tab:green")}
BOUND_STYLES = {"fire": "-", "resolve": "-."}
LEGEND_WIDTH = 48  # characters of a series' labels in the legend


def _rel(timeline: AlertTimeline, at: float) -> float:
    return at - timeline.origin


def _faults(ax: Axes, timeline: AlertTimeline, end: float) -> None:
    for i, (start, stop, what) in enumerate(timeline.faults):
        ax.axvspan(_rel(timeline, start), _rel(timeline, stop if stop is not None else end), color="tab:purple",
                   alpha=0.12, label="fault: " + what if i < 3 else None)


def _states(ax: Axes, timeline: AlertTimeline) -> None:
    seen: set[str] = set()
    for at, state in timeline.states:
        shown = "resolved" if state == "inactive" else state
        ax.axvline(_rel(timeline, at), color=STATE_COLOURS.get(state, "grey"), linestyle=":", linewidth=1.2,
                   label=None if shown in seen else f"alert {shown}")
        seen.add(shown)


def _notifications(ax: Axes, timeline: AlertTimeline, y: float) -> None:
    seen: set[str] = set()
    for at, receiver, status in timeline.notifications:
        marker, colour = NOTE_MARKERS.get(status, ("o", "black"))
        key = f"{status} to {receiver}"
        ax.plot([_rel(timeline, at)], [y], marker=marker, color=colour, markersize=9, linestyle="none",
                label=None if key in seen else f"notification {key}")
        seen.add(key)


def figure(timeline: AlertTimeline) -> Figure:
    """The picture as a matplotlib Figure (its axes hold the data, for tests)."""
    fig = Figure(figsize=(12, 5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ends = [t for s in timeline.series for t in s.times] + [a for a, _ in timeline.states]
    ends += [a for a, _, _ in timeline.notifications] + [a for _, a in timeline.deadlines] + [timeline.origin]
    end = max(ends)
    _faults(ax, timeline, end)
    for series in timeline.series:
        ax.plot([_rel(timeline, t) for t in series.times], series.values, linewidth=1.6, label=_short(series.labels))
    values = [v for s in timeline.series for v in s.values]
    if timeline.threshold is not None:
        ax.axhline(timeline.threshold, color="black", linestyle="--", linewidth=1.2,
                   label=f"threshold {timeline.op} {timeline.threshold:g}")
        values.append(timeline.threshold)
    _states(ax, timeline)
    for kind, at in timeline.deadlines:
        ax.axvline(_rel(timeline, at), color="navy", linestyle=BOUND_STYLES.get(kind, "--"), linewidth=2.0,
                   alpha=0.7, label=f"{kind} bound")
    _notifications(ax, timeline, max(values, default=1.0) * 1.05 or 1.0)
    ax.set_title(f"{timeline.alert}: {timeline.query}", fontsize=9, wrap=True)
    ax.set_xlabel("seconds since the injection")
    ax.set_ylabel("value")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, framealpha=0.85)
    fig.tight_layout()
    return fig


def _short(text: str, width: int = LEGEND_WIDTH) -> str:
    """A legend entry cut to ``width`` (a DCGM series carries a dozen labels: the legend would not fit)."""
    return text if len(text) <= width else text[:width - 1] + "…"


def png(timeline: AlertTimeline) -> bytes:
    buffer = io.BytesIO()
    figure(timeline).savefig(buffer, format="png")
    return buffer.getvalue()
