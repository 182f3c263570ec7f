"""Client of the harness's receiver endpoints: what Alertmanager delivered, by receiver and kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests


@dataclass(frozen=True)
class Notification:
    kind: str  # tap, slack, pagerduty, webhook, email
    receiver: str
    received_at: float
    body: Any
    subject: str = ""

    @property
    def status(self) -> str:
        return str(self.body.get("status", "")) if isinstance(self.body, dict) else ""

    def alertnames(self) -> list[str]:
        if not isinstance(self.body, dict):
            return []
        return [a.get("labels", {}).get("alertname", "?") for a in self.body.get("alerts", [])]

    def alerts(self) -> list[dict[str, Any]]:
        return list(self.body.get("alerts", [])) if isinstance(self.body, dict) else []

    def show(self) -> str:
        what = ",".join(self.alertnames()) or self.subject
        return f"{self.kind}->{self.receiver or '(smtp)'} [{self.status or '-'}] {what}"


class SinkClient:
    def __init__(self, url: str) -> None:
        self.url = url

    def all(self) -> list[Notification]:
        response = requests.get(f"{self.url}/records", timeout=10)
        response.raise_for_status()
        return [Notification(r["kind"], r.get("receiver", ""), r["received_at"], r.get("body"),
                             r.get("subject", "")) for r in response.json()]

    def raw(self) -> list[dict[str, Any]]:
        response = requests.get(f"{self.url}/records", timeout=10)
        response.raise_for_status()
        return list(response.json())

    def taps(self) -> list[Notification]:
        """The recording webhook's deliveries: one per notification Alertmanager sent to a receiver."""
        return [n for n in self.all() if n.kind == "tap"]

    def clear(self) -> None:
        requests.delete(f"{self.url}/records", timeout=10).raise_for_status()
