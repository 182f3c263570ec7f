"""gateway: the public entry; forwards every /api/* call to backend (same method, path, query, body).
Known backend routes keep their own ``endpoint`` label, anything else is ``/api/*``."""

from __future__ import annotations

from synthetic_services.app import ANY, ServiceApp
from synthetic_services.backend import API_ROUTES
from synthetic_services.server import Request, Response


def install(app: ServiceApp) -> None:
    def forward(request: Request) -> Response:
        answer = app.downstream.call("backend", request.method, request.path, request.body, query=request.query,
                                     content_type=request.headers.get("content-type", "application/json"))
        return Response(answer.status, answer.body, answer.content_type or "application/json")

    for method, path in API_ROUTES:
        app.route(method, path)(forward)
    app.route(ANY, "/api/*")(forward)
