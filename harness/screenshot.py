"""Pictures of what a user sees, for the report (evidence): one page in the browser users' headless Chromium
(harness/browsers.py's flags), optionally after logging in through a login form. None, with the reason said by
the caller, when no Chromium is there."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.system import chromium_path

# the flags this machine's closed network needs (no background connections, no QUIC); as root, no sandbox
FLAGS = ("--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage")
TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Login:
    url: str
    username: str
    password: str
    fields: tuple[str, str] = ("username", "password")  # the form's input names (Django's LoginView)


def screenshot(url: str, login: Login | None = None, ready: str | None = None) -> bytes | None:
    """A full-page PNG of ``url`` (after ``login``; once ``ready``, a CSS selector, is visible)."""
    if not Path(chromium_path()).is_file():
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=chromium_path(), headless=True, args=list(FLAGS))
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            if login is not None:
                page.goto(login.url, timeout=TIMEOUT_MS)
                page.fill(f"input[name={login.fields[0]}]", login.username)
                page.fill(f"input[name={login.fields[1]}]", login.password)
                page.press(f"input[name={login.fields[1]}]", "Enter")
                page.wait_for_load_state("load", timeout=TIMEOUT_MS)
            page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
            if ready:
                page.wait_for_selector(ready, timeout=TIMEOUT_MS)
            return page.screenshot(full_page=True)
        finally:
            browser.close()
