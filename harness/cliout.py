"""What the CLI subcommands share: the static check run by both ``validate`` and ``run`` (so whatever
validate accepts, run accepts), machine-readable output (``--json``) and the pytest command line of ``run``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.images import load_recipes
from harness.layers import LayeredFile, provenance
from harness.scenario import Scenario, load_scenarios
from harness.scenario.check import Validation, scenario_files, validate
from harness.settings import Settings

SUITE = Path(__file__).parent / "suite" / "test_scenarios.py"


def check(settings: Settings, files: Sequence[Path] | None = None,
          names: Sequence[str] = ()) -> tuple[Validation, list[LayeredFile]]:
    """Static check of the config (rules, receivers, image recipes) and of the scenario ``files`` (default:
    the named scenarios, else every file of the scenarios dir). An unknown name is a ConfigError."""
    if files is None:
        files = ([s.path for s in load_scenarios(settings.scenarios_dir, list(names))] if names
                 else scenario_files(settings.scenarios_dir))
    result = validate(files, settings.config_dir)
    try:
        load_recipes(settings.config_dir / "images")
    except ConfigError as exc:
        result.problems.append(str(exc))
    return result, provenance(settings.config_dir)


def scenario_dict(scenario: Scenario) -> dict[str, Any]:
    return {
        "name": scenario.name, "description": scenario.description, "tags": list(scenario.tags),
        "path": str(scenario.path), "services": scenario.services(),
        "faults": [{"fault": f.fault, "service": f.service, "with": f.spec} for f in scenario.method],
        "alerts": [{"name": a.name, "labels": a.label_dict(), "receiver": a.receiver} for a in scenario.alerts],
    }


def validation_dict(settings: Settings, result: Validation, files: Sequence[LayeredFile]) -> dict[str, Any]:
    return {
        "passed": result.passed, "checked": [str(p) for p in result.checked], "ok": [str(p) for p in result.ok],
        "problems": result.problems, "summary": result.config,
        "config": {"dir": str(settings.config_dir), "files": [f.as_dict() for f in files]},
        "scenarios_dir": str(settings.scenarios_dir),
    }


def pytest_args(settings: Settings, args: argparse.Namespace, results: Path) -> list[str]:
    """The built-in suite with the run's settings, then the pass-through options (-k, -x, --lf, --junitxml,
    everything after ``--``)."""
    out = ["-p", "no:locust", str(SUITE), f"--alluredir={results}", "--clean-alluredir", "-v", "--capture=tee-sys",
           "-o", "addopts=--strict-markers", "-o", f"cache_dir={settings.reports_dir / '.pytest_cache'}",
           f"--rootdir={SUITE.parent}",  # node ids and JUnit class names independent of where it is installed
           "-W", "ignore::pytest.PytestAssertRewriteWarning",  # the command imported harness before pytest started
           f"--obsdrill-time-factor={settings.time_factor}", f"--obsdrill-scenarios-dir={settings.scenarios_dir}",
           f"--obsdrill-config-dir={settings.config_dir}", f"--obsdrill-images={settings.image_policy}",
           f"--obsdrill-stack={settings.stack_mode}", f"--obsdrill-reports-dir={settings.reports_dir}"]
    out += [f"--obsdrill-scenario={name}" for name in args.scenarios]
    if getattr(args, "repeat", 1) > 1:
        out.append(f"--obsdrill-repeat={args.repeat}")
    if args.junitxml:
        out.append(f"--junitxml={Path(args.junitxml).resolve()}")
    if args.keyword:
        out += ["-k", args.keyword]
    if getattr(args, "stacks", 1) > 1:  # several stacks, one per pytest-xdist worker (harness/schedule.py)
        out += ["-n", str(args.stacks), "--dist", "load"]
    if args.exitfirst:
        out.append("-x")
    if args.last_failed:
        out.append("--lf")
    return out + list(getattr(args, "pytest_args", []))
