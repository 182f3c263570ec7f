"""Stale port forwards of a rootful Podman (netavark, iptables): a container removed without netavark's teardown
leaves its DNAT jump in ``NETAVARK-HOSTPORT-DNAT``. When a later container is given the same random host port,
that older jump matches first and sends 127.0.0.1:<port> to a dead (or reused) address: the new container runs
and listens but its host port refuses. A jump is stale when the container its comment names no longer exists;
``prune`` deletes those jumps by their full rule text (never by line number, which a live run may shift). Where
there is no such chain (Docker, rootless, nftables, another host's engine) nothing is touched."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from collections.abc import Callable, Iterable
from typing import Any

CHAIN = "NETAVARK-HOSTPORT-DNAT"
_ID = re.compile(r"\bid: ([0-9a-f]{64})\b")


def _iptables(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["iptables", "-w", "5", "-t", "nat", *args], capture_output=True, text=True,
                          timeout=30, check=False)


def forwards() -> list[tuple[str, str]]:
    """(container id, rule) for every jump in the chain; empty where iptables or the chain is absent."""
    if not shutil.which("iptables"):
        return []
    listing = _iptables("-S", CHAIN)
    if listing.returncode != 0:
        return []
    found = []
    for rule in listing.stdout.splitlines():
        if rule.startswith(f"-A {CHAIN} ") and (match := _ID.search(rule)):
            found.append((match.group(1), rule))
    return found


def prune(container_ids: Callable[[], Iterable[str]]) -> list[str]:
    """Delete the jumps of containers not among ``container_ids()`` (called after the rules are listed: a container
    created in between has no rule in the listing). Returns ``port <n> (container <id12>)`` per deleted jump."""
    rules = forwards()
    if not rules:
        return []
    alive = set(container_ids())
    removed = []
    for cid, rule in rules:
        if cid in alive:
            continue
        words = shlex.split(rule)
        if _iptables("-D", *words[1:]).returncode == 0:
            port = words[words.index("--dport") + 1] if "--dport" in words else "?"
            removed.append(f"port {port} (container {cid[:12]})")
    return removed


def prune_engine(client: Any) -> list[str]:
    """``prune`` against the containers a docker-py ``client`` lists (stopped ones included)."""
    return prune(lambda: [c.id for c in client.containers.list(all=True)])
