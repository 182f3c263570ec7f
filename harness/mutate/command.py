"""`obsdrill mutate`: generate the mutants of the config under test, run the scenarios that touch each one,
print and write the score (reports/mutate/result.json, an Allure result). ``--min-score`` makes it a gate."""

from __future__ import annotations

import argparse
import functools
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from harness.config import load_source
from harness.errors import ConfigError
from harness.events import Events
from harness.mutate import operators, resume
from harness.mutate.execution import NOT_RUN, Executor, Fate, mode_of, pool, run_all
from harness.mutate.score import Score, write
from harness.mutate.selection import PER_MUTANT, Plan, plan
from harness.reporting.console import ConsolePrinter
from harness.scenario import Scenario, load_scenarios
from harness.settings import Settings

MODES = ("core", "full")  # the order the mutants run in: most need only the core stack
PARALLEL = 2  # workers (stacks) by default: measured on 2 cores, see docs/measurements.md


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    mutate = sub.add_parser("mutate", parents=[common], help="mutation score of the config: small realistic "
                            "defects, each run against the scenarios that touch it")
    mutate.add_argument("--budget", type=float, default=60.0, help="minutes to spend running mutants "
                        "(default 60); the ones not reached are listed as not run")
    mutate.add_argument("--min-score", type=float, help="exit 1 when the score (%%) is below this")
    mutate.add_argument("--only", nargs="+", default=[], metavar="ID",
                        help="mutant ids, or their prefixes up to a ':' (an operator, an operator:alert)")
    mutate.add_argument("--per-mutant", type=int, default=PER_MUTANT,
                        help=f"scenarios tried per mutant at most, best placed first (default {PER_MUTANT})")
    mutate.add_argument("--no-baseline", action="store_true", help="do not first run the scenarios on the "
                        "unmutated config (a scenario failing there kills every mutant and proves nothing)")
    mutate.add_argument("--parallel", type=int, default=PARALLEL, metavar="N",
                        help=f"mutants run at once, each worker on its own stack (default {PARALLEL}); scenarios "
                        "that touch the whole host (CPU burn, memory ramp) still run alone")
    mutate.add_argument("--resume", type=Path, metavar="RESULT_JSON", help="keep the kills an earlier "
                        "result.json records (unless the killing scenario was edited since) and run the rest")
    mutate.add_argument("--list", action="store_true", help="list the mutants and their scenarios, run nothing")
    mutate.add_argument("--verbose", action="store_true", help="print every phase of every scenario run")
    mutate.set_defaults(fn=cmd_mutate)


def _said(worker: int, workers: int) -> Callable[[str], None]:
    prefix = f"[{worker + 1}/{workers}] " if workers > 1 else ""
    return lambda text: print(prefix + text, flush=True)


def _events(verbose: bool) -> Events:
    events = Events()
    if verbose:
        ConsolePrinter().subscribe(events)
    return events


def _without_failing(plans: list[Plan], scenarios: list[Scenario], executors: list[Executor], mode: str,
                     per_mutant: int) -> list[Plan]:
    """The plans again, without the scenarios that fail on the unmutated config on the ``mode`` stack (said,
    with why); the baseline runs spread over the executors."""
    runs = [s for s in scenarios if any(s in p.scenarios for p in plans)]
    verdicts = pool([functools.partial(Executor.baseline, scenario=s, mode=mode) for s in runs], executors)
    failed = set()
    for scenario, why in zip(runs, verdicts, strict=True):
        if why is not None:
            failed.add(scenario.name)
            print(f"baseline: {scenario.name} fails on the unmutated config ({mode} stack), left out:\n    "
                  + why.replace("\n", "\n    "))
    return [plan(p.mutant, [s for s in scenarios if s.name not in failed], per_mutant) for p in plans]


def _run_modes(plans: list[Plan], scenarios: list[Scenario], executors: list[Executor],
               args: argparse.Namespace, judged: list[Fate]) -> list[Fate]:
    """Core mutants on every worker, then the few full-stack ones (logs, traces) on the first alone; each
    mode's baseline first. Fates in plan order."""
    started, fates = time.monotonic(), {}
    for mode in MODES:
        group = [p for p in plans if mode_of(p.mutant) == mode]
        workers = executors if mode == "core" else executors[:1]
        if group and not args.no_baseline:
            group = _without_failing(group, scenarios, workers, mode, args.per_mutant)
        budget = args.budget * 60 - (time.monotonic() - started)
        fates.update({f.mutant.id: f for f in run_all(group, workers, budget, judged)})
    return [fates[p.mutant.id] for p in plans]


def _in_order(plans: list[Plan], judged: list[Fate], missing: str) -> tuple[Fate, ...]:
    """The fates in plan order; a plan without one is NOT_RUN with ``missing`` as why."""
    by_id = {f.mutant.id: f for f in judged}
    return tuple(by_id.get(p.mutant.id) or Fate(p.mutant, NOT_RUN, message=missing) for p in plans)


def cmd_mutate(args: argparse.Namespace) -> int:
    if args.parallel < 1:
        raise ConfigError(f"--parallel: {args.parallel} is not a number of workers (>= 1)")
    settings = Settings.from_options(time_factor=args.time_factor, config_dir=args.config_dir,
                                     scenarios_dir=args.scenarios_dir, images=args.images,
                                     reports_dir=args.reports_dir)
    mutants = operators.only(operators.generate(load_source(settings.config_dir)), args.only)
    unknown = [i for i in args.only if not operators.only(mutants, [i])]
    if unknown:
        raise ConfigError(f"--only: no mutant has the id or prefix {', '.join(unknown)} (see --list)")
    scenarios = load_scenarios(settings.scenarios_dir)
    plans = [plan(m, scenarios, args.per_mutant) for m in mutants]
    print(f"{len(plans)} mutants of {settings.config_dir} against {len(scenarios)} scenarios "
          f"of {settings.scenarios_dir}")
    if args.list:
        for p in plans:
            print(f"  {p.mutant.id}: {p.mutant.description}\n      -> {p.why}")
        return 0
    from harness.runtime import ensure_runtime

    done = resume.kept(args.resume, plans, scenarios) if args.resume else {}
    if done:
        print(f"--resume {args.resume}: {len(done)} kills kept, {len(plans) - len(done)} mutants to run")
    started, judged = time.monotonic(), list(done.values())
    try:
        with tempfile.TemporaryDirectory(prefix="obsdrill-mutants-") as work:
            runtime = ensure_runtime(settings.cache_dir)
            with ExitStack() as stacks:
                executors = [stacks.enter_context(Executor(settings, runtime, Path(work) / str(n), lambda: _events(
                    args.verbose), say=_said(n, args.parallel))) for n in range(args.parallel)]
                _run_modes([p for p in plans if p.mutant.id not in done], scenarios, executors, args, judged)
    except KeyboardInterrupt:  # SIGINT/SIGTERM: what was judged is written (the rest: not run), then exit
        partial = Score(_in_order(plans, judged, "interrupted before it ran"), time.monotonic() - started)
        print(f"\ninterrupted; partial result: {write(partial, settings.reports_dir)} (--resume it)")
        raise
    score = Score(_in_order(plans, judged, ""), time.monotonic() - started)
    print("\n" + score.text())
    print(f"\nresult: {write(score, settings.reports_dir)}")
    if args.min_score is not None and score.percent < args.min_score:
        print(f"mutation score {score.percent:.1f}% is below --min-score {args.min_score:g}")
        return 1
    return 0
