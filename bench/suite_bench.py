"""`bench/benchmark.py suite`: the built-in suite run sequentially (one stack) and concurrently (N stacks,
harness/schedule.py) in one invocation: wall time of each and their ratio, peak host CPU and memory of each,
pass counts (JUnit), and per alert the observed notification time against the physical limit at the run's
factor (the rule's `for` + one evaluation + one scrape + group_wait: nothing can page sooner)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from harness import envvars
from harness.config import load_source
from harness.render import render
from harness.settings import Settings


class HostSampler:
    """Peak busy CPU (% of all cores, from /proc/stat) and peak used memory (MemTotal - MemAvailable)."""

    def __init__(self, every: float = 1.0) -> None:
        self.every, self.cpu_peak, self.mem_peak_mib = every, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    @staticmethod
    def _cpu() -> tuple[int, int]:
        fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        return sum(fields), fields[3] + fields[4]  # total, idle + iowait

    @staticmethod
    def _mem_mib() -> float:
        info = dict(line.split(":", 1) for line in Path("/proc/meminfo").read_text().splitlines())
        return (int(info["MemTotal"].split()[0]) - int(info["MemAvailable"].split()[0])) / 1024

    def _loop(self) -> None:
        total, idle = self._cpu()
        while not self._stop.wait(self.every):
            t, i = self._cpu()
            if t > total:
                self.cpu_peak = max(self.cpu_peak, 100.0 * (1 - (i - idle) / (t - total)))
            total, idle = t, i
            self.mem_peak_mib = max(self.mem_peak_mib, self._mem_mib())

    def __enter__(self) -> HostSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def _junit(path: Path) -> dict[str, int]:
    if not path.is_file():
        return {}
    root = ET.parse(path).getroot()
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    assert suite is not None
    counts = {k: int(suite.get(k, 0)) for k in ("tests", "failures", "errors", "skipped")}
    counts["passed"] = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    return counts


def physical_limits(settings: Settings) -> dict[str, float]:
    """Per alert rule: `for` + one evaluation + one scrape + group_wait, at the settings' factor."""
    with tempfile.TemporaryDirectory() as tmp:
        config = render(load_source(settings.config_dir), settings.time_factor, Path(tmp))
    t = config.timing
    return {r.name: r.for_seconds + t.evaluation_interval + t.scrape_interval + t.group_wait for r in config.rules}


def run_suite(settings: Settings, stacks: int, out: Path, extra: list[str]) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "harness.cli", "run", "--reports-dir", str(out), "--stacks", str(stacks),
               "--time-factor", str(settings.time_factor), "--junitxml", str(out / "junit.xml"), *extra]
    print(f"[bench] {' '.join(command)}", flush=True)
    with HostSampler() as sampler, (out / "run.log").open("w") as log:
        started = time.monotonic()
        # the stacks' run dirs (result.json) follow the environment, not --reports-dir
        env = {**os.environ, envvars.REPORTS_DIR: str(out)}
        code = subprocess.call(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        wall = time.monotonic() - started
    alerts = []
    for path in sorted(out.glob("runs/*/result.json")):
        for scenario in json.loads(path.read_text())["scenarios"]:
            for key, row in scenario["alerts"].items():
                alerts.append({"scenario": scenario["scenario"], "alert": key, "passed": scenario["passed"],
                               "notified_after_s": row.get("notified_after_s"),
                               "certificate": scenario.get("certificate", {}).get(key.partition("{")[0])})
    return {"stacks": stacks, "exit": code, "wall_s": round(wall, 1), "cpu_peak_pct": round(sampler.cpu_peak),
            "mem_peak_mib": round(sampler.mem_peak_mib), "junit": _junit(out / "junit.xml"), "alerts": alerts,
            "reports": str(out)}


def bench_suite(settings: Settings, stacks: int, extra: list[str]) -> dict[str, Any]:
    base = settings.reports_dir / "bench" / f"suite-{time.strftime('%Y%m%d-%H%M%S')}"
    limits = physical_limits(settings)
    runs = {"sequential": run_suite(settings, 1, base / "sequential", extra),
            "concurrent": run_suite(settings, stacks, base / "concurrent", extra)}
    for name, run in runs.items():
        print(f"{name:10} {run['stacks']} stack(s): wall {run['wall_s']:6.0f}s, exit {run['exit']}, "
              f"junit {run['junit']}, CPU peak {run['cpu_peak_pct']}%, memory peak {run['mem_peak_mib']} MiB")
        for row in run["alerts"]:
            limit = limits.get(row["alert"].partition("{")[0])
            cert = row["certificate"] or {}
            print(f"  {row['scenario']:26} {row['alert']:58} notified {row['notified_after_s']}s, physical "
                  f"limit {limit:.1f}s, certificate {cert.get('holds')}")
    ratio = runs["sequential"]["wall_s"] / max(runs["concurrent"]["wall_s"], 1e-9)
    print(f"sequential / concurrent wall time: {ratio:.2f}")
    return {"time_factor": settings.time_factor, "physical_limits_s": limits, "ratio": round(ratio, 2), **runs}
