"""Which scenarios may run at the same time: each claims the shared resources it touches, a conflict graph
joins the ones that must not overlap, batches colour it, and host-wide claims are enforced across processes
with file locks (several stacks on one machine, one pytest-xdist worker per stack).

Resources: ``host-cpu``, ``host-memory`` (the machine: every stack's node_exporter sees them, so a CPU burn or
a memory ramp shows in every stack's HighCPUUsage/HighMemoryUsage and slows every stack's timing), and,
per stack, ``data-volume`` (the run's own ext4 volume), ``gpu`` (the stack's gpu-sim) and ``service:<name>``.
A scenario's exclusive claims are its ``resources:`` when it declares them, else derived from its method
(docs/scenarios.md, "Resources"); its load claims the services on its journeys' routes, shared."""

from __future__ import annotations

import fcntl
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from harness import platform
from harness.scenario.model import Scenario

HOST_RESOURCES = ("host-cpu", "host-memory")
STACK_RESOURCES = ("data-volume", "gpu")
SERVICE_PREFIX = "service:"
FAULT_RESOURCES: dict[str, str] = {"cpu_burn": "host-cpu", "memory_growth": "host-memory",
                                   "disk_fill": "data-volume", **{f: "gpu" for f in platform.GPU_FAULTS}}


@dataclass(frozen=True)
class Claim:
    resource: str
    exclusive: bool
    why: str

    @property
    def host(self) -> bool:
        return self.resource in HOST_RESOURCES


def known(resource: str) -> bool:
    return resource in HOST_RESOURCES + STACK_RESOURCES or (
        resource.startswith(SERVICE_PREFIX) and len(resource) > len(SERVICE_PREFIX))


def derived(scenario: Scenario) -> tuple[str, ...]:
    """The resources the method's faults touch: the service each fault is on, and what the fault kind uses
    (cpu_burn -> host-cpu, memory_growth -> host-memory, disk_fill -> data-volume, gpu-sim faults -> gpu)."""
    out: list[str] = []
    for fault in scenario.method:
        out.append(SERVICE_PREFIX + fault.service)
        if fault.fault in FAULT_RESOURCES:
            out.append(FAULT_RESOURCES[fault.fault])
    return tuple(dict.fromkeys(out))


def claims(scenario: Scenario) -> tuple[Claim, ...]:
    """Exclusive: the declared ``resources`` (else derived). Shared: the services its load passes through."""
    declared = bool(scenario.resources)
    held = [Claim(r, True, "declared" if declared else "method") for r in (scenario.resources or derived(scenario))]
    taken = {c.resource for c in held}
    if scenario.load is not None:
        for name in _load_services(scenario):
            if SERVICE_PREFIX + name not in taken:
                held.append(Claim(SERVICE_PREFIX + name, False, "load"))
                taken.add(SERVICE_PREFIX + name)
    return tuple(held)


def _load_services(scenario: Scenario) -> list[str]:
    assert scenario.load is not None
    out: list[str] = []
    for journey, _ in scenario.load.journeys:
        for _, path in platform.JOURNEYS.get(journey, ()):
            out += platform.route_services(path, scenario.load.target)
    return list(dict.fromkeys(out))


def conflict(a: Scenario, b: Scenario, same_stack: bool) -> str:
    """Why ``a`` and ``b`` must not run at the same time ('' when they may). On several stacks only the host
    is shared: a host claim conflicts with everything. On one stack also a resource both claim (one of them
    exclusively), and an alert one expects that the other's not_firing forbids (alerts aggregate across
    services: the load of one shows in the other's metrics)."""
    for x in (a, b):
        host = [c.resource for c in claims(x) if c.host and c.exclusive]
        if host:
            return f"{x.name} holds {', '.join(host)} (host-wide: seen by every stack)"
    if not same_stack:
        return ""
    mine, theirs = {c.resource: c for c in claims(a)}, {c.resource: c for c in claims(b)}
    shared = sorted(r for r in set(mine) & set(theirs) if mine[r].exclusive or theirs[r].exclusive)
    if shared:
        return f"both touch {', '.join(shared)}"
    for x, y in ((a, b), (b, a)):
        driven = sorted({e.name for e in x.alerts} & set(y.expect.not_firing))
        if driven:
            return f"{x.name} drives {', '.join(driven)}, which {y.name} expects not to fire"
    return ""


