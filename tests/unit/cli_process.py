"""`obsdrill` in a child process, its suite swapped for a stand-in. `run` starts pytest in-process; inside
this test session that would share allure-pytest's global listener registry with the outer session (an
outer --alluredir, as `make test` passes, breaks the inner run's fixtures), so the command gets its own
process, as it has for a user."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_MAIN = ("import sys; from pathlib import Path; from harness import cliout; cliout.SUITE = Path(sys.argv[1]); "
         "from harness.cli import main; sys.exit(main(sys.argv[2:]))")


def run_cli(cwd: Path, suite: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """``obsdrill ARGV`` in ``cwd`` with the suite ``suite``; its exit code, stdout and stderr."""
    env = {**os.environ, "OBSDRILL_CACHE_DIR": str(cwd / "cache")}
    return subprocess.run([sys.executable, "-c", _MAIN, str(suite), *argv], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
