"""The mutation score and its report: console table, reports/mutate/result.json, an Allure result with the
report attached. Score = killed (by name or not) / (killed + survived + not covered); stillborn, broken and
not-run mutants are listed but not counted (nothing was judged)."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from allure_commons.logger import AllureFileLogger
from allure_commons.model2 import Attachment, Status, TestResult

from harness.mutate.execution import KILLED, NOT_COVERED, SURVIVED, UNNAMED, Fate

COUNTED = (KILLED, UNNAMED, SURVIVED, NOT_COVERED)


@dataclass(frozen=True)
class Score:
    fates: tuple[Fate, ...]
    seconds: float

    def count(self, *fates: str) -> int:
        return sum(1 for f in self.fates if f.fate in fates)

    @property
    def judged(self) -> int:
        return self.count(*COUNTED)

    @property
    def percent(self) -> float:
        """Killed (named or not) per judged mutant, in %; 0 when none was judged."""
        return 100.0 * self.count(KILLED, UNNAMED) / self.judged if self.judged else 0.0

    @property
    def named_percent(self) -> float:
        return 100.0 * self.count(KILLED) / self.judged if self.judged else 0.0

    def survivors(self) -> list[Fate]:
        return [f for f in self.fates if f.fate in (SURVIVED, NOT_COVERED, UNNAMED)]

    def as_dict(self) -> dict[str, Any]:
        return {"score_percent": round(self.percent, 1), "named_score_percent": round(self.named_percent, 1),
                "judged": self.judged, "counts": dict(Counter(f.fate for f in self.fates)),
                "wall_seconds": round(self.seconds, 1), "started_at": round(time.time() - self.seconds, 1),
                "mutants": [{**f.mutant.as_dict(), "fate": f.fate, "scenario": f.scenario, "message": f.message,
                             "tried": list(f.tried), "seconds": round(f.seconds, 1), "kept_from": f.kept}
                            for f in self.fates]}

    def text(self) -> str:
        counts = ", ".join(f"{n} {fate}" for fate, n in Counter(f.fate for f in self.fates).most_common())
        lines = [f"mutation score {self.percent:.1f}% ({self.count(KILLED, UNNAMED)} of {self.judged} judged "
                 f"mutants killed; {self.named_percent:.1f}% with a message naming the defect) in "
                 f"{self.seconds / 60:.1f} min: {counts}", "", "mutants:"]
        lines += [f"  {f.fate:26} {f.mutant.id:55} {f.scenario}" + (" (kept: --resume)" if f.kept else "")
                  for f in self.fates]
        survivors = self.survivors()
        if survivors:
            lines += ["", "survivors (the scenario that should have caught each, and why it did not):"]
            for f in survivors:
                why = f.message.splitlines()[0] if f.message else ""
                lines.append(f"  {f.mutant.id}: {f.mutant.description}\n      {f.fate}: "
                             f"{f.scenario or '(no scenario)'}: {why}")
        return "\n".join(lines)


def write(score: Score, reports_dir: Path) -> Path:
    """reports/mutate/result.json, and an Allure result (reports/allure-results) with the report attached."""
    out = reports_dir / "mutate" / "result.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(score.as_dict(), indent=1) + "\n")
    logger = AllureFileLogger(reports_dir / "allure-results")
    text_file, json_file = f"{uuid.uuid4()}-attachment.txt", f"{uuid.uuid4()}-attachment.json"
    logger.report_attached_data(score.text(), text_file)
    logger.report_attached_data(out.read_text(), json_file)
    now = int(time.time() * 1000)
    logger.report_result(TestResult(
        name=f"obsdrill mutate: score {score.percent:.1f}%", uuid=str(uuid.uuid4()), fullName="obsdrill mutate",
        status=Status.PASSED if not score.survivors() else Status.FAILED, start=now - int(score.seconds * 1000),
        stop=now, attachments=[Attachment(name="mutation report", source=text_file, type="text/plain"),
                               Attachment(name="mutate result.json", source=json_file, type="application/json")]))
    return out
