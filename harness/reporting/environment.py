"""The report's environment: the stack's facts plus the version each RUNNING server reports (not an image
tag), each with where it came from. Prometheus, Alertmanager and Elasticsearch answer over their APIs
(the clients' ``version()``); Jaeger v2 and the collector have no version endpoint (their health endpoints
carry none and their own metrics are switched off in stack/), so their binary in the running container is
asked (``<entrypoint> version`` / ``--version``)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from harness.clients import AlertmanagerClient, PromClient
from harness.clients.elasticsearch import EsClient

SEMVER = re.compile(r"v?\d+\.\d+\.\d+[\w.+-]*")
BINARY_ARGS = {"jaeger": ("version",), "otelcol": ("--version",)}  # component -> arguments of its binary
NAMES = {"prometheus": "Prometheus", "alertmanager": "Alertmanager", "elasticsearch": "Elasticsearch",
         "jaeger": "Jaeger", "otelcol": "OTel collector"}


class Container(Protocol):
    def exec(self, command: str | list[str]) -> Any: ...

    def get_wrapped_container(self) -> Any: ...


class VersionedStack(Protocol):
    @property
    def containers(self) -> Mapping[str, Any]: ...

    @property
    def prometheus(self) -> PromClient: ...

    @property
    def alertmanager(self) -> AlertmanagerClient: ...

    @property
    def elasticsearch(self) -> EsClient: ...

    def has(self, component: str) -> bool: ...

    def facts(self) -> dict[str, str]: ...


def binary_version(container: Container, args: tuple[str, ...]) -> str:
    """The version the container's own binary prints (its entrypoint, with ``args``)."""
    entrypoint = list(container.get_wrapped_container().attrs["Config"].get("Entrypoint") or [])
    if not entrypoint:
        raise ValueError("the container has no entrypoint to ask")
    result = container.exec([entrypoint[0], *args])
    text = (result.output or b"").decode(errors="replace")
    if result.exit_code != 0:
        raise ValueError(f"{' '.join([entrypoint[0], *args])} exited {result.exit_code}: {text.strip()[-200:]}")
    return parse_version(text)


def parse_version(text: str) -> str:
    """The version in a binary's answer: a JSON line with gitVersion (Jaeger, which logs a line before it)
    or a line naming it (collector: 'otelcol version 0.156.0')."""
    for line in text.splitlines():
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("gitVersion"):
            return str(data["gitVersion"])
    found = SEMVER.search(text)
    if found is None:
        raise ValueError(f"no version in {text.strip()[:200]!r}")
    return found.group(0)


def _getters(stack: VersionedStack) -> dict[str, tuple[Callable[[], str], str]]:
    """component -> (getter, where the answer comes from)."""
    getters: dict[str, tuple[Callable[[], str], str]] = {
        "prometheus": (lambda: stack.prometheus.version(), "/api/v1/status/buildinfo"),
        "alertmanager": (lambda: stack.alertmanager.version(), "/api/v2/status versionInfo"),
        "elasticsearch": (lambda: stack.elasticsearch.version(), "GET /_nodes/_local version"),
    }
    for name, args in BINARY_ARGS.items():
        if name not in stack.containers:  # an external stack: no container whose binary could be asked
            continue
        getters[name] = (lambda n=name, a=args: binary_version(stack.containers[n], a),  # type: ignore[misc]
                         f"the running binary: {' '.join(args)} (no version endpoint)")
    return getters


def server_versions(stack: VersionedStack) -> dict[str, str]:
    """'<Server>' -> 'x.y.z (source)' for each server this stack runs (the name alone: the report's widget
    cuts long keys); a server that does not answer says why instead."""
    out = {}
    for name, (get, source) in _getters(stack).items():
        if not stack.has(name):
            continue
        try:
            out[NAMES[name]] = f"{get()} ({source})"
        except Exception as exc:  # a report says what it could not learn; the run is judged elsewhere
            out[NAMES[name]] = f"unknown ({source}: {type(exc).__name__}: {exc})"
    return out


def facts(stack: VersionedStack) -> dict[str, str]:
    """The environment widget: the servers' versions first, then the stack's facts."""
    return {**server_versions(stack), **stack.facts()}
