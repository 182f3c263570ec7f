"""Allure: environment facts and defect categories written beside the results, and the HTML report
rendered offline by Allure 3 (npm package `allure`, installed into ~/.cache/obsdrill/tools/allure on first
use; never into the installed package). History: Allure 3 keeps it in one JSON-lines file (`historyPath`
of its config, one line per report) that it reads and appends to; ``history`` is the directory that keeps
that file from run to run."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness import progress
from harness.errors import ConfigError, ExpectationFailed, InfrastructureError, ObsdrillError
from harness.resources import cache_home
from harness.system import run

ALLURE_VERSION = "3.18.0"
HISTORY_FILE = "history.jsonl"
GROUP_BY = ["parentSuite", "suite"]  # the tree of the report: the suites by concern (reporting/allure.py)


def _names(error: type[BaseException]) -> str:
    """``error`` and its subclasses as one regex alternative."""
    found, todo = [], [error]
    while todo:
        cls = todo.pop()
        found.append(cls.__name__)
        todo += cls.__subclasses__()
    return "|".join(sorted(found))


def categories() -> list[dict[str, Any]]:
    """Allure's defect categories by the exception a scenario ended with (harness/errors.py), first match
    wins: a config defect (ConfigError: a file, field or flag is wrong), infrastructure (InfrastructureError:
    nothing was judged), a product defect (ExpectationFailed: the monitoring did not do what it must)."""
    def rule(name: str, error: type[BaseException], statuses: list[str]) -> dict[str, Any]:
        pattern = rf"[\s\S]*\b({_names(error)})\b[\s\S]*"  # whole-message (Allure 2) and search (3)
        return {"name": name, "matchedStatuses": statuses, "messageRegex": pattern}
    return [rule("config defect", ConfigError, ["broken", "failed"]),
            rule("infrastructure", InfrastructureError, ["broken", "failed"]),
            rule("product defect", ExpectationFailed, ["failed", "broken"])]


def tools_dir() -> Path:
    return cache_home() / "tools" / "allure"


def allure_bin() -> Path:
    """The Allure 3 CLI, installed from npm into the cache if it is not there yet."""
    binary = tools_dir() / "node_modules" / ".bin" / "allure"
    if binary.exists():
        return binary
    if shutil.which("npm") is None:
        raise ObsdrillError("Allure report: npm is not installed (apt-get install npm, or install Node.js)")
    progress.say(f"installing Allure {ALLURE_VERSION} from npm into {tools_dir()}")
    tools_dir().mkdir(parents=True, exist_ok=True)
    run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(tools_dir()), f"allure@{ALLURE_VERSION}"],
        "Allure report: npm install", ObsdrillError)
    return binary


def write_environment(results: Path, facts: Mapping[str, str]) -> None:
    results.mkdir(parents=True, exist_ok=True)
    lines = [f"{k.replace(' ', '_')}={v}" for k, v in facts.items()]
    (results / "environment.properties").write_text("\n".join(lines) + "\n")


def write_categories(results: Path) -> Path:
    path = results / "categories.json"
    path.write_text(json.dumps(categories(), indent=2) + "\n")
    return path


def allure_config(name: str, output: Path, history_file: Path | None) -> dict[str, Any]:
    """Allure 3's config (allurerc): the report's name and output, the categories (Allure 3 takes them from its
    config), the history file when history is kept, and two plugins: the test report (``awesome``: the tree
    grouped by suite) and the dashboard (its default charts: status dynamics over the kept history, i.e.
    the trend, results by severity, suites). With two plugins Allure writes each into its own directory,
    ``output/awesome`` and ``output/dashboard``, and ``output/index.html`` links both."""
    plugins = {"awesome": {"options": {"groupBy": GROUP_BY, "reportName": name}},
               "dashboard": {"options": {"reportName": f"{name}: trend and charts"}}}
    config: dict[str, Any] = {"name": name, "output": str(output), "categories": categories(), "plugins": plugins}
    if history_file is not None:
        config["historyPath"] = str(history_file)
    return config


def render(results: Path, output: Path, name: str = "obsdrill acceptance", history: Path | None = None) -> Path:
    """Render ``results`` into ``output``; with ``history`` (a directory), the trend and each test's history
    read from ``history/history.jsonl``, and the file saved there again with this report's line appended
    (only once the report rendered: a failed render leaves the kept history as it was)."""
    if not results.is_dir() or not any(results.glob("*-result.json")):
        raise ObsdrillError(f"Allure report: no results in {results} (run the suite with --alluredir first)")
    if history is not None and history.exists() and not history.is_dir():
        raise ConfigError(f"--history {history}: not a directory")
    binary = allure_bin()
    write_categories(results)
    shutil.rmtree(output, ignore_errors=True)
    with tempfile.TemporaryDirectory(prefix="obsdrill-allure-") as work:
        working_history = Path(work) / HISTORY_FILE if history is not None else None
        if history is not None and (history / HISTORY_FILE).is_file():
            shutil.copyfile(history / HISTORY_FILE, Path(work) / HISTORY_FILE)
        config = Path(work) / "allurerc.json"
        config.write_text(json.dumps(allure_config(name, output, working_history), indent=2))
        proc = subprocess.run([str(binary), "generate", str(results), "--config", str(config), "--output",
                               str(output)], capture_output=True, text=True, check=False)
        index = output / "index.html"
        if proc.returncode != 0 or not index.exists():
            raise ObsdrillError(f"Allure report: `allure generate` exited {proc.returncode}:\n"
                                f"{(proc.stdout + proc.stderr)[-2000:]}")
        if history is not None and working_history is not None and working_history.is_file():
            history.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(working_history, history / HISTORY_FILE)
    return index
