"""cpu_burn: niced busy processes (at most one per usable core) that end by themselves after ``max_seconds``."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import time
from multiprocessing.process import BaseProcess
from typing import Any

from synthetic_services.faults.base import APPLIED, DEFAULT_MAX_SECONDS, Expiry, FaultContext
from synthetic_services.faults.spec import Spec

PARENT_CHECK_EVERY = 200_000
NICE = 19


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def burn(seconds: float, parent: int) -> None:
    """Busy loop at the lowest priority until ``seconds`` pass or the parent process is gone."""
    os.nice(NICE - os.nice(0))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and os.getppid() == parent:
        for _ in range(PARENT_CHECK_EVERY):
            pass
    os._exit(0)  # skip the interpreter teardown of a forked child


class CpuBurn:
    def __init__(self, raw: Any, ctx: FaultContext) -> None:
        spec = Spec("cpu_burn", raw, ("workers", "max_seconds"))
        cores = usable_cores()
        self.workers = spec.integer("workers", cores, low=1, high=cores)
        self.max_seconds = spec.number("max_seconds", DEFAULT_MAX_SECONDS, low=0, low_open=True)
        self._procs: list[BaseProcess] = []
        self._expiry = Expiry(self.max_seconds, self.stop)

    @property
    def active(self) -> bool:
        return not self._expiry.expired

    def start(self) -> None:
        context = multiprocessing.get_context("fork")
        for _ in range(self.workers):
            proc = context.Process(target=burn, args=(self.max_seconds, os.getpid()), daemon=True,
                                   name="cpu_burn")
            proc.start()
            self._procs.append(proc)
            if proc.pid:  # the child renices itself too; this makes it so before the admin call answers
                with contextlib.suppress(OSError):
                    os.setpriority(os.PRIO_PROCESS, proc.pid, NICE)
        self._expiry.start()

    def stop(self) -> None:
        self._expiry.cancel()
        procs, self._procs = self._procs, []
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.join(2)
            if proc.is_alive():
                proc.kill()
                proc.join(2)

    def state(self) -> dict[str, Any]:
        return {"workers": self.workers, "max_seconds": self.max_seconds, "pids": [p.pid for p in self._procs],
                "nice": NICE, "expires_in_s": self._expiry.remaining()}

    def progress(self) -> dict[str, Any]:
        return dict(APPLIED)
