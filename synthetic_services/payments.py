"""payments: the payment processor. POST /charge {amount, currency, user_id, purpose}: 200 success, 402 when
declined (payment_failures), counted in payment_processing_total{status}."""

from __future__ import annotations

import random
import time
import uuid

from synthetic_services.app import ServiceApp
from synthetic_services.faults.business import PaymentFailures
from synthetic_services.metrics import PaymentMetrics
from synthetic_services.server import HttpError, Request, Response

PROCESSING_S = (0.005, 0.02)


def install(app: ServiceApp) -> None:
    metrics = PaymentMetrics(app.registry)
    app.faults.offer("payment_failures", PaymentFailures)

    def record(status: str, amount: float, reason: str | None, level: int) -> None:
        metrics.payments.labels(status).inc()
        app.log.log(level, f"payment {status}", extra={
            "event": "payment", "amount": amount, "status": status, "reason": reason})

    @app.route("POST", "/charge")
    def charge(request: Request) -> Response:
        body = request.json()
        amount = body.get("amount", 0)
        if not isinstance(amount, int | float) or isinstance(amount, bool) or amount < 0:
            record("failed", 0.0, "invalid_amount", 30)
            raise HttpError(400, f"amount: expected a number >= 0, got {amount!r}")
        time.sleep(random.uniform(*PROCESSING_S))
        fault = app.faults.get("payment_failures", PaymentFailures)
        reason = fault.decline() if fault is not None else None
        if reason is not None:
            record("failed", float(amount), reason, 30)
            return Response(402, {"status": "declined", "reason": reason, "amount": amount})
        record("success", float(amount), None, 20)
        return Response(200, {"status": "success", "payment_id": f"pay_{uuid.uuid4().hex[:16]}",
                              "amount": amount, "currency": body.get("currency", "EUR")})
