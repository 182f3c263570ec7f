"""Grafana HTTP API facade (requests, basic auth as the admin user): health, data sources, dashboards by uid,
dashboard search. Only reads; provisioning is what puts things there."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from harness.clients.http import session
from harness.errors import ObsdrillError


@dataclass(frozen=True)
class Datasource:
    uid: str
    name: str
    type: str
    url: str
    is_default: bool
    json_data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Datasource:
        return cls(uid=str(data.get("uid", "")), name=str(data.get("name", "")), type=str(data.get("type", "")),
                   url=str(data.get("url", "")), is_default=bool(data.get("isDefault", False)),
                   json_data=dict(data.get("jsonData") or {}))


@dataclass(frozen=True)
class Panel:
    id: int
    title: str
    type: str
    exprs: tuple[str, ...]
    datasource_uid: str | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Panel:
        source = data.get("datasource")
        uid = source.get("uid") if isinstance(source, dict) else None
        exprs = tuple(str(t["expr"]) for t in data.get("targets") or [] if "expr" in t)
        return cls(id=int(data.get("id", 0)), title=str(data.get("title", "")), type=str(data.get("type", "")),
                   exprs=exprs, datasource_uid=None if uid is None else str(uid))


def flatten_panels(panels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Panels in dashboard order, with the panels of (collapsed) rows in place of the rows."""
    flat: list[dict[str, Any]] = []
    for panel in panels:
        if panel.get("type") == "row":
            flat.extend(flatten_panels(panel.get("panels") or []))
        else:
            flat.append(panel)
    return flat


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    tags: tuple[str, ...]
    panels: tuple[Panel, ...]
    provisioned: bool
    folder: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Dashboard:
        """From GET /api/dashboards/uid/<uid>: ``{"dashboard": <model>, "meta": {...}}``."""
        model, meta = data.get("dashboard") or {}, data.get("meta") or {}
        return cls(uid=str(model.get("uid", "")), title=str(model.get("title", "")),
                   tags=tuple(str(t) for t in model.get("tags") or []),
                   panels=tuple(Panel.from_json(p) for p in flatten_panels(model.get("panels") or [])),
                   provisioned=bool(meta.get("provisioned", False)), folder=str(meta.get("folderTitle", "")))

    def panel(self, title: str) -> Panel | None:
        return next((p for p in self.panels if p.title == title), None)


@dataclass(frozen=True)
class SearchHit:
    uid: str
    title: str
    type: str
    folder: str
    tags: tuple[str, ...]
    url: str

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SearchHit:
        return cls(uid=str(data.get("uid", "")), title=str(data.get("title", "")), type=str(data.get("type", "")),
                   folder=str(data.get("folderTitle", "")), tags=tuple(str(t) for t in data.get("tags") or []),
                   url=str(data.get("url", "")))


class GrafanaClient:
    def __init__(self, url: str, password: str, user: str = "admin", timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.auth = (user, password)
        self.timeout = timeout
        self.http = session("grafana")

    def _get(self, path: str, **params: Any) -> requests.Response:
        return self.http.get(f"{self.url}{path}", params=params or None, auth=self.auth, timeout=self.timeout)

    def _json(self, path: str, **params: Any) -> Any:
        response = self._get(path, **params)
        if response.status_code >= 400:
            raise ObsdrillError(f"grafana: GET {path} answered {response.status_code}: {response.text[:300]}")
        return response.json()

    def health(self) -> dict[str, Any]:
        """``/api/health``: ``{"database": "ok", "version": ..., "commit": ...}``."""
        return dict(self._json("/api/health"))

    def ready(self) -> bool:
        try:
            return self.health().get("database") == "ok"
        except (requests.RequestException, ObsdrillError, ValueError):
            return False

    def datasources(self) -> list[Datasource]:
        return [Datasource.from_json(d) for d in self._json("/api/datasources")]

    def datasource(self, uid: str) -> Datasource | None:
        response = self._get(f"/api/datasources/uid/{uid}")
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise ObsdrillError(f"grafana: data source {uid}: {response.status_code}: {response.text[:300]}")
        return Datasource.from_json(response.json())

    def dashboard(self, uid: str) -> Dashboard | None:
        """The dashboard with this uid, or None while Grafana does not have it (not provisioned yet)."""
        response = self._get(f"/api/dashboards/uid/{uid}")
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise ObsdrillError(f"grafana: dashboard {uid}: {response.status_code}: {response.text[:300]}")
        return Dashboard.from_json(response.json())

    def search(self, query: str = "", tag: str | None = None) -> list[SearchHit]:
        """Dashboards whose title contains ``query`` (all when empty), optionally with ``tag``."""
        params: dict[str, Any] = {"type": "dash-db", "query": query}
        if tag:
            params["tag"] = tag
        return [SearchHit.from_json(h) for h in self._json("/api/search", **params)]
