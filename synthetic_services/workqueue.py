"""A bounded in-memory work queue with one worker thread (cv-analyzer). The worker can be paused and fed a
synthetic backlog (queue_backup); each job runs in the context (request, span) it was submitted from."""

from __future__ import annotations

import contextvars
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CAPACITY = 10_000


@dataclass
class Job:
    payload: dict[str, Any]
    synthetic: bool = False
    context: contextvars.Context | None = None
    done: threading.Event = field(default_factory=threading.Event)
    result: dict[str, Any] | None = None


class JobQueue:
    def __init__(self, work: Callable[[Job], dict[str, Any]], capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self.paused = False
        self._work = work
        self._jobs: deque[Job] = deque()
        self._cond = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="cv-worker", daemon=True)

    def __len__(self) -> int:
        return len(self._jobs)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def submit(self, job: Job) -> bool:
        """Queues ``job``; False when the queue is full."""
        with self._cond:
            if len(self._jobs) >= self.capacity:
                return False
            self._jobs.append(job)
            self._cond.notify()
            return True

    def pause(self, paused: bool) -> None:
        with self._cond:
            self.paused = paused
            self._cond.notify_all()

    def add_backlog(self, count: int) -> int:
        with self._cond:
            added = max(0, min(count, self.capacity - len(self._jobs)))
            self._jobs.extend(Job({}, synthetic=True) for _ in range(added))
            self._cond.notify()
            return added

    def purge_backlog(self) -> int:
        with self._cond:
            kept = deque(job for job in self._jobs if not job.synthetic)
            removed = len(self._jobs) - len(kept)
            self._jobs = kept
            return removed

    def _next(self) -> Job | None:
        with self._cond:
            self._cond.wait_for(lambda: self._stopped or (not self.paused and bool(self._jobs)))
            return None if self._stopped else self._jobs.popleft()

    def _run(self) -> None:
        while (job := self._next()) is not None:
            try:
                job.result = job.context.run(self._work, job) if job.context else self._work(job)
            except Exception as exc:  # a failed job must not kill the worker
                job.result = {"status": "failed", "error": type(exc).__name__}
            finally:
                job.done.set()
