"""Allure: environment facts written beside the results, and the HTML report rendered offline by
Allure 3 (npm package `allure`, installed into ~/.cache/obsdrill/tools/allure on first use; never into the
installed package)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from harness.errors import ObsdrillError
from harness.resources import cache_home
from harness.system import run

ALLURE_VERSION = "3.18.0"


def tools_dir() -> Path:
    return cache_home() / "tools" / "allure"


def allure_bin() -> Path:
    """The Allure 3 CLI, installed from npm into the cache if it is not there yet."""
    binary = tools_dir() / "node_modules" / ".bin" / "allure"
    if binary.exists():
        return binary
    if shutil.which("npm") is None:
        raise ObsdrillError("Allure report: npm is not installed (apt-get install npm, or install Node.js)")
    print(f"[obsdrill] installing Allure {ALLURE_VERSION} from npm into {tools_dir()}", flush=True)
    tools_dir().mkdir(parents=True, exist_ok=True)
    run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(tools_dir()), f"allure@{ALLURE_VERSION}"],
        "Allure report: npm install", ObsdrillError)
    return binary


def write_environment(results: Path, facts: Mapping[str, str]) -> None:
    results.mkdir(parents=True, exist_ok=True)
    lines = [f"{k.replace(' ', '_')}={v}" for k, v in facts.items()]
    (results / "environment.properties").write_text("\n".join(lines) + "\n")


def render(results: Path, output: Path, name: str = "obsdrill acceptance") -> Path:
    if not results.is_dir() or not any(results.glob("*-result.json")):
        raise ObsdrillError(f"Allure report: no results in {results} (run the suite with --alluredir first)")
    binary = allure_bin()
    shutil.rmtree(output, ignore_errors=True)
    proc = subprocess.run([str(binary), "generate", str(results), "--output", str(output), "--name", name],
                          capture_output=True, text=True, check=False)
    index = output / "index.html"
    if proc.returncode != 0 or not index.exists():
        raise ObsdrillError(f"Allure report: `allure generate` exited {proc.returncode}:\n"
                            f"{(proc.stdout + proc.stderr)[-2000:]}")
    return index
