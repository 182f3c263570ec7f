"""Evaluate the unscaled rules over real-time samples with Prometheus's own rule engine, `promtool test
rules`: one test whose input series are the compressed run's samples on real time and which, at every
evaluation step, expects ``ALERTS`` to be empty; promtool's report of what it got instead is the alert state
at that step."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import docker
import yaml

from harness import durations
from harness.certify.samples import Series, place
from harness.components.spec import owner_labels
from harness.errors import ObsdrillError
from harness.reaper import process_labels

TEST_FILE = "certificate_test.yml"
_CASE = re.compile(r'expr: "(?:\\.|[^"\\])*", time: (\S+),\n\s+exp: .*\n\s+got: (.*)')
_SAMPLE = re.compile(r'\{((?:[^{}"]|"(?:\\.|[^"\\])*")*)\} (\S+)')
_LABEL = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:\\.|[^"\\])*)"')
_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}


@dataclass(frozen=True)
class Grid:
    """The real-time grid the input series are placed on (test time 0 is ``start``): its step divides every
    scrape interval and the evaluation interval, so each sample and each evaluation falls on a point."""

    start: float
    step: float
    evaluation_interval: float
    count: int  # grid points

    @property
    def duration(self) -> float:
        return (self.count - 1) * self.step

    def eval_steps(self) -> list[float]:
        steps = int(self.duration // self.evaluation_interval + 1e-9) + 1
        return [k * self.evaluation_interval for k in range(steps)]


def values_text(values: Sequence[float | str | None]) -> str:
    """promtool's series notation: a number, ``stale``, or ``_`` (no sample), a run of n blanks as ``_xn``."""
    out: list[str] = []
    blanks = 0
    for v in [*values, 0.0]:  # the sentinel flushes a trailing run of blanks
        if v is None:
            blanks += 1
            continue
        if blanks:
            out.append("_" if blanks == 1 else f"_x{blanks}")
            blanks = 0
        out.append(v if isinstance(v, str) else repr(float(v)))
    return " ".join(out[:-1])


def test_document(rule_file: str, series: Sequence[Series], grid: Grid, alerts: Sequence[str]) -> dict[str, Any]:
    """A promtool test file: ``series`` (already on real time) placed on ``grid``; one empty-ALERTS
    expectation per evaluation step."""
    inputs = [{"series": s.promql(), "values": values_text(place(s, grid.start, grid.step, grid.count))}
              for s in series]
    expr = "ALERTS{alertname=~" + '"' + "|".join(re.escape(a) for a in alerts) + '"}'
    cases = [{"expr": expr, "eval_time": durations.format(step) if step else "0s", "exp_samples": []}
             for step in grid.eval_steps()]
    return {"rule_files": [rule_file], "evaluation_interval": durations.format(grid.evaluation_interval),
            "tests": [{"interval": durations.format(grid.step), "input_series": inputs,
                       "promql_expr_test": cases}]}


def parse_output(text: str) -> dict[float, list[dict[str, str]]]:
    """test time (seconds) -> the ALERTS samples promtool got there, for every step where it got some."""
    out: dict[float, list[dict[str, str]]] = {}
    for match in _CASE.finditer(text):
        at = durations.parse(match.group(1), "promtool eval time")
        found = _SAMPLE.findall(match.group(2))
        if len(found) != match.group(2).count("__name__="):
            raise ObsdrillError(f"promtool: cannot read the samples it got at {match.group(1)}: {match.group(2)}")
        out[at] = [{k: _unescape(v) for k, v in _LABEL.findall(inner)} for inner, _ in found]
    return out


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), value)


class Runner(Protocol):
    def describe(self) -> str: ...

    def run(self, directory: Path, test_file: str) -> tuple[int, str]: ...


class HostPromtool:
    def __init__(self, path: str) -> None:
        self.path = path

    def describe(self) -> str:
        return f"promtool at {self.path}"

    def run(self, directory: Path, test_file: str) -> tuple[int, str]:
        done = subprocess.run([self.path, "test", "rules", test_file], cwd=directory, capture_output=True,
                              text=True, timeout=600, check=False)
        return done.returncode, done.stdout + done.stderr


class ContainerPromtool:
    """promtool from the Prometheus image, run through the container engine with ``directory`` mounted."""

    def __init__(self, client: docker.DockerClient, image: str) -> None:
        self.client, self.image = client, image

    def describe(self) -> str:
        return f"promtool in {self.image}"

    def run(self, directory: Path, test_file: str) -> tuple[int, str]:
        labels = owner_labels(f"certify-{uuid.uuid4().hex[:8]}", process_labels())
        container = self.client.containers.run(
            self.image, ["test", "rules", f"/work/{test_file}"], entrypoint="promtool", working_dir="/work",
            volumes={str(directory): {"bind": "/work", "mode": "ro"}}, labels=labels, detach=True)
        try:
            code = int(container.wait(timeout=600).get("StatusCode", -1))
            # each stream on its own: interleaved, stdout's blank lines land inside stderr's report lines
            out, err = (container.logs(stdout=o, stderr=not o).decode(errors="replace") for o in (True, False))
            return code, f"{out}\n{err}"
        finally:
            container.remove(force=True)


def host_promtool() -> HostPromtool | None:
    found = shutil.which("promtool")
    return HostPromtool(found) if found else None


def evaluate(runner: Runner, directory: Path, rules: dict[str, Any], document: dict[str, Any]
             ) -> dict[float, list[dict[str, str]]]:
    """Write the rules and the test into ``directory``, run promtool, and return the ALERTS it got per step."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o755)
    for name, doc in ((document["rule_files"][0], rules), (TEST_FILE, document)):
        path = directory / name
        path.write_text(yaml.safe_dump(doc, sort_keys=False, width=1_000_000))
        path.chmod(0o644)
    code, text = runner.run(directory, TEST_FILE)
    got = parse_output(text)
    if code not in (0, 1) or (code == 1 and not got):
        tail = "\n".join(text.splitlines()[-20:])
        raise ObsdrillError(f"{runner.describe()}: `promtool test rules {directory / TEST_FILE}` exited {code} "
                            f"without alert results:\n{tail}")
    return got
