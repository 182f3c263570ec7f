"""The fault admin API of every service:
GET /admin/faults, POST|PUT /admin/faults/<name> {spec}, DELETE /admin/faults/<name>, DELETE /admin/faults."""

from __future__ import annotations

import json
from typing import Any

from synthetic_services.faults import FaultError, FaultState
from synthetic_services.server import Request, Response


def _spec(request: Request) -> Any:
    if not request.body.strip():
        return {}
    try:
        return json.loads(request.body)
    except ValueError as exc:
        raise FaultError(f"spec: invalid JSON ({exc})") from exc


def handle(service: str, faults: FaultState, request: Request) -> Response:
    parts = request.path.strip("/").split("/")  # admin, faults[, name]
    if parts[:2] != ["admin", "faults"] or len(parts) > 3:
        return Response(404, {"error": f"no admin endpoint {request.path}; use /admin/faults[/<name>]"})
    name = parts[2] if len(parts) == 3 and parts[2] else None
    try:
        if request.method == "GET":
            state = faults.describe()
        elif request.method in ("PUT", "POST") and name:
            state = faults.set(name, _spec(request))
        elif request.method == "DELETE":
            state = faults.clear(name)
        else:
            return Response(405, {"error": f"{request.method} {request.path} is not allowed"})
    except FaultError as exc:
        return Response(400, {"error": str(exc), "offered": faults.offered})
    except Exception as exc:  # applying the fault failed (e.g. no process could be started): say so, stay up
        faults.ctx.log.exception(f"fault {name} could not be applied", extra={"event": "error"})
        return Response(500, {"error": f"{name}: {type(exc).__name__}: {exc}"})
    return Response(200, {"service": service, "faults": state, "offered": faults.offered})
