"""`obsdrill slo rules`: the multiwindow, multi-burn-rate alert rules generated from slo/objectives.yml.
Writes them to --output (default: prometheus/slo_rules.yml of your --config-dir, or standard output without
one); --check exits 1 when the config's rule file is not what its objectives generate (a CI gate)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from harness import envvars, layers
from harness.errors import ConfigError
from harness.settings import Settings
from harness.slo import rules
from harness.slo.objectives import OBJECTIVES_FILE, load_objectives

SettingsOf = Callable[[argparse.Namespace], Settings]


def add_parser(sub: Any, common: argparse.ArgumentParser, settings_of: SettingsOf) -> None:
    slo = sub.add_parser("slo", parents=[common], help="generate the burn-rate alert rules of slo/objectives.yml")
    slo.add_argument("action", choices=["rules"])
    slo.add_argument("--output", "-o", help="file to write (- for standard output; default: "
                     f"{rules.RULES_FILE} of your --config-dir, standard output without one)")
    slo.add_argument("--check", action="store_true", help=f"write nothing; exit 1 when {rules.RULES_FILE} is stale")
    slo.set_defaults(fn=lambda args: cmd_slo(args, settings_of))


def cmd_slo(args: argparse.Namespace, settings_of: SettingsOf) -> int:
    settings = settings_of(args)
    objectives = load_objectives(settings.config_dir)
    if not objectives:
        raise ConfigError(f"{settings.config_dir / OBJECTIVES_FILE}: no objectives (the config has no "
                          f"{OBJECTIVES_FILE})")
    if args.check:
        problem = rules.stale(objectives, settings.config_dir)
        print(problem or f"{rules.RULES_FILE}: up to date with {OBJECTIVES_FILE} ({len(objectives)} objectives)")
        return 1 if problem else 0
    text = rules.render(objectives)
    user = layers.user_config_dir(args.config_dir or os.environ.get(envvars.CONFIG_DIR))
    target = args.output or (str(user / rules.RULES_FILE) if user else "-")
    if target == "-":
        sys.stdout.write(text)
        return 0
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    Path(target).write_text(text)
    print(f"wrote {target}: {2 * len(objectives)} alerts ({', '.join(o.name for o in objectives)}); name it in "
          f"prometheus.yml rule_files")
    return 0
