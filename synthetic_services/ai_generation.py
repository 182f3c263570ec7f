"""ai-generation: AI generation on (simulated) GPUs. POST /generate {model, prompt}: the model runs on a GPU,
then the user is charged credits at payments. A failed model invocation (ai_failures) answers 200
{"status": "failed"} and is not charged; a declined charge passes 402 on."""

from __future__ import annotations

import itertools
import random
import time

from synthetic_services import labels
from synthetic_services.app import ServiceApp
from synthetic_services.faults.business import AiFailures
from synthetic_services.metrics import AiMetrics
from synthetic_services.server import Request, Response

GPUS = 2
INFERENCE_S = (0.02, 0.08)
DEFAULT_MODEL = "cv-writer"


class AiGeneration:
    def __init__(self, app: ServiceApp) -> None:
        self.app = app
        self.metrics = AiMetrics(app.registry)
        self.gpus = itertools.cycle(range(GPUS))
        app.faults.offer("ai_failures", AiFailures)
        app.route("POST", "/generate")(self.generate)

    def invoke(self, model: str, gpu: int) -> bool:
        """Runs the model on ``gpu``; True on success."""
        with self.app.tracer.start_as_current_span("ai_model_invocation",
                                                   attributes={"ai.model": model, "gpu.index": gpu}) as span:
            started = time.perf_counter()
            time.sleep(random.uniform(*INFERENCE_S))
            fault = self.app.faults.get("ai_failures", AiFailures)
            status = "failed" if fault is not None and fault.fails() else "success"
            elapsed = time.perf_counter() - started
            span.set_attribute("ai.status", status)
            self.metrics.generations.labels(model, status).inc()
            self.metrics.duration.labels(model).observe(elapsed)
            failure = {"error_type": "ModelInvocationError", "error_message": f"{model} failed on gpu {gpu}"}
            self.app.log.log(20 if status == "success" else 40, f"model invocation {status}", extra={
                "event": "ai_model_invocation", "model": model, "status": status,
                "duration_ms": round(elapsed * 1000, 3), "gpu": gpu, **(failure if status == "failed" else {})})
            return status == "success"

    def generate(self, request: Request) -> Response:
        body = request.json()
        model = labels.name(body.get("model"), DEFAULT_MODEL)
        prompt = str(body.get("prompt", ""))
        gpu = next(self.gpus)
        if not self.invoke(model, gpu):
            return Response(200, {"status": "failed", "model": model, "gpu": gpu, "charged": False})
        credits = 1 + len(prompt) // 200
        charge = self.app.downstream.call("payments", "POST", "/charge", {
            "amount": credits, "currency": "credits", "purpose": "ai_generation", "user_id": request.user_id})
        if charge.status >= 400:
            return Response(charge.status, {"status": "payment_declined", "model": model, **charge.json()})
        return Response(200, {"status": "success", "model": model, "gpu": gpu, "credits_charged": credits,
                              "output": f"generated text for a prompt of {len(prompt)} characters"})


def install(app: ServiceApp) -> None:
    AiGeneration(app)
