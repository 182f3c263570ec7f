"""Dashboards without Grafana: every panel query of every shipped dashboard (grafana/dashboards/*.json of the
config under test) runs against the live Prometheus and must return data. A panel that shows "No data" on a
healthy, loaded platform is a defect of the dashboard (a label no metric carries, a ratio whose numerator has
no series until something fails), and the failure names the dashboard, the panel and its query.

Grafana's own macros are replaced the way Grafana would for a short range: ``$__rate_interval`` and
``$__interval`` by a minute, ``$__range`` by an hour; a dashboard variable (``$service``) by ``.*``."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.assertions.wait import eventually
from harness.bounds import Bound
from harness.clients.prometheus import PromClient
from harness.errors import ConfigError

MACROS = {"$__rate_interval": "1m", "${__rate_interval}": "1m", "$__interval": "1m", "${__interval}": "1m",
          "$__range": "1h", "${__range}": "1h"}
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    expr: str
    file: str

    def show(self) -> str:
        return f"{self.dashboard} / {self.panel}: {self.expr}"


def expand(expr: str) -> str:
    """The query as Prometheus gets it: Grafana's macros and the dashboard's variables replaced."""
    for macro, value in MACROS.items():
        expr = expr.replace(macro, value)
    return _VARIABLE.sub(".*", expr)


def _panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for panel in panels:
        out.append(panel)
        out += _panels(panel.get("panels") or [])  # a collapsed row holds its panels
    return out


def panel_queries(directory: Path) -> list[PanelQuery]:
    """Every Prometheus query of every panel of the dashboards in ``directory``, in file and panel order."""
    queries = []
    for path in sorted(directory.glob("*.json")):
        try:
            doc = json.loads(path.read_text())
        except ValueError as exc:
            raise ConfigError(f"{path}: not a dashboard JSON ({exc})") from exc
        title = str(doc.get("title") or path.stem)
        for panel in _panels(doc.get("panels") or []):
            for target in panel.get("targets") or []:
                if target.get("expr") and not target.get("hide"):
                    queries.append(PanelQuery(title, str(panel.get("title") or "untitled"),
                                              expand(str(target["expr"])), path.name))
    return queries


def _empty(prometheus: PromClient, queries: list[PanelQuery]) -> list[tuple[PanelQuery, str]]:
    """The queries that return nothing now, each with why (no series, or Prometheus's error)."""
    empty = []
    for query in queries:
        try:
            if not prometheus.api.custom_query(query.expr):
                empty.append((query, "no series"))
        except Exception as exc:  # a query Prometheus rejects shows "No data" too; say why
            empty.append((query, f"Prometheus refused it: {exc}"))
    return empty


def assert_dashboards_have_data(prometheus: PromClient, directory: Path, bound: Bound) -> list[str]:
    """Waits until every panel query returns data; the failure lists each empty one by dashboard and panel."""
    queries = panel_queries(directory)
    if not queries:
        raise ConfigError(f"{directory}: no dashboard with a Prometheus query to check")
    last: list[tuple[PanelQuery, str]] = []

    def all_have_data() -> bool:
        last[:] = _empty(prometheus, queries)
        return not last

    def near_miss() -> str:
        return "\n".join(f"  {q.file}: dashboard {q.dashboard!r}, panel {q.panel!r}: {why}: {q.expr}"
                         for q, why in last)

    eventually(all_have_data, bound, f"every one of {len(queries)} dashboard panel queries returns data", near_miss)
    return [q.show() for q in queries]
