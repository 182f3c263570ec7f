"""Alert state timelines (inactive -> pending -> firing -> inactive) on real time, from the ALERTS samples
a compressed run stored and from promtool's evaluation of the unscaled rules, and their comparison."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from harness.certify.samples import Series

Key = tuple[tuple[str, str], ...]  # an alert instance: its labels without __name__ and alertstate
INACTIVE = "inactive"


@dataclass(frozen=True)
class Transition:
    at: float  # real-time seconds since the start of the certified window
    state: str  # pending, firing or inactive (resolved, or a pending that ended)

    def show(self) -> str:
        return f"{'resolved' if self.state == INACTIVE else self.state} at +{self.at:.0f}s"


def instance_key(labels: Mapping[str, str]) -> Key:
    return tuple(sorted((k, v) for k, v in labels.items() if k not in ("__name__", "alertstate")))


def changes(states: Iterable[tuple[float, str]]) -> list[tuple[float, str]]:
    """The points where the state differs from the one before (the first point counts if active)."""
    out: list[tuple[float, str]] = []
    for at, state in sorted(states):
        if state != (out[-1][1] if out else INACTIVE):
            out.append((at, state))
    return out


def compressed_states(alerts: Sequence[Series], evaluation: float, end: float) -> dict[Key, list[tuple[float, str]]]:
    """Per alert instance, (wall time, state) at each stored ALERTS sample, plus the evaluation after the last
    sample of a run of samples (where the alert was no longer active: nothing is stored for inactive)."""
    by_key: dict[Key, list[tuple[float, str]]] = defaultdict(list)
    for series in alerts:
        labels = dict(series.labels)
        by_key[instance_key(labels)] += [(t, labels.get("alertstate", "?")) for t, _ in series.points]
    out: dict[Key, list[tuple[float, str]]] = {}
    for key, points in by_key.items():
        points.sort()
        states: list[tuple[float, str]] = []
        for i, (at, state) in enumerate(points):
            following = points[i + 1][0] if i + 1 < len(points) else end
            states.append((at, state))
            if following - at > 1.5 * evaluation:
                states.append((at + evaluation, INACTIVE))
        out[key] = states
    return out


def promtool_states(got: Mapping[float, Sequence[Mapping[str, str]]], steps: Sequence[float]
                    ) -> dict[Key, list[tuple[float, str]]]:
    """Per alert instance, (test time, state) at every evaluation step promtool ran."""
    keys = {instance_key(sample) for samples in got.values() for sample in samples}
    out: dict[Key, list[tuple[float, str]]] = {key: [] for key in keys}
    for step in steps:
        now = {instance_key(s): s.get("alertstate", "?") for s in got.get(step, ())}
        for key in keys:
            out[key].append((step, now.get(key, INACTIVE)))
    return out


def clip(points: Sequence[tuple[float, str]], start: float) -> tuple[Transition, ...]:
    """Transitions from ``start`` on, as seconds since ``start``; a state already active at ``start`` is a
    transition at 0."""
    found = changes(points)
    before = [state for at, state in found if at < start]
    head = [Transition(0.0, before[-1])] if before and before[-1] != INACTIVE else []
    return tuple(head + [Transition(at - start, state) for at, state in found if at >= start])


def after_carry_over(transitions: Sequence[Transition], within: float) -> tuple[Transition, ...]:
    """Without what the window inherited: transitions up to a resolution within ``within`` of its start belong
    to an alert of before the window (a scenario's window opens before its fault, so nothing of its own can
    fire and resolve that soon)."""
    for i, t in enumerate(transitions):
        if t.at > within:
            break
        if t.state == INACTIVE:
            return tuple(transitions[i + 1:])
    return tuple(transitions)


def agree(ours: Sequence[Transition], theirs: Sequence[Transition], tolerance: float) -> bool:
    return len(ours) == len(theirs) and all(
        a.state == b.state and abs(a.at - b.at) <= tolerance for a, b in zip(ours, theirs, strict=True))


def show(transitions: Sequence[Transition]) -> str:
    return ", ".join(t.show() for t in transitions) or "never active"
