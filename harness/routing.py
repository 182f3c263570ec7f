"""Where Alertmanager will send an alert, told by Alertmanager itself (amtool in its container) before any
fault, and what its integrations reported; both go into every routing or delivery failure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from harness.clients.alertmanager import AlertmanagerClient
from harness.config import AlertRule
from harness.errors import ObsdrillError

if TYPE_CHECKING:
    pass

Labels = tuple[tuple[str, str], ...]


def alert_labels(name: str, rule: AlertRule | None, expected: Labels, external: Labels) -> dict[str, str]:
    """The labels an alert reaches Alertmanager with, as far as they are known before it fires: external
    labels, the rule's static labels (templated ones left out), the expected labels, the alert name."""
    static = {k: v for k, v in (rule.labels if rule else ()) if "{{" not in v}
    return {**dict(external), **static, **dict(expected), "alertname": name}


def show(labels: Mapping[str, str]) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


class Routing:
    def __init__(self, am: AlertmanagerClient) -> None:
        self.am = am
        self._cache: dict[tuple[tuple[str, str], ...], tuple[str, ...] | None] = {}
        self.error = ""

    def receivers(self, labels: Mapping[str, str]) -> tuple[str, ...] | None:
        """Alertmanager's receivers for ``labels``; None when amtool cannot answer (the reason in ``error``)."""
        key = tuple(sorted((str(k), str(v)) for k, v in labels.items()))
        if key not in self._cache:
            try:
                self._cache[key] = self.am.routes_test(dict(key))
            except (ObsdrillError, OSError, ValueError) as exc:
                self.error = str(exc)
                self._cache[key] = None
        return self._cache[key]

    def explain(self, labels: Mapping[str, str]) -> str:
        routes = self.receivers(labels)
        said = ", ".join(repr(r) for r in routes) if routes is not None else f"unknown ({self.error})"
        return f"Alertmanager's routing (amtool config routes test) sends {show(labels)} to {said}"

    def integrations_text(self) -> str:
        """Failed notifications by integration and Alertmanager's own error lines ('' when none)."""
        try:
            failed = self.am.failed_notifications()
        except Exception as exc:  # diagnostics only: never hide the failure they explain
            return f"  (alertmanager_notifications_failed_total unavailable: {exc})\n"
        lines = self.am.notify_errors()
        if not failed and not lines:
            return ""
        counts = ", ".join(f"{k}={v:g}" for k, v in sorted(failed.items())) or "none"
        logged = "".join(f"\n    {line[-400:]}" for line in lines)
        return f"  alertmanager_notifications_failed_total by integration: {counts}\n" + (
            f"  Alertmanager log:{logged}\n" if lines else "")


    def suppression_text(self, labels: Mapping[str, str]) -> str:
        """Why Alertmanager holds alerts matching ``labels`` back ('' when it holds none suppressed): the
        alerts that inhibit each (by name and labels) and the silences that mute it."""
        try:
            alerts = self.am.alerts()
        except Exception as exc:  # diagnostics only
            return f"  (Alertmanager's alerts unavailable: {exc})\n"
        by_fingerprint = {a.get("fingerprint"): a.get("labels", {}) for a in alerts}
        out = []
        for alert in alerts:
            status, mine = alert.get("status", {}), alert.get("labels", {})
            if status.get("state") != "suppressed" or any(mine.get(k) != v for k, v in labels.items()):
                continue
            by = [show(by_fingerprint.get(f, {"fingerprint": f})) for f in status.get("inhibitedBy") or []]
            why = [f"inhibited by {', '.join(by)} (an inhibit_rules entry matches them as source)"] if by else []
            why += [f"silenced by {', '.join(status.get('silencedBy'))}"] if status.get("silencedBy") else []
            out.append(f"  Alertmanager holds {show(mine)} suppressed: {'; '.join(why) or 'suppressed'}")
        return "".join(line + "\n" for line in out)


def names(receivers: Sequence[str]) -> str:
    """receiver 'a' / receivers 'a', 'b'"""
    return ("receiver " if len(receivers) == 1 else "receivers ") + ", ".join(repr(r) for r in receivers)
