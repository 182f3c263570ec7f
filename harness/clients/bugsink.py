"""Bugsink's REST API (``/api/canonical/0/``, bearer token): the project's issues (grouped exceptions), their
events, and each event's stored Sentry payload (environment, release, exception and stack trace, request,
contexts with the trace id)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.clients.http import session

API = "/api/canonical/0"


@dataclass(frozen=True)
class Issue:
    id: str
    friendly_id: str
    type: str  # the exception's type (Bugsink's calculated_type)
    value: str
    events: int  # digested_event_count
    releases: tuple[str, ...] = ()  # the releases its events came from (``<service>@<version>``)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Issue:
        return cls(str(raw["id"]), str(raw.get("friendly_id") or raw["id"]), str(raw.get("calculated_type") or ""),
                   str(raw.get("calculated_value") or ""), int(raw.get("digested_event_count") or 0),
                   tuple(str(r) for r in raw.get("events_at") or ()))

    def show(self) -> str:
        return f"{self.friendly_id} {self.type}: {self.value} ({self.events} events)"


class BugsinkClient:
    def __init__(self, url: str, token: str, project: int = 1) -> None:
        self.url = url.rstrip("/")
        self.project = project
        self.http = session("bugsink")
        self.http.headers["Authorization"] = f"Bearer {token}"

    def _get(self, path: str, **params: Any) -> Any:
        response = self.http.get(f"{self.url}{API}/{path}", params=params, timeout=10)
        response.raise_for_status()
        return response.json()

    def _pages(self, path: str, **params: Any) -> list[dict[str, Any]]:
        page = self._get(path, **params)
        rows = list(page.get("results", []))
        while page.get("next"):
            response = self.http.get(page["next"], timeout=10)
            response.raise_for_status()
            page = response.json()
            rows += page.get("results", [])
        return rows

    def issues(self, query: str | None = None) -> list[Issue]:
        """Every issue of the project (open or not), optionally a Bugsink search (``trace:<id>``, a title word)."""
        params: dict[str, Any] = {"project": self.project, "state": "all"}
        if query:
            params["q"] = query
        return [Issue.from_json(r) for r in self._pages("issues/", **params)]

    def clear(self) -> int:
        """Deletes every issue of the project (with its events); how many there were."""
        issues = self.issues()
        for issue in issues:
            self.http.delete(f"{self.url}{API}/issues/{issue.id}/", timeout=30).raise_for_status()
        return len(issues)

    def events(self, issue: str) -> list[dict[str, Any]]:
        """The events of one issue (without payload), newest first."""
        return self._pages("events/", issue=issue, order="desc")

    def event(self, event: str) -> dict[str, Any]:
        """One event with its stored Sentry payload in ``data``."""
        return dict(self._get(f"events/{event}/"))
