"""Alertmanager API v2 facade."""

from __future__ import annotations

from typing import Any

import requests


class AlertmanagerClient:
    def __init__(self, url: str) -> None:
        self.url = url

    def alerts(self) -> list[dict[str, Any]]:
        response = requests.get(f"{self.url}/api/v2/alerts", timeout=10)
        response.raise_for_status()
        return list(response.json())

    def active_names(self) -> list[str]:
        return sorted({a["labels"].get("alertname", "?") for a in self.alerts()
                       if a.get("status", {}).get("state") == "active"})

    def status(self) -> dict[str, Any]:
        response = requests.get(f"{self.url}/api/v2/status", timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def ready(self) -> bool:
        try:
            return requests.get(f"{self.url}/-/ready", timeout=3).status_code == 200
        except requests.RequestException:
            return False
