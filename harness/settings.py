"""Harness settings: read from the environment and CLI/pytest options at call time, never at import."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness import envvars, layers, resources
from harness.errors import ConfigError

IMAGE_POLICIES = ("auto", "upstream", "local")
# full: every pillar (metrics, logs in Elasticsearch, traces in Jaeger, Grafana when it has an image);
# core: metrics and alerting only (Prometheus, Alertmanager, node_exporter, services, GPU simulator, sink).
# external: a stack someone else runs, addressed by URL; nothing is started (harness/external.py).
STACK_MODES = ("full", "core", "external")
# The images each stack mode runs (harness/topology.py); each one's image can be overridden.
DATA_TIER_IMAGES = ("postgres", "redis", "postgres-exporter", "redis-exporter")
CORE_IMAGES = ("prometheus", "alertmanager", "node-exporter", "services", *DATA_TIER_IMAGES)
FULL_IMAGES = (*CORE_IMAGES, "elasticsearch", "otelcol", "jaeger", "grafana", "bugsink")
DEFAULT_TIME_FACTOR = 0.1
RUN_LABEL = "io.obsdrill.run"
OWNER_LABEL = "io.obsdrill.owner"


def project_root() -> Path:
    """The dir holding the harness, synthetic_services and gpu_sim packages (the checkout, or site-packages):
    what image recipes' ``copy`` reads. Read-only: shipped data is in harness.resources, output goes to the
    working directory and the cache."""
    return Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    config_dir: Path
    scenarios_dir: Path
    reports_dir: Path
    cache_dir: Path
    time_factor: float = DEFAULT_TIME_FACTOR
    image_policy: str = "auto"
    image_overrides: Mapping[str, str] = field(default_factory=dict)
    slack_seconds: float = 15.0
    stack_mode: str = "full"
    trace_sampling: float = 1.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if env is None else env
        # --- product (issue 9): shipped defaults via importlib.resources, output in the working directory,
        # the user's config dir layered over the shipped one (harness/layers.py) ---
        cache_dir = Path(overrides.get("cache_dir") or env.get(envvars.CACHE_DIR) or resources.cache_home(env))
        user_config = layers.user_config_dir(overrides.pop("config_dir", None) or env.get(envvars.CONFIG_DIR))
        base = cls(
            config_dir=layers.materialise(user_config, cache_dir) if user_config else resources.stack_dir(),
            scenarios_dir=layers.default_scenarios_dir(env.get(envvars.SCENARIOS_DIR)),
            reports_dir=Path(env.get(envvars.REPORTS_DIR) or resources.workdir_path("reports")),
            cache_dir=cache_dir,
            # --- end product ---
            time_factor=_float(env, envvars.TIME_FACTOR, DEFAULT_TIME_FACTOR),
            image_policy=env.get(envvars.IMAGES, "auto"),
            image_overrides=_image_overrides(env),
            slack_seconds=_float(env, envvars.SLACK, 15.0),
            stack_mode=env.get(envvars.STACK, "full"),
            trace_sampling=_float(env, envvars.TRACE_SAMPLING, 1.0),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        return base.validated(**given)

    @classmethod
    def from_options(cls, *, time_factor: float | None = None, config_dir: str | Path | None = None,
                     scenarios_dir: str | Path | None = None, images: str | None = None, stack: str | None = None,
                     reports_dir: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
        """The environment's settings overridden by the options given (None or empty: not given); the one
        builder of the command line and the pytest plugin."""
        return cls.from_env(env, time_factor=time_factor, config_dir=Path(config_dir) if config_dir else None,
                            scenarios_dir=Path(scenarios_dir) if scenarios_dir else None, image_policy=images,
                            stack_mode=stack, reports_dir=Path(reports_dir).resolve() if reports_dir else None)

    def validated(self, **changes: Any) -> Settings:
        new = replace(self, **changes)
        if not 0.01 <= new.time_factor <= 1.0:
            raise ConfigError(f"time factor: {new.time_factor} is outside 0.01..1.0 (1.0 is real time)")
        if new.image_policy not in IMAGE_POLICIES:
            raise ConfigError(f"{envvars.IMAGES}: {new.image_policy!r} is not one of {', '.join(IMAGE_POLICIES)}")
        if new.stack_mode not in STACK_MODES:
            raise ConfigError(f"stack mode ({envvars.STACK}): {new.stack_mode!r} is not one of "
                              f"{', '.join(STACK_MODES)}")
        if not 0.0 <= new.trace_sampling <= 1.0:
            raise ConfigError(f"{envvars.TRACE_SAMPLING}: {new.trace_sampling} is outside 0.0..1.0")
        if not new.config_dir.is_dir():
            raise ConfigError(f"config dir: {new.config_dir} does not exist or is not a directory")
        return new


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name, default)
    try:
        return float(str(value))
    except ValueError:
        raise ConfigError(f"{name}: {value!r} is not a number") from None


def _image_overrides(env: Mapping[str, str]) -> dict[str, str]:
    out = {}
    for component in FULL_IMAGES:
        key = envvars.image_override(component)
        if env.get(key):
            out[component] = env[key]
    return out
