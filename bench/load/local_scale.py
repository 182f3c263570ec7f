"""Aggregate request rate of the load on 1 vs 2 Locust workers (distributed mode) against a local fake
gateway that answers after ``delay`` seconds, and the requests unaccounted (what the server saw minus the
load's request logs, after a pause: none in flight).

Usage: ``PYTHONPATH=. python bench/load/local_scale.py [DELAY_S] [USERS] [SECONDS]`` (default 0.1 60 12)."""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from harness.load import LoadProfile, LoadRun


def serve(delay: float) -> tuple[ThreadingHTTPServer, list[int]]:
    seen = [0]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            time.sleep(delay)
            with lock:
                seen[0] += 1
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        do_GET = do_POST = _answer

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def measure(url: str, seen: list[int], workers: int, users: int, seconds: float) -> dict[str, Any]:
    profile = LoadProfile(users=users, spawn_rate=200, wait_min=0.0, wait_max=0.01, journeys=(("browse", 1),),
                          workers=workers)
    before = seen[0]
    with LoadRun(profile, url) as load:
        time.sleep(seconds)
        load.pause()
        made = load.requests()
        arrived = seen[0] - before
    span = made[-1].at - made[0].at
    return {"workers": workers, "users": users, "made": len(made), "server_saw": arrived,
            "unaccounted": arrived - len(made), "rps": round((len(made) - 1) / span, 1)}


def main(argv: list[str]) -> None:
    delay, users, seconds = (float(argv[0]) if argv else 0.1), (int(argv[1]) if len(argv) > 1 else 60), (
        float(argv[2]) if len(argv) > 2 else 12.0)
    server, seen = serve(delay)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    for workers in (1, 2):
        print(json.dumps(measure(url, seen, workers, users, seconds)), flush=True)
    server.shutdown()


if __name__ == "__main__":
    main(sys.argv[1:])
