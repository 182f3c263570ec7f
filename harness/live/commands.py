"""The live commands' parsers and handlers, registered by harness/cli.py with one call (add_parsers)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from harness import session
from harness.errors import ConfigError
from harness.settings import Settings

SettingsOf = Callable[[argparse.Namespace], Settings]


def _up(settings: Settings, args: argparse.Namespace) -> tuple[session.UpState, dict[str, Any]]:
    from harness.runtime import ensure_runtime

    client = ensure_runtime(settings.cache_dir, install=False).client()
    return session.find(settings.cache_dir, client, args.run or session.LATEST)


def cmd_reload(settings: Settings, args: argparse.Namespace) -> int:
    from harness.live.reload import reload

    state, containers = _up(settings, args)
    change = reload(settings, state, containers)
    if change.empty:
        print(f"nothing changed: the rendered config of {state.run_id} is already the config under test")
        return 0
    for line in change.rules:
        print(f"rule {line}")
    for diff in change.diffs.values():
        print(diff, end="" if diff.endswith("\n") else "\n")
    print(f"reloaded Prometheus and Alertmanager of {state.run_id} ({len(change.diffs)} rendered file(s) changed)")
    return 0


def cmd_fault(settings: Settings, args: argparse.Namespace) -> int:
    from harness.live import fault

    if args.words[0] != "clear" and len(args.words) >= 2:
        fault.checked(args.words[0], args.words[1], args.words[2:])  # wrong arguments: exit 2 before anything
    state, containers = _up(settings, args)
    if args.words[0] == "clear":
        if len(args.words) > 2:
            raise ConfigError("usage: obsdrill fault clear [SERVICE]")
        fault.clear(state, containers, args.words[1] if len(args.words) == 2 else None)
        return 0
    if len(args.words) < 2:
        raise ConfigError("usage: obsdrill fault SERVICE KIND [key=value ...] [--for DURATION]")
    fault.inject(state, containers, args.words[0], args.words[1], args.words[2:], args.lasting)
    return 0


def cmd_faults(settings: Settings, args: argparse.Namespace) -> int:
    from harness.live import fault

    state, containers = _up(settings, args)
    active = fault.active(state, containers)
    if args.json:
        print(json.dumps(active, indent=2))
        return 0
    for service, faults in active.items():
        for name, fault_state in faults.items():
            print(f"{service:14} {name:22} {json.dumps(fault_state)}")
    if not active:
        print(f"no fault is on in {state.run_id}")
    return 0


def cmd_watch(settings: Settings, args: argparse.Namespace) -> int:
    import time

    from rich.console import Console
    from rich.live import Live

    from harness import deployed
    from harness.clients import PromClient, SinkClient
    from harness.live import fault
    from harness.live.watch import Watcher, render

    state, containers = _up(settings, args)
    prometheus = session.host_url(containers["prometheus"], state.ports["prometheus"])
    watcher = Watcher(PromClient(prometheus), SinkClient(session.host_url(containers["sink"], state.ports["sink"])),
                      lambda: fault.active(state, containers), lambda: deployed.rules(prometheus))
    if args.once:
        snap = watcher.snapshot()
        if args.json:
            print(json.dumps(snap, indent=2, default=str))
        else:
            Console().print(render(snap))
        return 0
    try:
        console = Console()
        with Live(render(watcher.snapshot(), console.size.height), console=console, refresh_per_second=4) as live:
            while True:
                time.sleep(args.interval)
                live.update(render(watcher.snapshot(), console.size.height))
    except KeyboardInterrupt:
        return 0


def cmd_explain(settings: Settings, args: argparse.Namespace) -> int:
    from harness.live.explain import explain
    from harness.live.fault import parse_params

    labels = {k: str(v) for k, v in parse_params(args.label).items()}
    state, containers = _up(settings, args)
    print("\n".join(explain(state, containers, args.alert, settings.slack_seconds, labels)))
    return 0


def add_parsers(sub: Any, common: argparse.ArgumentParser, settings_of: SettingsOf) -> None:
    def register(name: str, text: str, fn: Callable[[Settings, argparse.Namespace], int]) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = sub.add_parser(name, parents=[common], help=text)
        parser.add_argument("--run", help="the `obsdrill up` stack (its run id; default: the latest started)")
        parser.set_defaults(fn=lambda args: fn(settings_of(args), args))
        return parser

    register("reload", "validate the config under test and reload it into the running `obsdrill up` stack",
             cmd_reload)
    fault = register("fault", "inject a fault into the `obsdrill up` stack: `fault SERVICE KIND key=value ... "
                     "[--for DURATION]`, `fault clear [SERVICE]`", cmd_fault)
    fault.add_argument("words", nargs="+", metavar="SERVICE KIND [key=value ...] | clear [SERVICE]")
    fault.add_argument("--for", dest="lasting", metavar="DURATION",
                       help="clear it again after DURATION (e.g. 30s); the command waits, Ctrl-C clears it now")
    faults = register("faults", "the faults that are on in the `obsdrill up` stack", cmd_faults)
    faults.add_argument("--json", action="store_true", help="machine-readable output")
    watch = register("watch", "rules, notifications and faults of the `obsdrill up` stack, refreshed in place "
                     "(Ctrl-C ends it)", cmd_watch)
    watch.add_argument("--once", action="store_true", help="one snapshot, then exit")
    watch.add_argument("--json", action="store_true", help="with --once: the snapshot as JSON")
    explain = register("explain", "an alert of the `obsdrill up` stack: rule, value against threshold, computed "
                       "bounds term by term, Alertmanager's route, receivers and integrations", cmd_explain)
    explain.add_argument("alert")
    explain.add_argument("--label", action="append", default=[], metavar="KEY=VALUE",
                         help="a label the alert will carry (e.g. service=backend), for the route")
    watch.add_argument("--interval", type=float, default=1.0, help="seconds between refreshes (default 1)")
