"""``obsdrill reload``: validate the config under test, put it in place of the up-run's rendered config and
reload Prometheus and Alertmanager (harness/reconfigure.py), and say what changed."""

from __future__ import annotations

from pathlib import Path

from harness.config import load_source
from harness.errors import ConfigError
from harness.reconfigure import RELOADED, Change, post_reload, swap
from harness.scenario.check import validate
from harness.session import UpState, host_url
from harness.settings import Settings


def reload(settings: Settings, state: UpState, containers: dict[str, object]) -> Change:
    """Validate, render, swap the rendered files of ``state``'s run dir, reload both servers."""
    result = validate([], settings.config_dir)
    if not result.passed:
        raise ConfigError("the config under test does not validate; nothing reloaded:\n" + "\n".join(result.problems))
    change, _ = swap(load_source(settings.config_dir), state.time_factor, Path(state.run_dir),
                     set(state.ports) | {"localhost"})
    if not change.empty:
        for name in RELOADED:
            post_reload(name, host_url(containers[name], state.ports[name]))
    return change
