"""Load worker: Locust used as a library, headless, in its own process (``python -m harness.loadgen``).

Locust monkey-patches the process with gevent on import; keeping it in a worker process keeps that away
from pytest, Testcontainers and the harness's threads. One user class runs the journeys of
docs/platform.md as weighted tasks; every request carries a fresh X-Correlation-ID and the user's
X-User-ID. A bounded sample of requests per journey is kept in ``--sample-file`` (replaced atomically
every second); every request is appended to ``--request-log`` (one JSON line: journey, method, route,
status, correlation id, time), for the cross-pillar reconciliation; one JSON line of stats is printed when
the process stops.

Roles (``--role``): ``local`` runs the users itself; ``master`` runs none, waits for ``--expect-workers``
``worker`` processes on ``--master-port`` and drives them (Locust's distributed mode; the stats printed
are the aggregate). SIGUSR1 pauses the load (users finish their current journey, then stop; ``paused`` is
printed once none runs), SIGUSR2 resumes it (``resumed``).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness.load import failed
from harness.platform import JOURNEYS

PLANS = ("free", "basic", "premium")
MODELS = ("sdxl", "llama-3-8b")


def _body(path: str, user_id: str) -> dict[str, Any] | None:
    """The JSON body docs/platform.md gives each journey request (None for GETs)."""
    bodies: dict[str, dict[str, Any]] = {
        "/api/auth/register": {"source": random.choice(("web", "mobile")), "plan_type": random.choice(PLANS)},
        "/api/auth/login": {"user_id": user_id},
        "/api/cv/analyze": {"user_type": random.choice(("free", "premium"))},
        "/api/ai/generate": {"model": random.choice(MODELS), "prompt": "a cover letter for a data engineer"},
        "/api/subscriptions": {"plan_type": random.choice(PLANS[1:])},
    }
    return bodies.get(path)


def trace_id_of(headers: Any) -> str:
    """Trace id from a W3C ``traceparent``/``traceresponse`` response header, or ''."""
    for name in ("traceresponse", "traceparent"):
        parts = str(headers.get(name) or "").split("-")
        if len(parts) == 4 and len(parts[1]) == 32:
            return parts[1].lower()
    return ""


class Sampler:
    """The latest ``size`` requests of every journey, at most one per ``spacing`` seconds: spread over time, so
    a busy journey's sample still holds requests old enough for their logs and spans to have arrived."""

    def __init__(self, size: int, spacing: float = 0.5) -> None:
        self.rows: dict[str, deque[dict[str, Any]]] = {name: deque(maxlen=size) for name in JOURNEYS}
        self.spacing = spacing

    def add(self, journey: str, method: str, path: str, correlation_id: str, response: Any) -> None:
        rows = self.rows[journey]
        if rows and time.time() - rows[-1]["at"] < self.spacing:
            return
        rows.append({
            "journey": journey, "method": method, "path": path, "at": time.time(),
            "correlation_id": response.headers.get("X-Correlation-ID") or correlation_id,
            "status": int(response.status_code or 0), "trace_id": trace_id_of(response.headers)})

    def write(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({k: list(v) for k, v in self.rows.items()}))
        os.replace(tmp, path)


class RequestLog:
    """Every request made, one JSON line each, written when its response (or error) came back."""

    def __init__(self, path: Path | None) -> None:
        self._file = path.open("a", buffering=1) if path is not None else None

    def add(self, journey: str, method: str, route: str, correlation_id: str, status: int) -> None:
        if self._file is not None:
            self._file.write(json.dumps({"journey": journey, "method": method, "route": route, "status": status,
                                         "correlation_id": correlation_id, "at": time.time()}) + "\n")

    def close(self) -> None:
        if self._file is not None:
            self._file.close()


class Recorder:
    """What each request leaves behind: the sample and the request log."""

    def __init__(self, sampler: Sampler, log: RequestLog) -> None:
        self.sampler = sampler
        self.log = log

    def add(self, journey: str, method: str, path: str, correlation_id: str, response: Any) -> None:
        self.sampler.add(journey, method, path, correlation_id, response)
        self.log.add(journey, method, path, correlation_id, int(response.status_code or 0))


def _journey_task(journey: str, sampler: Sampler | Recorder) -> Callable[[Any], None]:
    def run(user: Any) -> None:
        for method, path in JOURNEYS[journey]:
            correlation_id = str(uuid.uuid4())
            headers = {"X-Correlation-ID": correlation_id, "X-User-ID": user.user_id}
            with user.client.request(method, path, json=_body(path, user.user_id), headers=headers,
                                     name=f"{journey}: {method} {path}", catch_response=True) as response:
                if not failed(int(response.status_code or 0)):  # a 402 decline is a business outcome
                    response.success()
                sampler.add(journey, method, path, correlation_id, response)

    run.__name__ = journey
    return run


def user_class(wait_min: float, wait_max: float, journeys: dict[str, int], sampler: Sampler | Recorder) -> type:
    from locust import HttpUser, between

    unknown = sorted(set(journeys) - set(JOURNEYS))
    if unknown or not any(journeys.values()):
        raise SystemExit(f"journeys: unknown {unknown} or all weights 0 (known: {', '.join(JOURNEYS)})")

    def on_start(user: Any) -> None:
        user.user_id = f"user-{uuid.uuid4().hex[:12]}"

    # Locust takes {task: weight}; built with type() since its stubs declare `tasks` a list.
    return type("PlatformUser", (HttpUser,), {
        "wait_time": between(wait_min, wait_max), "on_start": on_start,
        "tasks": {_journey_task(name, sampler): weight for name, weight in journeys.items() if weight > 0}})


