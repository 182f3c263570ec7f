"""Prometheus facade: PromQL via prometheus-api-client, alerts/rules/targets via the HTTP API."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from prometheus_api_client import PrometheusConnect

from harness.clients.http import retry_policy, session


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

    @property
    def active_since(self) -> float | None:
        """``active_at`` (when the rule manager saw it pending first) as unix seconds; None if unreadable."""
        try:
            return datetime.fromisoformat(self.active_at.replace("Z", "+00:00")).timestamp()
        except ValueError:
            return None


@dataclass(frozen=True)
class RuleStatus:
    """One alerting rule as the rule manager reports it (/api/v1/rules): state, health, last error, and
    the alerts it holds now (one per label set)."""

    name: str
    group: str
    state: str  # inactive, pending or firing
    health: str  # ok, err or unknown
    last_error: str
    alerts: tuple[PromAlert, ...] = ()

    @property
    def failing(self) -> bool:
        return self.health == "err"


def _alert(a: dict[str, Any], name: str = "?") -> PromAlert:
    labels = dict(a.get("labels", {}))
    return PromAlert(labels.get("alertname", name), str(a.get("state", "")), labels,
                     dict(a.get("annotations", {})), str(a.get("activeAt", "")), str(a.get("value", "")))


class PromClient:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = session("prometheus")
        self.api = PrometheusConnect(url=url, disable_ssl=True, session=self.http, retry=retry_policy(),
                                     timeout=10)

    def query(self, expr: str) -> list[Sample]:
        result = self.api.custom_query(expr)
        return [Sample(dict(item.get("metric", {})), float(item["value"][1])) for item in result]

    def _get(self, path: str, **params: Any) -> Any:
        response = self.http.get(f"{self.url}{path}", params=params, timeout=10)
        response.raise_for_status()
        return response.json()["data"]

    def query_range(self, expr: str, seconds: float, step: float) -> list[tuple[dict[str, str], list[float]]]:
        """(labels, values oldest first) of every series of ``expr`` over the last ``seconds``."""
        end = time.time()
        data = self._get("/api/v1/query_range", query=expr, start=end - seconds, end=end, step=max(step, 0.1))
        return [(dict(item.get("metric", {})), [float(v) for _, v in item.get("values", [])])
                for item in data.get("result", [])]

    def alerts(self) -> list[PromAlert]:
        return [_alert(a) for a in self._get("/api/v1/alerts")["alerts"]]

    def rules(self) -> list[RuleStatus]:
        """Every alerting rule with its state, health, lastError and current alerts."""
        out = []
        for group in self._get("/api/v1/rules", type="alert")["groups"]:
            for rule in group["rules"]:
                name = str(rule["name"])
                out.append(RuleStatus(name, str(group.get("name", "")), str(rule.get("state", "unknown")),
                                      str(rule.get("health", "unknown")), str(rule.get("lastError") or ""),
                                      tuple(_alert(a, name) for a in rule.get("alerts") or [])))
        return out

    def rule_states(self) -> dict[str, str]:
        """alertname -> inactive/pending/firing, as the rule manager sees it now."""
        return {rule.name: rule.state for rule in self.rules()}

    def rule_errors(self) -> dict[str, str]:
        """alertname -> lastError of every rule whose last evaluation failed."""
        return {rule.name: rule.last_error for rule in self.rules() if rule.failing}

    def forget(self) -> bool:
        """Delete every stored sample (the admin API), so windows start empty: an SLO's 6 h window (36 min at
        0.1) would otherwise carry an earlier scenario's errors into the next one. False when this Prometheus
        has no admin API (an external stack): its history stays."""
        response = self.http.post(f"{self.url}/api/v1/admin/tsdb/delete_series",
                                  params={"match[]": '{__name__=~".+"}'}, timeout=30)
        return response.status_code == 204

    def targets(self) -> list[dict[str, Any]]:
        return list(self._get("/api/v1/targets")["activeTargets"])

    def version(self) -> str:
        """The version the running server reports (/api/v1/status/buildinfo)."""
        return str(self._get("/api/v1/status/buildinfo")["version"])

    def ready(self) -> bool:
        try:
            return self.http.get(f"{self.url}/-/ready", timeout=3).status_code == 200
        except requests.RequestException:
            return False
