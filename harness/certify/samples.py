"""Raw samples of a compressed run: exported from Prometheus, mapped onto real time and placed on the
real-time grid.

Mapping: a sample taken at wall time t is placed at t0 + (t - t0) / factor. The load ran at real request
rates while the run was compressed, so over the stretched timeline a counter's per-second rate would be
factor times too small; each counter increment is therefore divided by the factor (resets kept as resets),
which keeps every per-second rate equal. Gauges keep their values."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import requests

from harness.errors import ObsdrillError

COUNTER_SUFFIXES = ("_total", "_count", "_sum", "_bucket")
Point = tuple[float, float]


@dataclass(frozen=True)
class Series:
    labels: tuple[tuple[str, str], ...]
    points: tuple[Point, ...]  # (unix seconds, value), oldest first

    @property
    def name(self) -> str:
        return dict(self.labels).get("__name__", "")

    def promql(self) -> str:
        inner = ", ".join(f"{k}={_quote(v)}" for k, v in self.labels if k != "__name__")
        return f"{self.name}{{{inner}}}" if inner else self.name


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def is_counter(name: str, metadata: Mapping[str, str]) -> bool:
    """By the metric's type in /api/v1/metadata (a histogram's or summary's _bucket/_count/_sum too), else
    by the conventional suffix."""
    if name in metadata:
        return metadata[name] == "counter"
    for suffix in ("_bucket", "_count", "_sum"):
        if name.endswith(suffix) and metadata.get(name[: -len(suffix)]) in ("histogram", "summary"):
            return True
    return name.endswith(COUNTER_SUFFIXES)


def stretch(series: Series, t0: float, factor: float, counter: bool) -> Series:
    """``series`` on the real timeline (see the module doc)."""
    points: list[Point] = []
    previous = 0.0
    for t, v in series.points:
        at = t0 + (t - t0) / factor
        if counter and points:
            increment = v - previous if v >= previous else v  # a reset restarts from zero
            points.append((at, points[-1][1] + increment / factor))
        else:
            points.append((at, v))
        previous = v
    return replace(series, points=tuple(points))


STALE = "stale"  # promtool's word for a staleness marker in an input series


def place(series: Series, start: float, step: float, count: int) -> list[float | str | None]:
    """Values on the grid start + i * step (i < count): each sample at the first point at or after it (a later
    one wins a point), None (no sample) between. On a grid whose points include the compressed run's
    evaluation instants, each evaluation thus gets the samples that run's evaluation had, no later one.

    No value is held over to the next point: a held counter reads as no change, so irate() of a 15 s counter
    on a 10 s grid was 0 at every third step. A gap of over 1.5 times the series' own spacing, or a series
    that ends before the grid does, gets a staleness marker one spacing after its last sample, as Prometheus
    writes one at the first scrape that misses the series (a crashed target's gauges vanish at once; without
    the marker promtool would read them on for its 5 m lookback)."""
    out: list[float | str | None] = [None] * count
    points = series.points
    gaps = sorted(b[0] - a[0] for a, b in itertools.pairwise(points))
    spacing = gaps[len(gaps) // 2] if gaps else 0.0
    grid_end = start + (count - 1) * step

    def point(at: float) -> int | None:
        k = math.ceil((at - start) / step - 1e-6)
        return k if 0 <= k < count else None

    for i, (t, v) in enumerate(points):
        k = point(t)
        if k is not None:
            out[k] = v
        following = points[i + 1][0] if i + 1 < len(points) else grid_end + spacing
        stale = point(t + spacing) if spacing and following - t > 1.5 * spacing else None
        if stale is not None and out[stale] is None and stale != k:
            out[stale] = STALE
    return out


def grid_count(start: float, end: float, step: float) -> int:
    return math.floor((end - start) / step + 1e-9) + 1


class Exporter:
    """Reads raw samples and metric types from a running Prometheus's HTTP API."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _get(self, path: str, **params: Any) -> Any:
        try:
            response = requests.get(f"{self.url}{path}", params=params, timeout=self.timeout)
            response.raise_for_status()
            return response.json()["data"]
        except (requests.RequestException, ValueError, KeyError) as exc:
            raise ObsdrillError(f"Prometheus {self.url}{path} {params}: {exc}") from None

    def raw(self, selector: str, start: float, end: float) -> list[Series]:
        """Every sample Prometheus stored for ``selector`` in [start, end] (a range selector evaluated at end)."""
        span = max(1, math.ceil((end - start) * 1000))
        data = self._get("/api/v1/query", query=f"{selector}[{span}ms]", time=f"{end:.3f}")
        return [Series(tuple(sorted(item["metric"].items())),
                       tuple((float(t), float(v)) for t, v in item["values"] if float(t) >= start - 1e-3))
                for item in data.get("result", [])]

    def export(self, selectors: Iterable[str], start: float, end: float) -> list[Series]:
        """Raw samples of every series any of ``selectors`` matches, each series once."""
        found: dict[tuple[tuple[str, str], ...], Series] = {}
        for selector in sorted(selectors):
            for series in self.raw(selector, start, end):
                found.setdefault(series.labels, series)
        return [found[key] for key in sorted(found)]

    def metadata(self) -> dict[str, str]:
        """metric name -> type (counter, gauge, histogram, summary, ...)."""
        data = self._get("/api/v1/metadata")
        return {name: str(entries[0].get("type", "")) for name, entries in data.items() if entries}


def stretch_all(series: Sequence[Series], t0: float, factor: float, metadata: Mapping[str, str]) -> list[Series]:
    return [stretch(s, t0, factor, is_counter(s.name, metadata)) for s in series]
