"""Admin client of one synthetic service or the GPU simulator: switch faults on and off, read their state."""

from __future__ import annotations

from typing import Any

from harness.clients.http import session
from harness.errors import ObsdrillError


class ServiceClient:
    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url
        self.http = session(name)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.http.request(method, f"{self.url}{path}", json=body, timeout=10)
        if response.status_code >= 400:
            raise ObsdrillError(f"service {self.name}: {method} {path} answered {response.status_code}: "
                                f"{response.text[:300]}")
        return dict(response.json())

    def set_fault(self, name: str, spec: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", f"/admin/faults/{name}", spec)

    def clear_fault(self, name: str | None = None) -> dict[str, Any]:
        return self._call("DELETE", "/admin/faults" + (f"/{name}" if name else ""))

    def faults(self) -> dict[str, Any]:
        state = self._call("GET", "/admin/faults")
        return dict(state.get("faults", state))
