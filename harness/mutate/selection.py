"""Which scenarios can catch a mutant: derived from the scenarios themselves (the alerts they expect or forbid,
the receivers they expect notifications at, the services their faults and load touch, whether they check logs
and traces), never from a hand-kept table. Cheaper scenarios first (no host-level fault, fewer faults)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.mutate.mutant import Mutant
from harness.scenario.model import Scenario

PER_MUTANT = 2  # scenarios tried per mutant at most (the best placed first): a mutation run stays affordable
HOST_FAULTS = frozenset({"cpu_burn", "memory_growth"})  # disturb every stack on the machine: run them last


@dataclass(frozen=True)
class Plan:
    mutant: Mutant
    scenarios: tuple[Scenario, ...]
    why: str  # what ties the scenarios to the mutant, or why none does

    @property
    def covered(self) -> bool:
        return bool(self.scenarios)


def receivers_of(scenario: Scenario) -> set[str]:
    return {r for a in scenario.alerts for r in a.receivers} | {n.receiver for n in scenario.expect.notifications}


def services_of(scenario: Scenario) -> set[str]:
    return set(scenario.services()) | ({scenario.load.target} if scenario.load else set())


def touches(mutant: Mutant, scenario: Scenario) -> list[str]:
    """Why ``scenario`` observes what ``mutant`` changed (empty: it does not)."""
    why = []
    expected = {a.name for a in scenario.alerts}
    why += [f"expects {a}" for a in mutant.alerts if a in expected]
    why += [f"forbids {a}" for a in mutant.alerts if a in scenario.expect.not_firing and a not in expected]
    why += [f"checks receiver {r}" for r in mutant.receivers if r in receivers_of(scenario)]
    why += [f"faults or loads {s}" for s in mutant.services if s in services_of(scenario)]
    if mutant.grouping and why and len(scenario.alerts) > 1:
        why.append(f"expects {len(scenario.alerts)} alerts at once")
    if mutant.pillars and (scenario.expect.logs or scenario.expect.traces):
        why.append("checks logs and traces")
    if mutant.pillars:
        return why if (scenario.expect.logs or scenario.expect.traces) else []
    return why


def _expects(why: Sequence[str]) -> int:
    """How many of the mutant's alerts the scenario expects (from ``touches``'s reasons)."""
    return sum(w.startswith("expects ") for w in why)


def _deadline(mutant: Mutant, scenario: Scenario) -> float:
    """The tightest explicit ``within`` the scenario gives the mutant's alerts: a fixed deadline, which a slower
    mutant (a longer ``for``, a wider window) cannot move as it moves a bound computed from its own config."""
    return min((a.within for a in scenario.alerts if a.name in mutant.alerts and a.within), default=float("inf"))


def cost(mutant: Mutant, scenario: Scenario, why: list[str]) -> tuple[float, ...]:
    """Scenarios that expect the changed alert first (they can see it both not firing and firing early), the
    tightest fixed deadline on it first, then the ones with the most ties to the mutant (alerts expected,
    receivers checked, services faulted); for an eager mutant (fires sooner) those that forbid it and keep
    watching (``observe``) while their faults drive signals, the most faults first (the near-miss pattern);
    then the cheap ones: no host-level fault, no load, fewer faults. A raised mutant (a threshold or burn
    factor moved up) never fires on a strong signal: the near-miss scenarios, which forbid the most alerts,
    first."""
    host = any(f.fault in HOST_FAULTS for f in scenario.method)
    if mutant.eager:
        forbids = any(w.startswith("forbids ") for w in why) and bool(scenario.method)
        return (int(not forbids), int(scenario.expect.observe <= 0), -len(scenario.method), int(host),
                int(scenario.load is not None))
    expects = _expects(why)
    if mutant.raised:  # the weakest signal first: a scenario forbidding more alerts holds its signals lower
        return (int(not expects), -len(scenario.expect.not_firing), int(host), int(scenario.load is not None),
                len(scenario.method))
    return (int(not expects), _deadline(mutant, scenario), -len(why), int(host), int(scenario.load is not None),
            len(scenario.method))


def _limit(mutant: Mutant, chosen: Sequence[tuple[Scenario, list[str]]], per_mutant: int) -> int:
    """``per_mutant``; for a raised mutant every scenario that expects its alert: which of them drives the
    signal between the real and the raised threshold is not known before they run, and the first that does
    ends the mutant's run (only a survivor pays for them all)."""
    if not mutant.raised:
        return per_mutant
    return max(per_mutant, sum(_expects(why) > 0 for _, why in chosen))


def plan(mutant: Mutant, scenarios: Sequence[Scenario], per_mutant: int = PER_MUTANT) -> Plan:
    chosen = [(s, touches(mutant, s)) for s in scenarios]
    chosen = sorted(((s, w) for s, w in chosen if w), key=lambda sw: (*cost(mutant, *sw), sw[0].name))
    chosen = chosen[:_limit(mutant, chosen, per_mutant)]
    if not chosen:
        return Plan(mutant, (), "no scenario expects its alerts, checks its receivers or faults its services")
    why = "; ".join(f"{s.name}: {', '.join(w)}" for s, w in chosen)
    return Plan(mutant, tuple(s for s, _ in chosen), why)
