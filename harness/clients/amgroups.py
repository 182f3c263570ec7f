"""Stands in for the harness sink where no harness endpoint receives the notifications (``--stack external``):
what Alertmanager's own API says each receiver's alert groups hold (``/api/v2/alerts/groups``). An alert that
appears in a receiver's group is recorded as a ``tap`` to that receiver (firing), one that leaves it as a
resolved one. This judges routing (which receivers an alert went to) as Alertmanager decided it; it cannot
see what an integration delivered (message content, email, Slack, PagerDuty), so those kinds stay empty."""

from __future__ import annotations

import time
from typing import Any

import requests

from harness.clients.sink import Notification, SinkClient

Key = tuple[str, str]  # (receiver, alert fingerprint)


def _body(receiver: str, group: dict[str, Any], alert: dict[str, Any], status: str) -> dict[str, Any]:
    """A webhook-shaped body, so the routing verdict reads it like a tap delivery."""
    one = {"status": status, "labels": dict(alert.get("labels") or {}),
           "annotations": dict(alert.get("annotations") or {}), "fingerprint": alert.get("fingerprint", "")}
    return {"status": status, "receiver": receiver, "groupLabels": dict(group.get("labels") or {}),
            "groupKey": f"{receiver}:{sorted((group.get('labels') or {}).items())}", "alerts": [one],
            "source": "alertmanager /api/v2/alerts/groups"}


class AlertGroupsSink(SinkClient):
    """The SinkClient interface over Alertmanager's alert groups (polled on every read)."""

    def __init__(self, alertmanager_url: str) -> None:
        super().__init__(alertmanager_url)
        self._active: dict[Key, tuple[dict[str, Any], dict[str, Any]]] = {}  # key -> (group, alert)
        self._records: list[Notification] = []

    def groups(self) -> list[dict[str, Any]]:
        response = requests.get(f"{self.url}/api/v2/alerts/groups", params={"active": "true", "silenced": "false",
                                                                            "inhibited": "false"}, timeout=10)
        response.raise_for_status()
        return list(response.json())

    def observe(self) -> None:
        """Record the alerts that entered or left a receiver's groups since the last look."""
        now = time.time()
        current: dict[Key, tuple[dict[str, Any], dict[str, Any]]] = {}
        for group in self.groups():
            receiver = str((group.get("receiver") or {}).get("name", ""))
            for alert in group.get("alerts") or []:
                if (alert.get("status") or {}).get("state", "active") == "active":
                    current[(receiver, str(alert.get("fingerprint", "")))] = (group, alert)
        for key in current.keys() - self._active.keys():
            self._records.append(Notification("tap", key[0], now, _body(key[0], *current[key], "firing")))
        for key in self._active.keys() - current.keys():
            self._records.append(Notification("tap", key[0], now, _body(key[0], *self._active[key], "resolved")))
        self._active = current

    def all(self) -> list[Notification]:
        self.observe()
        return list(self._records)

    def raw(self) -> list[dict[str, Any]]:
        return [{"kind": n.kind, "receiver": n.receiver, "received_at": n.received_at, "body": n.body}
                for n in self.all()]

    def taps(self) -> list[Notification]:
        return self.all()

    def of_kind(self, kind: str, receiver: str | None = None, since: float = 0.0) -> list[Notification]:
        return [n for n in self.all() if n.kind == kind and n.received_at >= since
                and (receiver is None or n.receiver == receiver)]

    def clear(self) -> None:
        """Forget what was recorded; alerts still in a group are not recorded again (Alertmanager would not
        notify them again before their repeat_interval either)."""
        self.observe()
        self._records.clear()
