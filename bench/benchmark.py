"""obsdrill benchmarks: the figures the issues ask for, measured on the machine at hand, written as JSON to
reports/bench/ and printed as a table. Not a test: nothing here passes or fails on a number.

  .venv/bin/python bench/benchmark.py images [NAME ...] [--rebuild]
                                                                    time to have each image + its size; --rebuild
                                                                    removes the image first and builds it again
                                                                    from the warm caches (downloads, Go modules and
                                                                    build cache kept). A cold build is the first one
                                                                    on a new machine: `make setup` prints it.
  .venv/bin/python bench/benchmark.py stack [--runs 3] [--idle 30] [--stack full|core]
                                                                    start to all-ready, peak memory while idle
  .venv/bin/python bench/benchmark.py service [--seconds 10] [--threads 8] [--path /api/status]
                                                                    requests/s one service (backend) sustains
  .venv/bin/python bench/benchmark.py browsers [USERS ...] [--seconds 20]
                                                                    page loads/s and Chromium memory per browser
                                                                    user (bench/frontend_bench.py)
  .venv/bin/python bench/benchmark.py errors [EVENTS]               Bugsink's ingest rate and raise -> issue time
  .venv/bin/python bench/benchmark.py suite [--stacks 3] [--time-factor F] [-- obsdrill run args]
                                                                    the built-in suite sequentially, then on N
                                                                    stacks: both wall times and their ratio, CPU
                                                                    and memory peaks, per alert the notification
                                                                    time vs the physical limit (bench/suite_bench.py)
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from harness.images import load_recipes, resolve_images
from harness.runtime import ensure_runtime
from harness.settings import Settings
from harness.stack import Stack
from harness.topology import images_for


def bench_images(settings: Settings, names: list[str], rebuild: bool) -> dict[str, Any]:
    client = ensure_runtime(settings.cache_dir).client()
    recipes = load_recipes(settings.config_dir / "images")
    out = {}
    for name in names or list(images_for("full")):
        if rebuild and recipes[name].base != "none":
            for image in client.images.list(name=recipes[name].repository):
                client.images.remove(image.id, force=True)
        started = time.monotonic()
        choice = resolve_images(client, settings, recipes, (name,), lambda _m: None)[name]
        seconds = time.monotonic() - started
        size = int(client.images.get(choice.image).attrs.get("Size", 0)) if choice.available else 0
        out[name] = {"seconds": round(seconds, 1), "size_mb": round(size / 1e6), "source": choice.source,
                     "rebuild": rebuild}
        print(f"{name:14} {'rebuilt' if rebuild else 'present'} {seconds:7.1f}s  {size / 1e6:6.0f} MB  {choice.source}")
    return out


def _memory(stack: Stack) -> dict[str, int]:
    usage = {}
    for name, container in stack.containers.items():
        stats = container.get_wrapped_container().stats(stream=False)
        usage[name] = int((stats.get("memory_stats") or {}).get("usage", 0))
    return usage


def bench_stack(settings: Settings, runs: int, idle: float) -> dict[str, Any]:
    runtime = ensure_runtime(settings.cache_dir)
    results = []
    for i in range(runs):
        with Stack(settings, runtime, log=lambda _m: None) as stack:
            timings = stack.timings
            peak: dict[str, int] = {}
            deadline = time.monotonic() + idle
            while time.monotonic() < deadline:
                sample = _memory(stack)
                if sum(sample.values()) > sum(peak.values()):
                    peak = sample
                time.sleep(2)
            row = {"total_s": round(timings.total, 1), "images_s": round(timings.images, 1),
                   "start_to_ready_s": round(timings.total - timings.images, 1),
                   "slowest_ready": max(timings.ready.items(), key=lambda kv: kv[1]),
                   "idle_peak_mb": round(sum(peak.values()) / 1e6),
                   "per_container_mb": {k: round(v / 1e6) for k, v in sorted(peak.items(), key=lambda kv: -kv[1])}}
            results.append(row)
            print(f"run {i + 1}: start to all-ready {row['start_to_ready_s']}s (images {row['images_s']}s), "
                  f"idle peak {row['idle_peak_mb']} MB: {row['per_container_mb']}")
    return {"stack_mode": settings.stack_mode, "runs": results}


def _hammer(url: str, path: str, stop: float, counts: list[int], errors: list[int]) -> None:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    done = failed = 0
    while time.monotonic() < stop:
        try:
            conn.request("GET", path, headers={"X-Correlation-ID": "bench"})
            response = conn.getresponse()
            response.read()
            done += 1
            failed += response.status >= 400
        except (OSError, http.client.HTTPException):
            failed += 1
            conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    counts.append(done)
    errors.append(failed)


def bench_service(settings: Settings, seconds: float, threads: int, path: str) -> dict[str, Any]:
    with Stack(settings.validated(stack_mode="core"), ensure_runtime(settings.cache_dir),
               log=lambda _m: None) as stack:
        url = stack.url("backend")
        counts: list[int] = []
        errors: list[int] = []
        stop = time.monotonic() + seconds
        workers = [threading.Thread(target=_hammer, args=(url, path, stop, counts, errors)) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        memory = _memory(stack)["backend"]
    row = {"service": "backend", "path": path, "threads": threads, "seconds": seconds,
           "requests": sum(counts), "errors": sum(errors), "rps": round(sum(counts) / seconds, 1),
           "memory_mb_after": round(memory / 1e6, 1)}
    print(f"backend {path}: {row['rps']} req/s over {seconds:g}s with {threads} client threads "
          f"({row['errors']} errors); container memory after: {row['memory_mb_after']} MB")
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench/benchmark.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["images", "stack", "service", "suite", "browsers", "errors"])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=float, default=30.0)
    parser.add_argument("--stack", choices=["full", "core"], default=None)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--path", default="/api/status")
    parser.add_argument("--stacks", type=int, default=3, help="suite: stacks of the concurrent run")
    parser.add_argument("--time-factor", type=float, default=None, help="suite: time factor of both runs")
    argv = sys.argv[1:] if argv is None else argv
    cut = argv.index("--") if "--" in argv else len(argv)
    args = parser.parse_args(argv[:cut])
    settings = Settings.from_env(stack_mode=args.stack, **({} if args.time_factor is None else
                                                           {"time_factor": args.time_factor}))
    if args.what == "images":
        result: Any = bench_images(settings, args.names, args.rebuild)
    elif args.what == "stack":
        result = bench_stack(settings, args.runs, args.idle)
    elif args.what == "service":
        result = bench_service(settings, args.seconds, args.threads, args.path)
    elif args.what in ("browsers", "errors"):
        from frontend_bench import run

        result = run(args.what, settings, args.seconds, args.names)
    else:
        from suite_bench import bench_suite

        result = bench_suite(settings, args.stacks, argv[cut + 1:])
    out = settings.reports_dir / "bench" / f"{args.what}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, default=str))
    print(f"written: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
