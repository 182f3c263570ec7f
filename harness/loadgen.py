"""Load worker: Locust used as a library, headless, in its own process (``python -m harness.loadgen``).

Locust monkey-patches the process with gevent on import; keeping it in a worker process keeps that away
from pytest, Testcontainers and the harness's threads. Prints one JSON line of stats when it stops.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import uuid
from typing import Any


def _user_class(wait_min: float, wait_max: float) -> type:
    from locust import HttpUser, between, task

    class PlatformUser(HttpUser):
        wait_time = between(wait_min, wait_max)

        def _headers(self) -> dict[str, str]:
            return {"X-Correlation-ID": str(uuid.uuid4()), "X-User-ID": f"user-{random.randint(1, 500)}"}

        @task(5)
        def status(self) -> None:
            self.client.get("/api/status", headers=self._headers())

        @task(3)
        def jobs(self) -> None:
            self.client.get("/api/jobs", headers=self._headers())

        @task(2)
        def analyze_cv(self) -> None:
            self.client.post("/api/cv/analyze", json={"user_type": "free"}, headers=self._headers())

        @task(1)
        def register(self) -> None:
            self.client.post("/api/auth/register", json={"source": "web", "plan_type": "free"},
                             headers=self._headers())

    return PlatformUser


def _quit_when_orphaned(runner: Any, parent: int) -> None:
    """A harness killed with SIGKILL cannot stop us: stop when the parent process is gone."""
    import gevent

    while os.getppid() == parent:
        gevent.sleep(1)
    runner.quit()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.loadgen")
    parser.add_argument("--host", required=True)
    parser.add_argument("--users", type=int, default=5)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--wait", type=float, nargs=2, default=(0.2, 0.5))
    parser.add_argument("--max-seconds", type=float, default=1800, help="hard stop, whatever happens")
    args = parser.parse_args(argv)
    import gevent
    from locust.env import Environment

    env = Environment(user_classes=[_user_class(*args.wait)], host=args.host)
    runner = env.create_local_runner()
    runner.start(args.users, spawn_rate=args.spawn_rate)
    gevent.spawn_later(args.max_seconds, runner.quit)
    gevent.spawn(_quit_when_orphaned, runner, os.getppid())
    gevent.signal_handler(signal.SIGTERM, runner.quit)
    gevent.signal_handler(signal.SIGINT, runner.quit)
    print(json.dumps({"event": "started", "users": args.users}), flush=True)
    runner.greenlet.join()
    total = env.stats.total
    stats: dict[str, Any] = {"event": "stopped", "requests": total.num_requests, "failures": total.num_failures,
                             "rps": round(total.total_rps, 2), "p95_ms": total.get_response_time_percentile(0.95)}
    print(json.dumps(stats), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
