"""payments: the payment processor. POST /charge {amount, currency, user_id, purpose}: 200 success, 402 when
declined (payment_failures), counted in payment_processing_total{status}. Every charge is written to the
ledger in PostgreSQL (DATABASE_URL; a pool of 10); a ledger that cannot be written fails the charge (503,
reason ledger_unavailable)."""

from __future__ import annotations

import os
import random
import time
import uuid

from synthetic_services.app import ServiceApp
from synthetic_services.database import database
from synthetic_services.faults.business import PaymentFailures
from synthetic_services.metrics import PaymentMetrics
from synthetic_services.server import HttpError, Request, Response

PROCESSING_S = (0.005, 0.02)
LEDGER_POOL = 10
SCHEMA = ("CREATE TABLE IF NOT EXISTS charges (id bigserial PRIMARY KEY, payment_id text, user_id text, "
          "amount numeric, currency text, status text, reason text, created timestamptz DEFAULT now())",)


def install(app: ServiceApp) -> None:
    metrics = PaymentMetrics(app.registry)
    app.faults.offer("payment_failures", PaymentFailures)
    ledger = database(os.environ, SCHEMA, "payments", LEDGER_POOL)
    app.on_close.append(ledger.close)

    def write(payment_id: str, body: dict[str, object], amount: float, status: str, reason: str | None) -> None:
        with ledger.connection():
            ledger.execute("INSERT INTO charges (payment_id, user_id, amount, currency, status, reason) "
                           "VALUES (%s, %s, %s, %s, %s, %s)",
                           (payment_id, str(body.get("user_id") or ""), amount, str(body.get("currency", "EUR")),
                            status, reason))

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
        payment_id = f"pay_{uuid.uuid4().hex[:16]}"
        try:
            write(payment_id, body, float(amount), "declined" if reason else "success", reason)
        except HttpError as exc:
            record("failed", float(amount), "ledger_unavailable", 40)
            return Response(503, {"status": "failed", "reason": "ledger_unavailable", "error": exc.message})
        if reason is not None:
            record("failed", float(amount), reason, 30)
            return Response(402, {"status": "declined", "reason": reason, "amount": amount})
        record("success", float(amount), None, 20)
        return Response(200, {"status": "success", "payment_id": payment_id,
                              "amount": amount, "currency": body.get("currency", "EUR")})