def conflict_graph(scenarios: Sequence[Scenario], same_stack: bool) -> dict[tuple[str, str], str]:
    """Every conflicting pair (in the given order) with its reason."""
    out = {}
    for i, a in enumerate(scenarios):
        for b in scenarios[i + 1:]:
            why = conflict(a, b, same_stack)
            if why:
                out[(a.name, b.name)] = why
    return out


def batches(scenarios: Sequence[Scenario], slots: int, same_stack: bool) -> list[list[Scenario]]:
    """Greedy colouring, most-conflicted first: each batch holds at most ``slots`` scenarios, no two of them
    in conflict; batches in order of their first member (host-wide ones come first, each alone)."""
    if slots < 1:
        raise ValueError(f"slots must be >= 1 (got {slots})")
    graph = {frozenset(pair) for pair in conflict_graph(scenarios, same_stack)}
    degree = {s.name: sum(s.name in pair for pair in graph) for s in scenarios}
    out: list[list[Scenario]] = []
    for scenario in sorted(scenarios, key=lambda s: -degree[s.name]):
        for batch in out:
            if len(batch) < slots and not any(frozenset((scenario.name, o.name)) in graph for o in batch):
                batch.append(scenario)
                break
        else:
            out.append([scenario])
    return out


def order(scenarios: Sequence[Scenario], slots: int) -> list[Scenario]:
    """The scenarios batch by batch (several stacks), host-wide batches last: while the stacks start and
    warm up the host's CPU is busy enough to fire HighCPUUsage before any fault."""
    found = batches(scenarios, slots, same_stack=False)
    host = [b for b in found if any(c.host and c.exclusive for s in b for c in claims(s))]
    return [s for batch in [b for b in found if b not in host] + host for s in batch]


def host_locks(scenario: Scenario) -> list[tuple[str, bool]]:
    """(host resource, exclusive) in a fixed order: exclusive where it claims it, shared otherwise, so that a
    host-wide scenario runs while no other scenario of any stack on this machine does."""
    mine = {c.resource for c in claims(scenario) if c.host and c.exclusive}
    return [(r, r in mine) for r in HOST_RESOURCES]


TURNSTILE = "turnstile.lock"


@contextmanager
def holding(scenario: Scenario, lock_dir: Path) -> Iterator[float]:
    """Hold the scenario's host locks (flock, in a fixed order: no deadlock) for the block; yields the
    seconds waited for them. Released when the process dies, so a killed run never blocks the next.
    Writers first: every taker passes a turnstile, held while it waits for its locks, so a host-wide
    scenario waits only for the scenarios already running, not for a stream of new ones."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    with ExitStack() as held:
        with (lock_dir / TURNSTILE).open("a") as turnstile:
            fcntl.flock(turnstile, fcntl.LOCK_EX)
            for resource, exclusive in host_locks(scenario):
                handle = held.enter_context((lock_dir / f"{resource}.lock").open("a"))
                fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield time.monotonic() - started


def all_started(directory: Path, me: str, count: int, timeout: float, poll: float = 0.5) -> float:
    """Barrier of the stacks of one run: say that ``me`` has started, then wait (at most ``timeout``) until
    ``count`` have, so no scenario runs while another stack is still starting (that takes the host's CPU).
    Returns the seconds waited."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / me).touch()
    started = time.monotonic()
    while len(list(directory.iterdir())) < count and time.monotonic() - started < timeout:
        time.sleep(poll)
    return time.monotonic() - started
