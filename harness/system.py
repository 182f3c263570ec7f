"""Host helpers: root check, Debian package installs, command runs with readable failures."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from harness import envvars, progress
from harness.errors import ObsdrillError


def is_root() -> bool:
    return os.geteuid() == 0


def missing_commands(commands: Sequence[str]) -> list[str]:
    return [c for c in commands if shutil.which(c) is None]


def missing_packages(packages: Sequence[str]) -> list[str]:
    missing = []
    for pkg in packages:
        probe = subprocess.run(
            ["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True, check=False
        )
        if "install ok installed" not in probe.stdout:
            missing.append(pkg)
    return missing


def apt_install(packages: Sequence[str], why: str, error: type[ObsdrillError]) -> None:
    """Install Debian packages that are missing; a clear error when that is not possible here."""
    if shutil.which("dpkg-query") is None:
        raise error(f"{why}: needs Debian packages {', '.join(packages)} but this is not a Debian system")
    todo = missing_packages(packages)
    if not todo:
        return
    if not is_root():
        raise error(f"{why}: packages {', '.join(todo)} are missing and installing them needs root")
    progress.say(f"{why}: installing {' '.join(todo)} (apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(["apt-get", "update", "-q"], f"{why}: apt-get update", error, env=env)
    run(["apt-get", "install", "-y", "-q", "--no-install-recommends", *todo], f"{why}: apt-get install",
        error, env=env)


def run(cmd: Sequence[str], step: str, error: type[ObsdrillError], *, env: dict[str, str] | None = None,
        cwd: Path | None = None, input_bytes: bytes | None = None) -> str:
    """Run a command; on failure raise ``error`` naming the step and the tail of its output."""
    proc = subprocess.run(list(cmd), capture_output=True, env=env, cwd=cwd, input=input_bytes, check=False)
    out = (proc.stdout + proc.stderr).decode(errors="replace")
    if proc.returncode != 0:
        tail = "\n".join(out.strip().splitlines()[-15:])
        raise error(f"{step}: `{' '.join(cmd[:4])}...` exited {proc.returncode}\n{tail}")
    return out


def run_streaming(cmd: Sequence[str], step: str, error: type[ObsdrillError], log: Callable[[str], None], *,
                  prefix: str = "", env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    """Run a long command, handing each output line to ``log`` as it comes (progress); on failure raise
    ``error`` naming the step with the last lines. Interrupted (Ctrl-C, SIGTERM): its process group is ended."""
    tail: deque[str] = deque(maxlen=20)
    proc = subprocess.Popen(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            env=env, cwd=cwd, start_new_session=True)
    try:
        assert proc.stdout is not None
        for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            tail.append(line)
            log(prefix + line)
        code = proc.wait()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
    if code != 0:
        raise error(f"{step}: `{' '.join(cmd[:4])}` exited {code}\n" + "\n".join(tail))


def debian_mirror() -> str:
    """The Debian mirror this machine's apt already uses (never hard-coded in the project)."""
    for path in sorted(Path("/etc/apt/sources.list.d").glob("*.sources")):
        mirror = _mirror_from_deb822(path.read_text())
        if mirror:
            return mirror
    legacy = Path("/etc/apt/sources.list")
    if legacy.exists():
        for line in legacy.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == "deb" and not parts[2].endswith("-security"):
                return next(p for p in parts[1:] if "://" in p)
    raise ObsdrillError("no Debian mirror found in /etc/apt/sources.list or /etc/apt/sources.list.d/*.sources")


def _mirror_from_deb822(text: str) -> str | None:
    for stanza in text.split("\n\n"):
        fields = {}
        for line in stanza.splitlines():
            if ":" in line and not line.startswith(("#", " ")):
                key, _, value = line.partition(":")
                fields[key.strip().lower()] = value.strip()
        suites = fields.get("suites", "").split()
        if fields.get("types", "deb").split()[0] == "deb" and any(
            s and not s.endswith("-security") for s in suites
        ):
            uris = fields.get("uris", "").split()
            if uris:
                return uris[0]
    return None


DEFAULT_CHROMIUM = "/usr/bin/chromium"  # Debian's package (Playwright's own browser download cannot work here)


def chromium_path() -> str:
    """The browser users' Chromium: $OBSDRILL_CHROMIUM, else Debian's."""
    return os.environ.get(envvars.CHROMIUM) or DEFAULT_CHROMIUM


def ensure_chromium(install: bool = True) -> str:
    """The Chromium binary the browser users run; Debian's ``chromium`` package is installed when it is missing
    (``install``), else a clear error naming both ways to provide one."""
    path = chromium_path()
    if Path(path).is_file():
        return path
    if not install or os.environ.get(envvars.CHROMIUM):
        raise ObsdrillError(f"browser users: no Chromium at {path} (apt-get install chromium, or set "
                            f"{envvars.CHROMIUM} to a Chromium binary)")
    apt_install(["chromium"], "browser users", ObsdrillError)
    return path
