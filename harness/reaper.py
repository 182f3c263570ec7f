"""Find and remove what a killed run left: every container, network and volume carries the owner label,
the run id and the pid (plus its start time) of the process that made it. A stack started with
``obsdrill up`` is marked detached: only ``obsdrill down`` (or ``reap --all``) removes it."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import docker

from harness import portforward, progress
from harness.progress import Log
from harness.settings import OWNER_LABEL, RUN_LABEL

PID_LABEL = "io.obsdrill.pid"
HOST_LABEL = "io.obsdrill.host"
DETACHED = "detached"


def process_labels(detached: bool = False) -> dict[str, str]:
    pid = DETACHED if detached else f"{os.getpid()}:{_start_time(os.getpid())}"
    return {PID_LABEL: pid, HOST_LABEL: socket.gethostname()}


def _start_time(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "?"


def owner_alive(labels: dict[str, str]) -> bool:
    """Is the process that made a resource still running (detached stacks count as alive)?"""
    if labels.get(HOST_LABEL) != socket.gethostname():
        return True  # another machine's engine user: never ours to judge
    if labels.get(PID_LABEL) == DETACHED:
        return True
    pid_text, _, started = labels.get(PID_LABEL, "").partition(":")
    if not pid_text.isdigit():
        return False
    return Path(f"/proc/{pid_text}").exists() and _start_time(int(pid_text)) == started


def reap(client: docker.DockerClient, run_id: str | None = None, everything: bool = False,
         log: Log = progress.say, cache_dir: Path | None = None,
         detached: bool = False) -> list[str]:
    """Remove leftovers: of one run, of dead owners (default), of detached stacks (``detached``) or all
    obsdrill resources (``everything``). With ``cache_dir`` the same runs' data volumes are released too."""
    selector = [f"{OWNER_LABEL}=obsdrill"] + ([f"{RUN_LABEL}={run_id}"] if run_id else [])
    removed: list[str] = []

    def wanted(labels: dict[str, str]) -> bool:
        if everything or run_id is not None:
            return run_id is None or labels.get(RUN_LABEL) == run_id
        if detached:
            return labels.get(PID_LABEL) == DETACHED
        return not owner_alive(labels)

    for container in client.containers.list(all=True, filters={"label": selector}):
        if wanted(container.labels):
            container.remove(force=True, v=True)
            removed.append(f"container {container.name}")
    for network in client.networks.list(filters={"label": selector}):
        if wanted(network.attrs.get("Labels") or {}):
            network.remove()
            removed.append(f"network {network.name}")
    for volume in client.volumes.list(filters={"label": selector}):
        if wanted(volume.attrs.get("Labels") or {}):
            volume.remove(force=True)
            removed.append(f"volume {volume.name}")
    if cache_dir is not None:
        from harness.volumes import reap_volumes

        removed += reap_volumes(cache_dir, wanted)
    if run_id is None and _local(client):
        removed += [f"port forward {f}" for f in portforward.prune_engine(client)]
    if removed and run_id is None and not detached:
        log(f"reaped leftovers of earlier runs: {', '.join(removed)}")
    return removed


def _local(client: docker.DockerClient) -> bool:
    """An engine on this host's socket: its port forwards are this host's firewall rules."""
    base_url = str(getattr(getattr(client, "api", None), "base_url", ""))  # none known: not taken for local
    return base_url.startswith(("http+docker://localhost", "http+unix://"))  # docker-py's unix socket
