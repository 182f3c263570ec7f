"""`obsdrill certify`: the equivalence certificate of a window of a compressed run on a running Prometheus
(e.g. one `obsdrill up` started). Exit 0 when it holds, 1 when it fails."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from harness import durations
from harness.certify import promtool
from harness.certify.certificate import certify_run
from harness.config import load_source
from harness.errors import ConfigError
from harness.settings import Settings


def add_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    certify = sub.add_parser("certify", parents=[common], help="compare a compressed run's alert timeline with "
                             "promtool's on the same samples stretched onto real time")
    certify.add_argument("--prometheus", required=True, help="URL of the Prometheus of the compressed run")
    certify.add_argument("--start", type=float, help="window start, unix seconds (default: end - --last)")
    certify.add_argument("--end", type=float, help="window end, unix seconds (default: now)")
    certify.add_argument("--last", default="10m", help="window length when --start is not given (default 10m)")
    certify.add_argument("--alert", action="append", default=[], help="alert to certify (repeatable; default all)")
    certify.add_argument("--work-dir", help="keep the promtool rule and test files here")
    certify.set_defaults(fn=cmd_certify)


def cmd_certify(args: argparse.Namespace) -> int:
    settings = Settings.from_env(time_factor=args.time_factor, image_policy=args.images,
                                 config_dir=Path(args.config_dir) if args.config_dir else None)
    end = args.end if args.end is not None else time.time()
    start = args.start if args.start is not None else end - durations.parse(args.last, "--last")
    if start >= end:
        raise ConfigError(f"--start/--end: start {start} is not before end {end}")
    certificate = certify_run(args.prometheus, load_source(settings.config_dir), start, end, settings.time_factor,
                              args.alert or None, _runner(settings),
                              Path(args.work_dir) if args.work_dir else None)
    print(certificate.describe())
    return 0 if certificate.holds else 1


def _runner(settings: Settings) -> promtool.Runner:
    """promtool on PATH, else the one in the Prometheus image (chosen like the stack's)."""
    host = promtool.host_promtool()
    if host is not None:
        return host
    from harness.images import load_recipes, resolve_images
    from harness.runtime import ensure_runtime

    client = ensure_runtime(settings.cache_dir, install=False).client()
    choice = resolve_images(client, settings, load_recipes(settings.config_dir / "images"), ("prometheus",))
    return promtool.ContainerPromtool(client, choice["prometheus"].image)
