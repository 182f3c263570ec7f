"""Client of the harness's receiver endpoints: what Alertmanager delivered, by receiver and kind."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.clients.http import session


@dataclass(frozen=True)
class Notification:
    kind: str  # tap, slack, pagerduty, webhook, email
    receiver: str
    received_at: float
    body: Any
    subject: str = ""
    recipients: tuple[str, ...] = ()  # email: the SMTP envelope's recipients

    @property
    def status(self) -> str:
        return str(self.body.get("status", "")) if isinstance(self.body, dict) else ""

    @property
    def group_key(self) -> str:
        """Alertmanager's groupKey of a webhook/tap delivery ('' for other kinds)."""
        return str(self.body.get("groupKey", "")) if isinstance(self.body, dict) else ""

    @property
    def group_labels(self) -> dict[str, str]:
        """The labels Alertmanager grouped this notification by (its route's group_by values)."""
        labels = self.body.get("groupLabels") if isinstance(self.body, dict) else None
        return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}

    def alertnames(self) -> list[str]:
        return [a.get("labels", {}).get("alertname", "?") for a in self.alerts()]

    def alerts(self) -> list[dict[str, Any]]:
        return list(self.body.get("alerts", [])) if isinstance(self.body, dict) else []

    def firing_alerts(self) -> list[dict[str, Any]]:
        return [a for a in self.alerts() if a.get("status", self.status) == "firing"]

    def slack_title(self) -> str:
        attachments = self.body.get("attachments") if isinstance(self.body, dict) else None
        return str(attachments[0].get("title", "")) if attachments else ""

    def show(self) -> str:
        if self.kind == "email":
            return f"email to {','.join(self.recipients) or '?'} subject {self.subject!r}"
        if self.kind == "slack" and isinstance(self.body, dict):
            return (f"slack->{self.receiver} channel {self.body.get('channel', '')!r} "
                    f"title {self.slack_title()!r}")
        what = ",".join(self.alertnames()) or self.subject
        return f"{self.kind}->{self.receiver or '(smtp)'} [{self.status or '-'}] {what}"


def _notification(r: dict[str, Any]) -> Notification:
    return Notification(str(r["kind"]), str(r.get("receiver", "")), float(r["received_at"]), r.get("body"),
                        str(r.get("subject", "")), tuple(str(x) for x in r.get("rcpt_tos") or ()))


class SinkClient:
    def __init__(self, url: str) -> None:
        self.url = url
        self.http = session("sink")

    def all(self) -> list[Notification]:
        return [_notification(r) for r in self.raw()]

    def raw(self) -> list[dict[str, Any]]:
        response = self.http.get(f"{self.url}/records", timeout=10)
        response.raise_for_status()
        return list(response.json())

    def taps(self) -> list[Notification]:
        """The recording webhook's deliveries: one per notification Alertmanager sent to a receiver."""
        return [n for n in self.all() if n.kind == "tap"]

    def of_kind(self, kind: str, receiver: str | None = None, since: float = 0.0) -> list[Notification]:
        return [n for n in self.all() if n.kind == kind and n.received_at >= since
                and (receiver is None or n.receiver == receiver)]

    def clear(self) -> None:
        self.http.delete(f"{self.url}/records", timeout=10).raise_for_status()

    def analytics(self) -> list[dict[str, Any]]:
        """The client analytics events the sink's GA4 and Mixpanel endpoints accepted (provider, event, ...)."""
        response = self.http.get(f"{self.url}/analytics", timeout=10)
        response.raise_for_status()
        return list(response.json())

    # a failing receiver (stack fault receiver_errors) -------------------------------------------------
    def fail(self, status: int) -> dict[str, Any]:
        """Every HTTP delivery answers ``status`` (5xx) until :meth:`stop_failing`; counted, not recorded."""
        response = self.http.put(f"{self.url}/admin/fail", json={"status": status}, timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def stop_failing(self) -> dict[str, Any]:
        """The receiver answers again; the state says how many deliveries it refused."""
        response = self.http.delete(f"{self.url}/admin/fail", timeout=10)
        response.raise_for_status()
        return dict(response.json())
