"""The dashboards check (harness/assertions/dashboards.py): every panel query of every shipped dashboard is
found, Grafana's macros expanded, and an empty panel fails naming its dashboard and panel."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from harness.assertions.dashboards import assert_dashboards_have_data, expand, panel_queries
from harness.bounds import Bound
from harness.errors import ConfigError, ExpectationFailed
from harness.settings import project_root

SHIPPED = project_root() / "stack" / "grafana" / "dashboards"


class FakeApi:
    def __init__(self, empty: set[str]) -> None:
        self.empty = empty
        self.asked: list[str] = []

    def custom_query(self, query: str) -> list[dict[str, Any]]:
        self.asked.append(query)
        if "bad(" in query:
            raise ValueError("parse error: unknown function bad")
        return [] if query in self.empty else [{"metric": {}, "value": [0, "1"]}]


class FakeProm:
    def __init__(self, empty: set[str]) -> None:
        self.api = FakeApi(empty)


def test_every_panel_of_every_shipped_dashboard_is_found() -> None:
    queries = panel_queries(SHIPPED)
    titles = {q.dashboard for q in queries}
    assert titles == {"Recoloca.ai - Application Overview", "Recoloca.ai - Business KPIs",
                      "Recoloca.ai - Resource Utilization", "Recoloca.ai - AI Generation Pipeline & GPUs",
                      "Recoloca.ai - Frontend (RUM)"}
    overview = {q.panel: q.expr for q in queries if q.dashboard.endswith("Overview")}
    assert overview["Active Users"] == "sum(frontend_active_users)"  # the seed's user_id count matched nothing
    assert sum(1 for q in queries if q.file == "frontend-rum.json") == 10


def test_grafana_macros_and_variables_are_expanded() -> None:
    assert expand("rate(x{service=~\"$service\"}[$__rate_interval])") == 'rate(x{service=~".*"}[1m])'
    assert expand("increase(x[${__range}])") == "increase(x[1h])"


def test_an_empty_panel_fails_naming_dashboard_and_panel(tmp_path: Path) -> None:
    doc = {"title": "Team board", "panels": [
        {"title": "Requests", "targets": [{"expr": "sum(rate(up[5m]))"}]},
        {"type": "row", "title": "Errors", "panels": [
            {"title": "5xx", "targets": [{"expr": "sum(rate(http_requests_total{status_code=~\"5..\"}[5m]))"}]},
            {"title": "Broken", "targets": [{"expr": "bad(up)"}, {"expr": "hidden", "hide": True}]}]}]}
    (tmp_path / "team.json").write_text(json.dumps(doc))
    empty = {'sum(rate(http_requests_total{status_code=~"5.."}[5m]))'}
    with pytest.raises(ExpectationFailed) as failure:
        assert_dashboards_have_data(FakeProm(empty), tmp_path, Bound.of(0.2))  # type: ignore[arg-type]
    text = str(failure.value)
    assert "every one of 3 dashboard panel queries returns data" in text
    assert "team.json: dashboard 'Team board', panel '5xx': no series" in text
    assert "panel 'Broken': Prometheus refused it: parse error" in text and "'Requests'" not in text
    doc["panels"][1]["panels"].pop()  # type: ignore[index, attr-defined]
    (tmp_path / "team.json").write_text(json.dumps(doc))
    shown = assert_dashboards_have_data(FakeProm(set()), tmp_path, Bound.of(1))  # type: ignore[arg-type]
    assert shown == ["Team board / Requests: sum(rate(up[5m]))",
                     'Team board / 5xx: sum(rate(http_requests_total{status_code=~"5.."}[5m]))']
    with pytest.raises(ConfigError, match="no dashboard with a Prometheus query"):
        assert_dashboards_have_data(FakeProm(set()), tmp_path / "none", Bound.of(1))  # type: ignore[arg-type]
