"""Prometheus facade: PromQL via prometheus-api-client, alerts/rules/targets via the HTTP API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from prometheus_api_client import PrometheusConnect


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float

    def show(self) -> str:
        name = self.labels.get("__name__", "")
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(self.labels.items()) if k != "__name__")
        return f"{name}{{{inner}}} = {self.value:g}"


@dataclass(frozen=True)
class PromAlert:
    name: str
    state: str  # pending or firing
    labels: dict[str, str]
    annotations: dict[str, str]
    active_at: str
    value: str


class PromClient:
    def __init__(self, url: str) -> None:
        self.url = url
        self.api = PrometheusConnect(url=url, disable_ssl=True)

    def query(self, expr: str) -> list[Sample]:
        result = self.api.custom_query(expr)
        return [Sample(dict(item.get("metric", {})), float(item["value"][1])) for item in result]

    def _get(self, path: str, **params: Any) -> Any:
        response = requests.get(f"{self.url}{path}", params=params, timeout=10)
        response.raise_for_status()
        return response.json()["data"]

    def alerts(self) -> list[PromAlert]:
        alerts = self._get("/api/v1/alerts")["alerts"]
        return [PromAlert(a["labels"].get("alertname", "?"), a["state"], a["labels"], a.get("annotations", {}),
                          a.get("activeAt", ""), str(a.get("value", ""))) for a in alerts]

    def rule_states(self) -> dict[str, str]:
        """alertname -> inactive/pending/firing, as the rule manager sees it now."""
        states = {}
        for group in self._get("/api/v1/rules", type="alert")["groups"]:
            for rule in group["rules"]:
                states[rule["name"]] = rule.get("state", "unknown")
        return states

    def targets(self) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/targets")["activeTargets"])

    def ready(self) -> bool:
        return requests.get(f"{self.url}/-/ready", timeout=3).status_code == 200
