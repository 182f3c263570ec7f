"""Alertmanager facade: API v2, its own routing (``amtool config routes test`` run inside the Alertmanager
container, so the verdict is Alertmanager's), and what its integrations reported (notify errors in its log,
``alertmanager_notifications_failed_total`` by integration)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import requests
from prometheus_client.parser import text_string_to_metric_families

from harness.clients.http import session
from harness.errors import StackError

FAILED = "alertmanager_notifications_failed_total"


class AmContainer(Protocol):
    """What the client needs of the running container (an ObsContainer provides it)."""

    def exec(self, command: str | list[str]) -> Any: ...

    def logs_tail(self, lines: int = 40) -> str: ...


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_routes(output: str) -> tuple[str, ...]:
    """Receivers from ``amtool config routes test`` output (one line, comma-separated)."""
    lines = [line.strip() for line in output.strip().splitlines()
             if line.strip() and not line.startswith("Warning:")]  # stderr comes merged with stdout
    return tuple(r.strip() for r in lines[-1].split(",") if r.strip()) if lines else ()


class AlertmanagerClient:
    def __init__(self, url: str, container: AmContainer | None = None, config_file: str = "") -> None:
        self.url = url
        self.container = container
        self.config_file = config_file
        self.http = session("alertmanager")

    def alerts(self) -> list[dict[str, Any]]:
        response = self.http.get(f"{self.url}/api/v2/alerts", timeout=10)
        response.raise_for_status()
        return list(response.json())

    def active_names(self) -> list[str]:
        return sorted({a["labels"].get("alertname", "?") for a in self.alerts()
                       if a.get("status", {}).get("state") == "active"})

    def status(self) -> dict[str, Any]:
        response = self.http.get(f"{self.url}/api/v2/status", timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def version(self) -> str:
        """The version the running server reports (/api/v2/status versionInfo)."""
        return str(self.status()["versionInfo"]["version"])

    def ready(self) -> bool:
        try:
            return self.http.get(f"{self.url}/-/ready", timeout=3).status_code == 200
        except requests.RequestException:
            return False

    # Alertmanager's own routing -------------------------------------------------------------------
    def _amtool(self, *args: str) -> str:
        if self.container is None or not self.config_file:
            raise StackError("amtool: no Alertmanager container to run it in")
        result = self.container.exec(["amtool", *args, f"--config.file={self.config_file}"])
        code, output = result[0], result[1]
        text = output.decode(errors="replace") if isinstance(output, bytes) else str(output)
        if code != 0:
            raise StackError(f"amtool {' '.join(args[:3])} failed (exit {code}): {text.strip()[-300:]}")
        return text

    def routes_test(self, labels: Mapping[str, str]) -> tuple[str, ...]:
        """The receivers Alertmanager's routing tree sends an alert with ``labels`` to, in route order."""
        matchers = [f"{k}={_quoted(str(v))}" for k, v in sorted(labels.items())]
        return parse_routes(self._amtool("config", "routes", "test", *matchers))

    def routes_tree(self) -> str:
        return self._amtool("config", "routes", "show").rstrip()

    # what the integrations reported ----------------------------------------------------------------
    def failed_notifications(self) -> dict[str, float]:
        """integration -> alertmanager_notifications_failed_total (summed over reasons), non-zero only."""
        response = self.http.get(f"{self.url}/metrics", timeout=10)
        response.raise_for_status()
        out: dict[str, float] = {}
        for family in text_string_to_metric_families(response.text):
            for sample in family.samples:
                if sample.name == FAILED and sample.value:
                    key = sample.labels.get("integration", "?")
                    out[key] = out.get(key, 0.0) + sample.value
        return out

    def notify_errors(self, lines: int = 400) -> list[str]:
        """Alertmanager's own log lines about failed notifications (template errors, unreachable hosts)."""
        if self.container is None:
            return []
        tail = self.container.logs_tail(lines).splitlines()
        return [line for line in tail if ("level=error" in (low := line.lower()) or "level=warn" in low)
                and "otif" in line][-5:]  # 0.28 and later print the level in capitals (log/slog)
