"""The stack's commands: runtime, browser, images, up, down, reap, compose (the ones that start, build or remove
containers rather than run scenarios)."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import session
from harness.errors import ConfigError, ObsdrillError
from harness.settings import Settings

SettingsOf = Callable[[argparse.Namespace], Settings]


def _bound(command: Callable[[argparse.Namespace, SettingsOf], int],
           settings_of: SettingsOf) -> Callable[[argparse.Namespace], int]:
    return lambda args: command(args, settings_of)


def add_parsers(sub: Any, common: argparse.ArgumentParser, settings_of: SettingsOf) -> None:
    runtime = sub.add_parser("runtime", parents=[common], help="find or set up the container runtime")
    runtime.set_defaults(fn=_bound(cmd_runtime, settings_of))
    sub.add_parser("browser", parents=[common], help="find or install the browser users' Chromium (Debian's package)"
                   ).set_defaults(fn=_bound(cmd_browser, settings_of))
    images = sub.add_parser("images", parents=[common], help="resolve/build images: `obsdrill images build [NAME...]`")
    images.add_argument("action", choices=["build"])
    images.add_argument("names", nargs="*")
    images.set_defaults(fn=_bound(cmd_images, settings_of))
    sub.add_parser("up", parents=[common], help="start the stack and leave it running; prints every URL"
                   ).set_defaults(fn=_bound(cmd_up, settings_of))
    down = sub.add_parser("down", parents=[common], help="stop what `obsdrill up` started")
    down.add_argument("--run", help="only this run id")
    down.set_defaults(fn=_bound(cmd_down, settings_of))
    reap = sub.add_parser("reap", parents=[common], help="remove what killed runs left")
    reap.add_argument("--all", action="store_true", help="remove every obsdrill container/network/volume")
    reap.set_defaults(fn=_bound(cmd_reap, settings_of))
    compose = sub.add_parser("compose", parents=[common],
                             help="write docker-compose.yml (full stack) and the config it mounts (reports/compose/)")
    compose.add_argument("--out", help="dir for docker-compose.yml and reports/compose/ (default: the repository root)")
    compose.set_defaults(fn=_bound(cmd_compose, settings_of))


def cmd_runtime(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    from harness.runtime import ensure_runtime

    runtime = ensure_runtime(settings_of(args).cache_dir)
    print(f"container runtime: {runtime.describe()}")
    return 0


def cmd_browser(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    import subprocess

    from harness.system import ensure_chromium

    path = ensure_chromium()
    version = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    print(f"browser users: {version or 'Chromium'} ({path})")
    return 0


def cmd_images(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    from harness.images import load_recipes, resolve_images
    from harness.runtime import ensure_runtime

    settings = settings_of(args)
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


def cmd_up(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    from harness.runtime import ensure_runtime
    from harness.stack import Stack

    settings = settings_of(args)
    if settings.stack_mode == "external":
        raise ConfigError("obsdrill up --stack external: an external stack is started by someone else")
    stack = Stack(settings, ensure_runtime(settings.cache_dir), detached=True)
    stack.start()  # stops what it started if it fails or is interrupted
    session.record(settings.cache_dir, stack)  # `run --reuse` and the live commands find it again
    print(f"\nobsdrill stack {stack.run_id} is up ({settings.stack_mode}, time factor {settings.time_factor:g}):")
    for name, url in stack.urls().items():
        print(f"  {name:14} {url}")
    for fact, value in stack.facts().items():
        if fact == "Grafana" and not value.startswith("http"):
            print(f"  Grafana: {value}")
    print(f"rendered config: {stack.run_dir}\nstop it with: obsdrill down --run {stack.run_id}")
    return 0


def cmd_down(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    from harness.reaper import reap
    from harness.runtime import ensure_runtime

    settings = settings_of(args)
    client = ensure_runtime(settings.cache_dir, install=False).client()
    if args.run:
        removed = reap(client, run_id=args.run, cache_dir=settings.cache_dir)
    else:
        removed = reap(client, detached=True, cache_dir=settings.cache_dir)
    session.forget(settings.cache_dir, [args.run] if args.run else None)
    print("\n".join(removed) if removed else "no stack started by `obsdrill up` is running")
    return 0


def cmd_reap(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    from harness.reaper import reap
    from harness.runtime import ensure_runtime

    runtime = ensure_runtime(settings_of(args).cache_dir, install=False)
    removed = reap(runtime.client(), everything=args.all, cache_dir=settings_of(args).cache_dir)
    print("\n".join(removed) if removed else "nothing to reap")
    return 0


def cmd_compose(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    from harness.compose import CONFIG_SUBDIR, write_compose

    settings = settings_of(args)
    out = Path(args.out) if args.out else Path.cwd()
    target = write_compose(settings, out)
    print(f"wrote {target} (full stack, time factor {settings.time_factor:g}); its config is in {out / CONFIG_SUBDIR}")
    return 0
