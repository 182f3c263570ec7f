"""Prometheus: rendered config mounted read-only, TSDB on a size-limited tmpfs."""

from __future__ import annotations

from dataclasses import replace

from harness.components.spec import ContainerSpec, Mount, Readiness, RunContext, Tmpfs, container

ALIAS = "prometheus"
CONFIG_DIR = "/etc/obsdrill/prometheus"
PORT = 9090
# Prometheus's own real-time durations (flag, default seconds), scaled by the time factor like every interval
# of the config under test: at their defaults an alert firing at once (a Watchdog's vector(1)) is re-sent only
# a real minute after a first send that found no Alertmanager yet, and `for` restoration, staleness without
# markers and an alert's validity at Alertmanager (4x the resend delay) would all run at real time.
SCALED_FLAGS = (("--query.lookback-delta", 300.0), ("--rules.alert.resend-delay", 60.0),
                ("--rules.alert.for-grace-period", 600.0))


def scaled_flags(time_factor: float) -> tuple[str, ...]:
    return tuple(f"{flag}={max(1, round(seconds * time_factor * 1000))}ms" for flag, seconds in SCALED_FLAGS)


def prometheus(image: str, run: RunContext, time_factor: float = 1.0) -> ContainerSpec:
    hint = "a config error shows as 'error loading config' above; check reports/runs/<run-id>/prometheus/"
    return replace(
        container(run, ALIAS, image, Readiness(PORT, ("/-/ready",), hint)),
        command=(f"--config.file={CONFIG_DIR}/prometheus.yml", "--storage.tsdb.path=/prometheus",
                 f"--web.listen-address=0.0.0.0:{PORT}", "--web.enable-lifecycle",
                 "--web.enable-admin-api",  # reset: each scenario starts on an empty TSDB (PromClient.forget)
                 "--storage.tsdb.retention.time=1d", *scaled_flags(time_factor)),
        ports=(PORT,),
        mounts=(Mount(run.run_dir / ALIAS, CONFIG_DIR, "ro"),),
        tmpfs=(Tmpfs("/prometheus", "512m"),),
    )
