"""obsdrill command line. Exit codes: 0 pass, 1 fail, 2 usage or config error."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path
from typing import Any

from harness import envvars, report
from harness.errors import ObsdrillError
from harness.settings import DEFAULT_TIME_FACTOR, IMAGE_POLICIES, STACK_MODES, Settings


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_options(
        time_factor=getattr(args, "time_factor", None), config_dir=getattr(args, "config_dir", None),
        scenarios_dir=getattr(args, "scenarios_dir", None), images=getattr(args, "images", None),
        stack=getattr(args, "stack", None))


def cmd_runtime(args: argparse.Namespace) -> int:
    from harness.runtime import ensure_runtime

    runtime = ensure_runtime(_settings(args).cache_dir)
    print(f"container runtime: {runtime.describe()}")
    return 0


def cmd_images(args: argparse.Namespace) -> int:
    from harness.images import load_recipes, resolve_images
    from harness.runtime import ensure_runtime

    settings = _settings(args)
    runtime = ensure_runtime(settings.cache_dir)
    recipes = load_recipes(settings.config_dir / "images")
    from harness.topology import images_for

    names = tuple(args.names) or images_for(settings.stack_mode)
    unknown = [n for n in names if n not in recipes]
    if unknown:
        raise ObsdrillError(f"images build: unknown image(s) {', '.join(unknown)} (known: {', '.join(recipes)})")
    started = time.monotonic()
    client = runtime.client()
    for name, choice in resolve_images(client, settings, recipes, names).items():
        if not choice.available:
            print(f"{name}: unavailable (no image): {choice.reason}")
            continue
        size = int(client.images.get(choice.image).attrs.get("Size", 0)) / 1e6
        print(f"{name}: {choice.image} [{choice.source}] {size:.0f} MB")
    print(f"images ready in {time.monotonic() - started:.1f}s")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from harness.scenario import load_scenarios

    for scenario in load_scenarios(_settings(args).scenarios_dir):
        alerts = ", ".join(f"{a.describe()} -> {a.receiver}" for a in scenario.alerts) or "no alert fires"
        print(f"{scenario.name:26} {alerts}\n{'':26} {scenario.description}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from harness.scenario.check import scenario_files, validate

    settings = _settings(args)
    files = [Path(f) for f in args.files] or scenario_files(settings.scenarios_dir)
    result = validate(files, settings.config_dir)
    for path in result.ok:
        print(f"ok  {path}")
    for problem in result.problems:
        print(f"error: {problem}", file=sys.stderr)
    print(result.config)
    return 0 if result.passed else 2


def cmd_run(args: argparse.Namespace) -> int:
    import pytest

    settings = _settings(args)
    results = settings.reports_dir / "allure-results"
    pytest_args = ["-p", "no:locust", str(Path(__file__).parent / "suite" / "test_scenarios.py"),
                   f"--alluredir={results}", "--clean-alluredir", "-v", "--capture=tee-sys",
                   "-o", "addopts=--strict-markers",
                   f"--obsdrill-time-factor={settings.time_factor}",
                   f"--obsdrill-scenarios-dir={settings.scenarios_dir}",
                   f"--obsdrill-config-dir={settings.config_dir}", f"--obsdrill-images={settings.image_policy}"]
    pytest_args += [f"--obsdrill-scenario={name}" for name in args.scenarios]
    pytest_args.append(f"--obsdrill-stack={settings.stack_mode}")
    code = int(pytest.main(pytest_args, plugins=[]))
    if args.report:
        index = report.render(results, settings.reports_dir / "allure-report")
        print(f"\nAllure report: {index}")
    return {0: 0, 1: 1}.get(code, 2)


def cmd_report(args: argparse.Namespace) -> int:
    settings = _settings(args)
    index = report.render(settings.reports_dir / "allure-results", settings.reports_dir / "allure-report")
    print(f"Allure report: {index}")
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from harness.runtime import ensure_runtime
    from harness.stack import Stack

    settings = _settings(args)
    stack = Stack(settings, ensure_runtime(settings.cache_dir), detached=True)
    stack.start()  # stops what it started if it fails or is interrupted
    print(f"\nobsdrill stack {stack.run_id} is up ({settings.stack_mode}, time factor {settings.time_factor:g}):")
    for name, url in stack.urls().items():
        print(f"  {name:14} {url}")
    for fact, value in stack.facts().items():
        if fact == "Grafana" and not value.startswith("http"):
            print(f"  Grafana: {value}")
    print(f"rendered config: {stack.run_dir}\nstop it with: obsdrill down")
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    from harness.reaper import reap
    from harness.runtime import ensure_runtime

    settings = _settings(args)
    client = ensure_runtime(settings.cache_dir, install=False).client()
    if args.run:
        removed = reap(client, run_id=args.run, cache_dir=settings.cache_dir)
    else:
        removed = reap(client, detached=True, cache_dir=settings.cache_dir)
    print("\n".join(removed) if removed else "no stack started by `obsdrill up` is running")
    return 0


def cmd_reap(args: argparse.Namespace) -> int:
    from harness.reaper import reap
    from harness.runtime import ensure_runtime

    runtime = ensure_runtime(_settings(args).cache_dir, install=False)
    removed = reap(runtime.client(), everything=args.all, cache_dir=_settings(args).cache_dir)
    print("\n".join(removed) if removed else "nothing to reap")
    return 0


def cmd_compose(args: argparse.Namespace) -> int:
    from harness.compose import CONFIG_SUBDIR, write_compose
    from harness.settings import project_root

    settings = _settings(args)
    out = Path(args.out) if args.out else project_root()
    target = write_compose(settings, out)
    print(f"wrote {target} (full stack, time factor {settings.time_factor:g}); its config is in {out / CONFIG_SUBDIR}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="obsdrill", description=__doc__)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config-dir", help="config dir with prometheus/, alertmanager/, images/ (default stack/)")
    common.add_argument("--scenarios-dir", help="directory of scenario files (default scenarios/)")
    common.add_argument("--time-factor", type=float,
                        help=f"1.0 = real time (default {DEFAULT_TIME_FACTOR:g} or {envvars.TIME_FACTOR})")
    common.add_argument("--images", choices=IMAGE_POLICIES, help="image policy (default auto)")
    common.add_argument("--stack", choices=STACK_MODES,
                        help="full (default: metrics, logs, traces, Grafana if it has an image) or core "
                             "(metrics, alerts)")
    sub = parser.add_subparsers(dest="command", required=True)
    runtime = sub.add_parser("runtime", parents=[common], help="find or set up the container runtime")
    runtime.set_defaults(fn=cmd_runtime)
    images = sub.add_parser("images", parents=[common], help="resolve/build images: `obsdrill images build [NAME...]`")
    images.add_argument("action", choices=["build"])
    images.add_argument("names", nargs="*")
    images.set_defaults(fn=cmd_images)
    sub.add_parser("list", parents=[common], help="list scenarios").set_defaults(fn=cmd_list)
    validate = sub.add_parser("validate", parents=[common], help="check scenario files and config, start nothing")
    validate.add_argument("files", nargs="*")
    validate.set_defaults(fn=cmd_validate)
    run = sub.add_parser("run", parents=[common], help="run scenarios on the real stack")
    run.add_argument("scenarios", nargs="*")
    run.add_argument("--report", action="store_true", help="render the Allure HTML report afterwards")
    run.set_defaults(fn=cmd_run)
    sub.add_parser("up", parents=[common], help="start the stack and leave it running; prints every URL"
                   ).set_defaults(fn=cmd_up)
    down = sub.add_parser("down", parents=[common], help="stop what `obsdrill up` started")
    down.add_argument("--run", help="only this run id")
    down.set_defaults(fn=cmd_down)
    sub.add_parser("report", parents=[common], help="render the Allure HTML report").set_defaults(fn=cmd_report)
    reap = sub.add_parser("reap", parents=[common], help="remove what killed runs left")
    reap.add_argument("--all", action="store_true", help="remove every obsdrill container/network/volume")
    reap.set_defaults(fn=cmd_reap)
    compose = sub.add_parser("compose", parents=[common],
                             help="write docker-compose.yml (full stack) and the config it mounts (reports/compose/)")
    compose.add_argument("--out", help="dir for docker-compose.yml and reports/compose/ (default: the repository root)")
    compose.set_defaults(fn=cmd_compose)
    return parser


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # so every `finally` (teardown) runs on SIGTERM too


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        return int(args.fn(args))
    except ObsdrillError as exc:
        print(f"obsdrill: error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
