"""obsdrill command line. Exit codes: 0 pass, 1 an expectation failed, 2 usage or config error,
3 infrastructure (container runtime, images, readiness) or an internal error (one line on stderr, the
traceback in reports/obsdrill-error.log)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

from harness import __version__, cliout, envvars, external, report, session
from harness.clistack import add_parsers as add_stack_commands
from harness.errors import Interrupted, ObsdrillError, interrupted_code
from harness.repeat import repeat_count
from harness.settings import DEFAULT_TIME_FACTOR, IMAGE_POLICIES, STACK_MODES, Settings

HISTORY_HELP = ("keep the Allure history (trend, each test's past runs) in DIR/history.jsonl: read before "
                "rendering, saved after")


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_options(
        time_factor=getattr(args, "time_factor", None), config_dir=getattr(args, "config_dir", None),
        scenarios_dir=getattr(args, "scenarios_dir", None), images=getattr(args, "images", None),
        stack=getattr(args, "stack", None), reports_dir=getattr(args, "reports_dir", None))






def cmd_list(args: argparse.Namespace) -> int:
    from harness.scenario import load_scenarios

    scenarios = load_scenarios(_settings(args).scenarios_dir)
    if args.json:
        print(json.dumps([cliout.scenario_dict(s) for s in scenarios], indent=2))
        return 0
    for scenario in scenarios:
        alerts = ", ".join(f"{a.describe()} -> {a.receiver}" for a in scenario.alerts) or "no alert fires"
        print(f"{scenario.name:26} {alerts}\n{'':26} {scenario.description}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    files = [Path(f) for f in args.files] or None
    result, provenance = cliout.check(settings, files)
    if args.tools:  # the servers' own verdict: promtool check rules, amtool check-config (needs a runtime)
        from harness.toolcheck import check_with_tools

        tools = check_with_tools(settings)
        result.problems += tools.problems
        print("\n".join(tools.notes), file=sys.stderr if args.json else sys.stdout)
    if args.json:
        print(json.dumps(cliout.validation_dict(settings, result, provenance), indent=2))
        return 0 if result.passed else 2
    for item in provenance:
        print(f"{item.origin:8} {item.path:52} {item.source}")
    for path in result.ok:
        print(f"ok  {path}")
    for problem in result.problems:
        print(f"error: {problem}", file=sys.stderr)
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(result.config)
    return 0 if result.passed else 2


def cmd_run(args: argparse.Namespace) -> int:
    import pytest

    from harness.outcome import Outcome

    settings = _settings(args)
    result, _ = cliout.check(settings, None, args.scenarios)  # what validate rejects, run rejects (exit 2)
    for problem in result.problems:
        print(f"error: {problem}", file=sys.stderr)
    if not result.passed:
        return 2
    results = settings.reports_dir / "allure-results"
    os.environ.update({**external.options_env(args), **session.options_env(args)})  # the pytest session reads them
    if settings.stack_mode == "external" and not args.reuse:
        external.load_target()  # missing or bad URLs: one line, exit 2, before pytest starts
    outcome = Outcome()
    no_bytecode, sys.dont_write_bytecode = sys.dont_write_bytecode, True  # no .pyc into the installed package
    started = time.time()
    try:
        code = outcome.code(int(pytest.main(cliout.pytest_args(settings, args, results), plugins=[outcome])))
    finally:
        sys.dont_write_bytecode = no_bytecode
    if args.repeat > 1:
        from harness import repeat

        print("\n".join(repeat.report(settings.reports_dir / "runs", started)))
    if args.report or args.history:
        index = report.render(results, settings.reports_dir / "allure-report", history=_history(args))
        print(f"\nAllure report: {index}")
    return code


def _history(args: argparse.Namespace) -> Path | None:
    return Path(args.history).resolve() if getattr(args, "history", None) else None


def cmd_report(args: argparse.Namespace) -> int:
    settings = _settings(args)
    index = report.render(settings.reports_dir / "allure-results", settings.reports_dir / "allure-report",
                          history=_history(args))
    print(f"Allure report: {index}")
    return 0










def cmd_init(args: argparse.Namespace) -> int:
    from harness.init import scaffold

    target = Path(args.dir)
    for path in scaffold(target, force=args.force):
        print(f"wrote {path}")
    print(f"\nnext: cd {target} && obsdrill validate && obsdrill run --stack core")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="obsdrill", description=__doc__)
    parser.add_argument("--version", action="version", version=f"obsdrill {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config-dir", help="your config dir, layered over the shipped defaults: it overrides "
                                             "only the files it has (default ./config if present)")
    common.add_argument("--scenarios-dir", help="directory of scenario files (default ./scenarios if present, "
                                                "else the built-in ones)")
    common.add_argument("--reports-dir", help="where results, rendered config and reports go (default ./reports)")
    common.add_argument("--time-factor", type=float,
                        help=f"1.0 = real time (default {DEFAULT_TIME_FACTOR:g} or {envvars.TIME_FACTOR})")
    common.add_argument("--images", choices=IMAGE_POLICIES, help="image policy (default auto)")
    common.add_argument("--stack", choices=STACK_MODES,
                        help="full (default: metrics, logs, traces, Grafana if it has an image), core "
                             "(metrics, alerts) or external (`run` on a stack given by URL, see --external)")
    sub = parser.add_subparsers(dest="command", required=True)
    add_stack_commands(sub, common, _settings)  # runtime, browser, images, up, down, reap, compose
    init = sub.add_parser("init", help="scaffold a project: config/, scenarios/, tests/, CI examples")
    init.add_argument("dir")
    init.add_argument("--force", action="store_true", help="write into a non-empty DIR (overwrites those files)")
    init.set_defaults(fn=cmd_init)
    listing = sub.add_parser("list", parents=[common], help="list scenarios")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(fn=cmd_list)
    validate = sub.add_parser("validate", parents=[common], help="check scenario files and config, start nothing")
    validate.add_argument("files", nargs="*")
    validate.add_argument("--json", action="store_true", help="machine-readable output")
    validate.add_argument("--tools", action="store_true", help="also run promtool check rules and amtool "
                          "check-config from the Prometheus/Alertmanager images (skipped, saying so, without a "
                          "container engine)")
    validate.set_defaults(fn=cmd_validate)
    run = sub.add_parser("run", parents=[common], help="run scenarios on the real stack; pytest arguments "
                                                       "after `--` (e.g. `obsdrill run -- --lf -vv`)")
    run.add_argument("scenarios", nargs="*")
    run.add_argument("--report", action="store_true", help="render the Allure HTML report afterwards")
    run.add_argument("--history", metavar="DIR", help=HISTORY_HELP + " (implies --report)")
    run.add_argument("--junitxml", help="write a JUnit XML report to this path (pytest --junitxml)")
    run.add_argument("-k", dest="keyword", help="only tests matching this pytest -k expression")
    run.add_argument("--stacks", type=int, default=1, metavar="N",
                     help="run scenarios that share nothing at the same time on N stacks (host-wide ones alone)")
    run.add_argument("-x", "--exitfirst", action="store_true", help="stop at the first failure")
    run.add_argument("--repeat", type=repeat_count, default=1, metavar="N",
                     help="run the selected scenarios N times on one stack; prints per scenario the pass count "
                          "and the spread of fire/notification times")
    run.add_argument("--lf", "--last-failed", dest="last_failed", action="store_true",
                     help="rerun only the tests that failed last time")
    external.add_options(run)
    run.add_argument("--reuse", nargs="?", const=session.LATEST, metavar="RUN_ID",
                     help="run on the stack `obsdrill up` started (default: the latest), reset between scenarios")
    run.set_defaults(fn=cmd_run)
    report_cmd = sub.add_parser("report", parents=[common], help="render the Allure HTML report")
    report_cmd.add_argument("--history", metavar="DIR", help=HISTORY_HELP)
    report_cmd.set_defaults(fn=cmd_report)
    from harness.certify.command import add_parser as add_certify
    from harness.live.commands import add_parsers as add_live

    add_certify(sub, common)
    add_live(sub, common, _settings)  # reload, fault, faults on the `obsdrill up` stack
    from harness.mutate.command import add_parser as add_mutate  # issue 16

    add_mutate(sub, common)
    from harness.clislo import add_parser as add_slo

    add_slo(sub, common, _settings)  # slo rules
    return parser


def _terminate(signum: int, frame: Any) -> None:
    """SIGTERM or SIGINT: stop like Ctrl-C (pytest ends the session as interrupted, every teardown runs); a
    second signal is ignored so it cannot cut the teardown short (SIGKILL still can; the reaper then cleans)."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)
    raise Interrupted(signum)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The parsed command line; everything after the first ``--`` goes to pytest unchanged (``obsdrill run``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    cut = argv.index("--") if "--" in argv else len(argv)
    parser = build_parser()
    args = parser.parse_args(argv[:cut])
    args.pytest_args = argv[cut + 1:]
    if args.pytest_args and args.command != "run":
        parser.error(f"arguments after `--` are for pytest, only with `obsdrill run` (not {args.command})")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _terminate)
    try:
        return int(args.fn(args))
    except ObsdrillError as exc:
        print(f"obsdrill: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt as exc:  # SIGINT or SIGTERM outside pytest (up, images build, ...)
        print(f"obsdrill: {exc or 'interrupted by signal 2'}", file=sys.stderr)
        return interrupted_code(exc)
    except Exception as exc:  # no input ends in a traceback: one line, the exit code, the full log's path
        log = _error_log()
        print(f"obsdrill: internal error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
              f" (full traceback: {log})", file=sys.stderr)
        return 3


def _error_log() -> Path:
    import tempfile
    import traceback

    try:
        directory = Settings.from_env().reports_dir
        directory.mkdir(parents=True, exist_ok=True)
    except (OSError, ObsdrillError):
        directory = Path(tempfile.gettempdir())
    path = directory / "obsdrill-error.log"
    path.write_text(traceback.format_exc())
    return path


if __name__ == "__main__":
    sys.exit(main())
