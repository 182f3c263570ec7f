"""Benchmarks of the browser and error-tracking pillars (bench/benchmark.py browsers | errors).

browsers: the platform's services in-process on loopback, ``python -m harness.browsers`` with N users and no
think time for S seconds: page loads (visits: load, render, four clicks with their API calls) per second, and
the peak proportional memory (PSS) of all Chromium processes, per browser user.

errors: the run's Bugsink image as a container (labelled like a run's), the backend in-process with the
exceptions fault on every request and the DSN of that container: events per second from raised to visible in
Bugsink's API, and the time from one raised exception to its issue in the API."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
import requests

from harness.clients.bugsink import BugsinkClient
from harness.components.bugsink import ErrorTracking
from harness.components.spec import owner_labels
from harness.settings import Settings, project_root
from harness.system import ensure_chromium
from synthetic_services.catalog import build_app
from synthetic_services.platform import DOWNSTREAMS, SERVICES

LOGS = Path(tempfile.gettempdir()) / "obsdrill-bench-logs"


def _platform(env: dict[str, str] | None = None) -> dict[str, Any]:
    """Every service in-process (callees first), each on a free port; name -> (app, server, url)."""
    running: dict[str, Any] = {}
    for name in reversed(SERVICES):
        app = build_app(name, log_stdout=False, env=env or {}, log_file=LOGS / f"{name}.log",
                        downstreams={d: running[d][2] for d in DOWNSTREAMS.get(name, ())})
        server = app.start()
        running[name] = (app, server, f"http://127.0.0.1:{server.port}")
    return running


def _stop(running: dict[str, Any]) -> None:
    for app, server, _ in running.values():
        server.shutdown()
        server.server_close()
        app.close()


def _chromium_pss() -> int:
    """The proportional set size of every Chromium process (shared pages split among them, unlike RSS)."""
    total = 0
    for proc in psutil.process_iter(["name"]):
        if "chrom" in (proc.info["name"] or ""):
            try:
                total += proc.memory_full_info().pss
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
    return total


def _browse(url: str, users: int, seconds: float) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "harness.browsers", "--url", url, "--users", str(users), "--think", "0", "0",
           "--max-seconds", str(seconds), "--chromium", ensure_chromium(install=False)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _chromium_pss())
        time.sleep(0.5)
    stats = json.loads((proc.stdout.read() if proc.stdout else "").splitlines()[-1])
    return {"users": users, "seconds": seconds, "visits": stats["visits"], "calls": stats["calls"],
            "visits_per_s": round(stats["visits"] / seconds, 2),
            "chromium_peak_mb": round(peak / 1e6), "mb_per_user": round(peak / 1e6 / users)}


def bench_browsers(seconds: float, user_counts: list[int]) -> list[dict[str, Any]]:
    running = _platform()
    try:
        rows = [_browse(running["frontend"][2], users, seconds) for users in user_counts]
    finally:
        _stop(running)
    for r in rows:
        print(f"{r['users']} browser user(s), no think time, {r['seconds']:g}s: {r['visits']} page loads = "
              f"{r['visits_per_s']}/s ({r['calls']} API calls); Chromium peak {r['chromium_peak_mb']} MB "
              f"= {r['mb_per_user']} MB per user")
    return rows


def _bugsink(settings: Settings) -> tuple[Any, str, ErrorTracking]:
    from harness.runtime import ensure_runtime

    client = ensure_runtime(settings.cache_dir).client()
    image = next(t for i in client.images.list() for t in i.tags if "obsdrill/bugsink:" in t)
    run_id = f"bench-{int(time.time())}"
    tracking = ErrorTracking.for_run(run_id)
    env = tracking.container_env("http://127.0.0.1:8000")
    conf = project_root() / "stack" / "bugsink"
    container = client.containers.run(image, detach=True, environment=env, labels=owner_labels(run_id, {}),
                                      ports={"8000/tcp": ("127.0.0.1", None)}, tmpfs={"/data": "size=256m,mode=0777"},
                                      volumes={str(conf): {"bind": "/etc/bugsink", "mode": "ro"}})
    container.reload()
    port = container.attrs["NetworkSettings"]["Ports"]["8000/tcp"][0]["HostPort"]
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/health/ready", timeout=2).ok:
                return container, url, tracking
        except requests.ConnectionError:
            pass
        time.sleep(0.5)
    container.remove(force=True)
    raise RuntimeError(f"Bugsink did not start: {container.logs()[-2000:]!r}")


def bench_errors(settings: Settings, events: int) -> dict[str, Any]:
    container, url, tracking = _bugsink(settings)
    dsn = tracking.dsn_at(url)
    api = BugsinkClient(url, tracking.token)
    running = _platform({"SENTRY_DSN": dsn, "SENTRY_ENVIRONMENT": "bench", "SENTRY_RELEASE": "backend@1.0.0"})
    try:
        backend = running["backend"][2]
        requests.put(f"{backend}/admin/faults/exceptions", json={"rate": 1.0, "endpoint": "/api/jobs"}, timeout=5)
        latencies = []
        for _ in range(10):  # one at a time: raised -> its event counted in the API
            before = sum(i.events for i in api.issues())
            started = time.monotonic()
            requests.get(f"{backend}/api/jobs", timeout=10)
            while sum(i.events for i in api.issues()) == before:
                time.sleep(0.01)
            latencies.append(time.monotonic() - started)
        before, started = sum(i.events for i in api.issues()), time.monotonic()
        for _ in range(events):
            requests.get(f"{backend}/api/jobs", timeout=10)
        while sum(i.events for i in api.issues()) < before + events and time.monotonic() - started < 300:
            time.sleep(0.1)
        took = time.monotonic() - started
        got = sum(i.events for i in api.issues()) - before
        issues = api.issues()
    finally:
        _stop(running)
        container.remove(force=True)
    row = {"events": events, "visible": got, "seconds": round(took, 2), "events_per_s": round(got / took, 1),
           "raise_to_issue_ms_median": round(statistics.median(latencies) * 1000),
           "raise_to_issue_ms_max": round(max(latencies) * 1000), "issues": [i.show() for i in issues]}
    print(f"Bugsink: {got} of {events} events raised back to back visible in its API after {took:.1f}s = "
          f"{row['events_per_s']}/s; raise -> issue in the API: median {row['raise_to_issue_ms_median']} ms, "
          f"max {row['raise_to_issue_ms_max']} ms (10 single exceptions); issues: {row['issues']}")
    return row


def run(what: str, settings: Settings, seconds: float, names: list[str]) -> Any:
    if what == "browsers":
        return bench_browsers(seconds, [int(n) for n in names] or [1, 2, 4])
    return bench_errors(settings, int(names[0]) if names else 200)


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], Settings.from_env(), 20.0, sys.argv[2:]), indent=2, default=str))
