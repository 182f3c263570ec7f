"""``obsdrill fault SERVICE KIND key=value ... [--for DURATION]``, ``obsdrill fault clear [SERVICE]`` and
``obsdrill faults`` on the running `obsdrill up` stack, checked as a scenario's ``method`` is
(harness/scenario/check.py fault_problems, platform.FAULT_SCHEMAS) before anything is sent."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

import yaml

from harness import durations
from harness.clients import ServiceClient
from harness.errors import ConfigError, ObsdrillError
from harness.platform import SERVICE_FAULTS
from harness.scenario.check import fault_problems
from harness.session import UpState, host_url

WHERE = "fault"
QUIET = ("active", "progress")  # keys of a GPU fault's state that say nothing once it is on


def on(state: dict[str, Any]) -> dict[str, Any]:
    """The faults that are on, from a service's ``faults`` (fault -> state) or the GPU simulator's answer
    (every GPU with every fault and its ``active`` flag): ``overheat gpu 0`` -> its parameters."""
    if "gpus" not in state:
        return dict(state)
    return {f"{name} gpu {gpu.get('gpu')}": {k: v for k, v in fault.items() if k not in QUIET}
            | {"temperature_c": gpu.get("temperature_c")}
            for gpu in state.get("gpus") or [] for name, fault in (gpu.get("faults") or {}).items()
            if isinstance(fault, dict) and fault.get("active")}


def parse_params(items: Sequence[str]) -> dict[str, Any]:
    """``rate=0.5 target=payments`` -> {"rate": 0.5, "target": "payments"} (values read as YAML scalars)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"{WHERE}.with: {item!r} is not key=value")
        try:
            out[key] = yaml.safe_load(value) if value else ""
        except yaml.YAMLError:
            out[key] = value
    return out


def checked(service: str, kind: str, params: Sequence[str]) -> dict[str, Any]:
    spec = parse_params(params)
    problems = fault_problems(service, kind, spec, WHERE)
    if problems:
        raise ConfigError("\n".join(problems))
    return spec


def client(state: UpState, containers: dict[str, Any], service: str) -> ServiceClient:
    if service not in containers or service not in state.ports:
        raise ConfigError(f"{WHERE}.service: {service!r} does not run in the `obsdrill up` stack {state.run_id} "
                          f"(it runs {', '.join(s for s in SERVICE_FAULTS if s in containers)})")
    return ServiceClient(service, host_url(containers[service], state.ports[service]))


def inject(state: UpState, containers: dict[str, Any], service: str, kind: str, params: Sequence[str],
           lasting: str | None = None, say: Callable[[str], None] = print,
           sleep: Callable[[float], None] = time.sleep) -> dict[str, Any]:
    """Set the fault; with ``lasting``, wait that long (or until interrupted) and clear it again."""
    seconds = durations.parse(lasting, "--for") if lasting else None
    spec = checked(service, kind, params)
    target = client(state, containers, service)
    answer = target.set_fault(kind, spec)
    now = on(answer.get("faults", answer))
    say(f"{kind} on {service} {spec}: " + "; ".join(f"{k} {v}" for k, v in now.items() if k.startswith(kind)))
    if seconds is not None:
        say(f"clearing it in {seconds:g}s (Ctrl-C clears it now)")
        try:
            sleep(seconds)
        finally:
            target.clear_fault(kind)
            say(f"cleared {kind} on {service}")
    return answer


def clear(state: UpState, containers: dict[str, Any], service: str | None = None,
          say: Callable[[str], None] = print) -> None:
    names = [service] if service else [s for s in SERVICE_FAULTS if s in containers]
    for name in names:
        client(state, containers, name).clear_fault()
        say(f"cleared every fault of {name}")


def active(state: UpState, containers: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """service -> fault -> its state, of every running service that has a fault on."""
    out: dict[str, dict[str, Any]] = {}
    for name in (s for s in SERVICE_FAULTS if s in containers):
        try:
            faults = client(state, containers, name).faults()
        except (ObsdrillError, OSError) as exc:
            out[name] = {"(not answering)": str(exc)[:200]}
            continue
        if on(faults):
            out[name] = on(faults)
    return out
