"""The error budget one scenario consumed, per objective: the SLI over the scenario (good and total events
Prometheus counted in it), its burn rate (the error ratio over the budget ratio) and what that burn would mean
over the objective's own window: the scenario's real seconds stand for seconds / time factor of modelled time,
and a burn ``b`` kept up for modelled time ``t`` spends ``b x t / window`` of the budget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from harness import durations
from harness.slo.objectives import Objective


class Queries(Protocol):
    def query(self, expr: str) -> Any: ...


@dataclass(frozen=True)
class Consumed:
    objective: Objective
    seconds: float  # real seconds the scenario measured over
    factor: float
    good: float
    total: float

    @property
    def bad(self) -> float:
        """Bad events; under half an event is increase()'s extrapolation of the window's edges, not an error."""
        bad = self.total - self.good
        return bad if bad >= 0.5 else 0.0

    @property
    def sli(self) -> float | None:
        return self.good / self.total if self.total > 0 else None

    @property
    def burn(self) -> float:
        """The error ratio over the budget ratio (0 when no event was counted)."""
        return (self.bad / self.total) / self.objective.budget if self.total > 0 else 0.0

    @property
    def modelled_seconds(self) -> float:
        return self.seconds / self.factor

    @property
    def spent(self) -> float:
        """The share of the objective's whole budget the scenario spent (burn x modelled time / window)."""
        return self.burn * self.modelled_seconds / self.objective.window_seconds

    def explain(self) -> str:
        o = self.objective
        if self.total <= 0:
            return f"{o.name}: no events counted in the scenario's {self.seconds:.0f}s"
        line = (f"{o.name}: SLI {self.good / self.total * 100:.3f}% ({self.bad:.0f} bad of {self.total:.0f}; objective "
                f"{o.target * 100:g}% over {o.window}); burn {self.burn:.2f}x; the scenario's {self.seconds:.0f}s "
                f"at factor {self.factor:g} model {durations.format(self.modelled_seconds)}, which spent "
                f"{self.spent * 100:.3g}% of the {o.window} budget")
        if self.burn > 0:
            line += f"; at this burn the whole budget lasts {durations.format(o.window_seconds / self.burn)}"
        return line

    def as_dict(self) -> dict[str, Any]:
        return {"slo": self.objective.name, "target": self.objective.target, "window": self.objective.window,
                "seconds": round(self.seconds, 1), "good": round(self.good, 1), "total": round(self.total, 1),
                "sli": None if self.sli is None else round(self.sli, 6), "burn": round(self.burn, 3),
                "budget_spent": round(self.spent, 6)}


PART = "obsdrill_part"  # the label that tells the good count from the total in the one query


def consumed(prom: Queries, objective: Objective, seconds: float, factor: float) -> Consumed:
    """What ``objective``'s events over the last ``seconds`` (real time) spent of its budget. Good and total
    are one query, so both count the same samples: asked one after the other, a scrape in between gave the
    total events the good count had not seen (baseline once read 2 bad of 112 CV analyses with no fault)."""
    parts = [f'label_replace({objective.increase(which, seconds)}, "{PART}", "{which}", "", "")'
             for which in ("good", "total")]
    found = {s.labels.get(PART): float(s.value) for s in prom.query(" or ".join(parts))}
    return Consumed(objective, seconds, factor, found.get("good", 0.0), found.get("total", 0.0))
