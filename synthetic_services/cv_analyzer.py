"""cv-analyzer: CV analysis through a bounded work queue and one worker thread. POST /analyze {user_type}
queues a job and waits briefly for its result (200 with a score); when the worker is paused or the queue backed
up it answers 202 {"status": "queued"} at once, so a backlog shows in cv_analysis_queue_size, not in latency
or errors. Offers queue_backup, analysis_failures (a share of the analyses fails: cv_analyses_total{status="failed"},
the CV analysis SLO's bad events) and disk_fill (the /data volume)."""

from __future__ import annotations

import contextlib
import contextvars
import random
import time
import uuid
from pathlib import Path
from typing import Any

from synthetic_services import labels
from synthetic_services.app import ServiceApp
from synthetic_services.faults.business import AnalysisFailures, QueueBackup
from synthetic_services.faults.disk import FILL_NAME, DiskFill
from synthetic_services.metrics import CvMetrics
from synthetic_services.server import HttpError, Request, Response
from synthetic_services.workqueue import Job, JobQueue

PROCESSING_S = (0.01, 0.03)
WAIT_S = 1.0
BACKED_UP = 20  # queue length from which a request no longer waits for its result
DATA_DIR = Path("/data")


class CvAnalyzer:
    def __init__(self, app: ServiceApp) -> None:
        self.app = app
        self.queue = JobQueue(self.work)
        self.metrics = CvMetrics(app.registry, lambda: len(self.queue))
        self.queue.start()
        app.on_close.append(self.queue.stop)
        app.faults.offer("queue_backup", lambda raw, ctx: QueueBackup(raw, ctx, self.queue))
        app.faults.offer("analysis_failures", AnalysisFailures)
        app.faults.offer("disk_fill", DiskFill)
        with contextlib.suppress(OSError):  # a restart is a healthy start: no fill file a crash left behind
            (DATA_DIR / FILL_NAME).unlink(missing_ok=True)
        app.route("POST", "/analyze")(self.analyze)

    def work(self, job: Job) -> dict[str, Any]:
        """The worker thread's job, run in the submitting request's context (its trace and correlation id)."""
        if job.synthetic:
            time.sleep(random.uniform(*PROCESSING_S))
            return {"status": "completed"}
        analysis_id = job.payload["analysis_id"]
        with self.app.tracer.start_as_current_span("cv_analysis", attributes={"analysis.id": analysis_id}):
            started = time.perf_counter()
            time.sleep(random.uniform(*PROCESSING_S))
            fault = self.app.faults.get("analysis_failures", AnalysisFailures)
            status = "failed" if fault is not None and fault.fails() else "success"
            score = random.randint(40, 98) if status == "success" else None
            elapsed_ms = round((time.perf_counter() - started) * 1000, 3)
            self.metrics.analyses.labels(status, job.payload["user_type"]).inc()
            self.metrics.duration.observe(elapsed_ms / 1000)
            failure = {"error_type": "CVParseError", "error_message": f"analysis {analysis_id} could not parse the CV"}
            self.app.log.log(20 if status == "success" else 40, f"CV analysis {status}", extra={
                "event": "cv_analysis", "analysis_id": analysis_id, "status": status, "score": score,
                "processing_time_ms": elapsed_ms, **(failure if status == "failed" else {})})
        return {"status": "completed" if status == "success" else "failed", "analysis_id": analysis_id,
                "score": score, "processing_time_ms": elapsed_ms}

    def analyze(self, request: Request) -> Response:
        body = request.json()
        payload = {"analysis_id": f"cv_{uuid.uuid4().hex[:16]}",
                   "user_type": labels.choice(body.get("user_type"), labels.USER_TYPES, "free")}
        job = Job(payload, context=contextvars.copy_context())
        if not self.queue.submit(job):
            raise HttpError(503, f"analysis queue full ({self.queue.capacity} jobs)")
        if self.queue.paused or len(self.queue) > BACKED_UP or not job.done.wait(WAIT_S):
            return Response(202, {"status": "queued", "analysis_id": payload["analysis_id"],
                                  "queue_size": len(self.queue)})
        return Response(200, job.result or {"status": "failed"})


def install(app: ServiceApp) -> None:
    CvAnalyzer(app)
