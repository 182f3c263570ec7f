"""python -m harness.browsers --url FRONTEND --users N ...: real browser users of the platform's page.

One headless Chromium (the system's: Debian's package, never Playwright's own download) driven by Playwright,
one browser context per user. A user loads the frontend's page, waits until its jobs list rendered (the page's
largest paint), clicks each of the page's buttons once in a random order (register, analyze, generate,
subscribe), waiting for each API call to answer and a think time, and loads the page again. The page itself
reports its metrics, logs and Web Vitals; this driver writes every API call the page made (read from
``window.obsdrill``) to ``--request-log`` in harness.loadgen's format (journey ``browser``), keeps a sample
with each call's trace id, and counts page loads, clicks and the page errors Chromium saw.

Same control as harness.loadgen: one JSON line ``started`` once every user loaded the page once; SIGUSR1
pauses (each user finishes its visit, then ``paused`` is printed), SIGUSR2 resumes, SIGTERM stops (the users
leave the page so it flushes its batches) and prints the ``stopped`` stats."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.envvars import CHROMIUM
from harness.platform import GA4_MEASUREMENT_ID, MIXPANEL_TOKEN
from harness.screenshot import FLAGS  # the flags this machine's closed network needs; as root, no sandbox
from harness.system import chromium_path

ACTIONS = ("register", "analyze", "generate", "subscribe")
JOURNEY = "browser"
STEP_TIMEOUT_MS = 60_000


@dataclass
class Record:
    """What the users did, for the request log, the sample and the final stats."""

    log: Path | None
    sample_size: int
    visits: int = 0
    clicks: dict[str, int] = field(default_factory=dict)
    page_errors: list[str] = field(default_factory=list)
    calls: int = 0
    failures: int = 0
    sample: deque[dict[str, Any]] = field(default_factory=deque)

    def visit(self, calls: list[dict[str, Any]], clicked: list[str]) -> None:
        self.visits += 1
        for action in clicked:
            self.clicks[action] = self.clicks.get(action, 0) + 1
        lines = []
        for call in calls:
            self.calls += 1
            self.failures += not 200 <= int(call.get("status") or 0) < 400
            row = {"journey": JOURNEY, "method": call["method"], "route": call["path"],
                   "status": int(call.get("status") or 0), "correlation_id": call["request_id"],
                   "at": float(call.get("at") or time.time())}
            lines.append(json.dumps(row))
            self.sample.append({**row, "path": row["route"], "trace_id": call["trace_id"]})
        while len(self.sample) > self.sample_size:
            self.sample.popleft()
        if self.log is not None and lines:
            with self.log.open("a") as out:
                out.write("\n".join(lines) + "\n")

    def stats(self) -> dict[str, Any]:
        return {"event": "stopped", "visits": self.visits, "clicks": self.clicks, "calls": self.calls,
                "failures": self.failures, "page_errors": len(self.page_errors),
                "page_error_examples": self.page_errors[:5]}


class Control:
    """Pause, resume and stop between visits; ``paused`` once no user is inside one."""

    def __init__(self) -> None:
        self.running = asyncio.Event()
        self.running.set()
        self.stopping = False
        self.busy = 0
        self._pause_asked = False

    async def enter(self) -> bool:
        await self.running.wait()
        if self.stopping:
            return False
        self.busy += 1
        return True

    def leave(self) -> None:
        self.busy -= 1
        self._maybe_paused()

    def pause(self) -> None:
        self.running.clear()
        self._pause_asked = True
        self._maybe_paused()

    def resume(self) -> None:
        self.running.set()
        _say("resumed")

    def stop(self) -> None:
        self.stopping = True
        self.running.set()

    def _maybe_paused(self) -> None:
        if self._pause_asked and self.busy == 0:
            self._pause_asked = False
            _say("paused")


def analytics(url: str) -> dict[str, str]:
    """Where the page sends its custom events: GA4's Measurement Protocol and Mixpanel's /track at ``url``."""
    base = url.rstrip("/")
    return {"ga4": f"{base}/mp/collect?measurement_id={GA4_MEASUREMENT_ID}&api_secret=obsdrill",
            "mixpanel": f"{base}/track", "token": MIXPANEL_TOKEN}


def _say(event: str, **fields: Any) -> None:
    print(json.dumps({"event": event, "at": time.time(), **fields}), flush=True)


async def _visit(page: Any, url: str, think: tuple[float, float], record: Record) -> None:
    await page.goto(url, wait_until="load", timeout=STEP_TIMEOUT_MS)
    await page.wait_for_function("window.obsdrill && window.obsdrill.ready", timeout=STEP_TIMEOUT_MS)
    clicked = random.sample(ACTIONS, len(ACTIONS))
    for action in clicked:
        await page.click(f"#{action}", timeout=STEP_TIMEOUT_MS)
        await page.wait_for_function("window.obsdrill.pending === 0", timeout=STEP_TIMEOUT_MS)
        await asyncio.sleep(random.uniform(*think))
    record.visit(await page.evaluate("window.obsdrill.calls"), clicked)


async def _user(browser: Any, args: argparse.Namespace, control: Control, record: Record,
                loaded: asyncio.Event) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 800})
    if args.analytics_url:  # the deployment's analytics endpoints: the sink's GA4 and Mixpanel stand-ins
        await context.add_init_script(f"window.OBSDRILL_ANALYTICS = {json.dumps(analytics(args.analytics_url))};")
    if args.sentry_dsn:  # the deployment's error tracker (Bugsink), as the browser reaches it
        sentry = {"dsn": args.sentry_dsn, "environment": args.sentry_environment}
        await context.add_init_script(f"window.OBSDRILL_SENTRY = {json.dumps(sentry)};")
    page = await context.new_page()
    page.on("pageerror", lambda error: record.page_errors.append(str(error)[:300]))
    try:
        while await control.enter():
            try:
                await _visit(page, args.url.rstrip("/") + "/", tuple(args.think), record)
            finally:
                control.leave()
            loaded.set()
    finally:
        await page.goto("about:blank")  # pagehide: the page sends what it still holds (sendBeacon)
        await context.close()


async def _run(args: argparse.Namespace) -> Record:
    from playwright.async_api import async_playwright

    record = Record(args.request_log, args.sample_size)
    control = Control()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, control.pause)
    loop.add_signal_handler(signal.SIGUSR2, control.resume)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, control.stop)
    loop.call_later(args.max_seconds, control.stop)
    async with async_playwright() as driver:
        browser = await driver.chromium.launch(executable_path=args.chromium, headless=True, args=list(FLAGS))
        loaded = [asyncio.Event() for _ in range(args.users)]
        users = [asyncio.create_task(_user(browser, args, control, record, loaded[i])) for i in range(args.users)]
        ready = asyncio.create_task(asyncio.wait([asyncio.create_task(e.wait()) for e in loaded]))
        done, _ = await asyncio.wait([ready, *users], return_when=asyncio.FIRST_COMPLETED)
        if ready not in done:  # a user gave up before its first visit ended: its error ends the run
            control.stop()
            await asyncio.gather(*users)
        _say("started", users=args.users, chromium=browser.version)
        writer = asyncio.create_task(_write_sample(args.sample_file, record, control))
        await asyncio.gather(*users)
        writer.cancel()
        await browser.close()
    _write(args.sample_file, record)
    return record


async def _write_sample(path: Path | None, record: Record, control: Control) -> None:
    while not control.stopping:
        _write(path, record)
        await asyncio.sleep(1.0)


def _write(path: Path | None, record: Record) -> None:
    if path is not None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({JOURNEY: list(record.sample)}))
        os.replace(tmp, path)


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m harness.browsers")
    parser.add_argument("--url", required=True, help="the frontend's base URL")
    parser.add_argument("--users", type=int, default=1)
    parser.add_argument("--think", type=float, nargs=2, default=(0.2, 0.5), help="seconds between clicks")
    parser.add_argument("--request-log", type=Path, default=None)
    parser.add_argument("--sample-file", type=Path, default=None)
    parser.add_argument("--sample-size", type=int, default=20)
    parser.add_argument("--max-seconds", type=float, default=1800)
    parser.add_argument("--chromium", default=chromium_path())
    parser.add_argument("--analytics-url", default=None, help="the GA4 / Mixpanel endpoints' base URL (the sink)")
    parser.add_argument("--sentry-dsn", default=None, help="the page's error tracker DSN (Bugsink, as the browser "
                        "reaches it)")
    parser.add_argument("--sentry-environment", default="production")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse(argv)
    if not Path(args.chromium).is_file():
        print(f"python -m harness.browsers: no Chromium at {args.chromium} (apt-get install chromium, or set "
              f"{CHROMIUM})", file=sys.stderr)
        return 2
    record = asyncio.run(_run(args))
    print(json.dumps(record.stats()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