def journey_stats(entries: Any) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for entry in entries.values():
        journey = str(entry.name).split(":", 1)[0]
        row = out.setdefault(journey, {"requests": 0, "failures": 0})
        row["requests"] += entry.num_requests
        row["failures"] += entry.num_failures
    return out


STOP_TIMEOUT = 15.0  # seconds a user may take to finish its journey when the load pauses


def _every_second(sampler: Sampler, path: Path | None, runner: Any, parent: int) -> None:
    """Write the sample file; stop when the harness that started us is gone (even after SIGKILL)."""
    import gevent

    while os.getppid() == parent:
        if path is not None:
            with contextlib.suppress(OSError):  # the sample dir may be gone (harness stopping us): keep watching
                sampler.write(path)
        gevent.sleep(1)
    runner.quit()


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m harness.loadgen")
    parser.add_argument("--host", required=True)
    parser.add_argument("--users", type=int, default=5)
    parser.add_argument("--spawn-rate", type=float, default=5)
    parser.add_argument("--wait", type=float, nargs=2, default=(0.2, 0.5))
    parser.add_argument("--journeys", type=json.loads, default={"browse": 5, "register": 1, "cv_upload": 2},
                        help='JSON object of journey weights, e.g. {"browse": 5, "subscribe": 2}')
    parser.add_argument("--sample-file", type=Path, default=None)
    parser.add_argument("--sample-size", type=int, default=20, help="requests kept per journey")
    parser.add_argument("--request-log", type=Path, default=None, help="append every request here (JSON lines)")
    parser.add_argument("--max-seconds", type=float, default=1800, help="hard stop, whatever happens")
    parser.add_argument("--role", choices=("local", "master", "worker"), default="local")
    parser.add_argument("--master-port", type=int, default=5557)
    parser.add_argument("--expect-workers", type=int, default=1)
    return parser.parse_args(argv)


def _runner(args: argparse.Namespace, env: Any) -> Any:
    """The role's runner; a master returns once ``--expect-workers`` workers are connected."""
    import gevent

    if args.role == "worker":
        return env.create_worker_runner("127.0.0.1", args.master_port)
    if args.role == "local":
        return env.create_local_runner()
    runner = env.create_master_runner("127.0.0.1", args.master_port)
    print(json.dumps({"event": "listening", "port": args.master_port}), flush=True)
    with gevent.Timeout(60, SystemExit(f"{args.expect_workers} workers did not connect in 60s")):
        while len(runner.clients.ready) < args.expect_workers:
            gevent.sleep(0.1)
    return runner


class Control:
    """Start, pause (SIGUSR1) and resume (SIGUSR2) the users of a local or master runner."""

    def __init__(self, runner: Any, args: argparse.Namespace) -> None:
        self.runner = runner
        self.args = args

    def start(self) -> None:
        import gevent

        if self.args.role == "master":  # a worker is ready again only stop_timeout after a stop
            while len(self.runner.clients.ready) < self.args.expect_workers:
                gevent.sleep(0.1)
        self.runner.start(self.args.users, spawn_rate=self.args.spawn_rate)

    def pause(self) -> None:
        import gevent

        self.runner.stop()
        while self.runner.user_count:
            gevent.sleep(0.1)
        print(json.dumps({"event": "paused", "at": time.time()}), flush=True)

    def resume(self) -> None:
        self.start()
        print(json.dumps({"event": "resumed", "at": time.time()}), flush=True)

    def install(self) -> None:
        import gevent

        gevent.signal_handler(signal.SIGUSR1, lambda: gevent.spawn(self.pause))
        gevent.signal_handler(signal.SIGUSR2, lambda: gevent.spawn(self.resume))


def _stats(env: Any) -> dict[str, Any]:
    """Locust's stats since its last start (it clears them at a restart; harness.load counts every request
    from the request logs)."""
    total = env.stats.total
    return {"event": "stopped", "requests": total.num_requests, "failures": total.num_failures,
            "rps": round(total.total_rps, 2), "p95_ms": total.get_response_time_percentile(0.95),
            "journeys": journey_stats(env.stats.entries)}


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    import gevent
    from locust.env import Environment

    sampler = Sampler(args.sample_size)
    log = RequestLog(args.request_log)
    user = user_class(args.wait[0], args.wait[1], args.journeys, Recorder(sampler, log))
    env = Environment(user_classes=[user], host=args.host, stop_timeout=STOP_TIMEOUT)
    runner = _runner(args, env)
    control = Control(runner, args)
    if args.role != "worker":
        control.start()
        control.install()
    gevent.spawn_later(args.max_seconds, runner.quit)
    gevent.spawn(_every_second, sampler, args.sample_file, runner, os.getppid())
    gevent.signal_handler(signal.SIGTERM, runner.quit)
    gevent.signal_handler(signal.SIGINT, runner.quit)
    print(json.dumps({"event": "started", "role": args.role, "users": args.users, "journeys": args.journeys}),
          flush=True)
    runner.greenlet.join()
    if args.sample_file is not None:
        sampler.write(args.sample_file)
    log.close()
    print(json.dumps(_stats(env)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
