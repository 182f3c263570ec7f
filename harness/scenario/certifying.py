"""The equivalence certificate of one scenario (harness/certify): after recovery, its expected alerts over
its window, the compressed run's timeline against promtool's on the unscaled config under test
(``stack.source``). Reported per alert (AlertCertified); a mismatch fails the scenario with both timelines.
Skipped, with the reason said, at time factor 1.0 (nothing is compressed) or when no promtool can run."""

from __future__ import annotations

import os
import time

from harness import envvars
from harness.certify import promtool
from harness.certify.certificate import Certificate, certify_run
from harness.errors import ExpectationFailed
from harness.events import AlertCertified, Events
from harness.scenario.model import Scenario
from harness.scenario.stackapi import StackApi

PROMTOOL_FROM = "prometheus"  # the image promtool runs from: the stack's own Prometheus (same rule engine)


def runner(stack: StackApi) -> tuple[promtool.Runner | None, str]:
    """promtool from the stack's Prometheus image, else one on PATH; (None, why) when there is neither."""
    choice = getattr(stack, "images", {}).get(PROMTOOL_FROM)  # a stack of the run's own has images and a client
    if choice is not None and choice.available:
        return promtool.ContainerPromtool(stack.client, choice.image), ""  # type: ignore[attr-defined]
    host = promtool.host_promtool()
    return (host, "") if host is not None else (None, "no Prometheus image and no promtool on PATH")


def enforced() -> bool:
    """Whether a certificate that does not hold fails the scenario (OBSDRILL_CERTIFY=enforce), not only said
    (the default until slow-page's LCP certificate stops flapping: 1 of 44 failed in 1 of 5 suite runs)."""
    return os.environ.get(envvars.CERTIFY, "report") == "enforce"


def asked_for() -> bool:
    """Whether the certificate was asked for by name (OBSDRILL_CERTIFY=enforce): a mutation run certifies
    only then. A mutant changes the scaled and the unscaled config alike, so its certificate says how
    faithful the compression is, not whether the suite caught the defect; each would cost a replay."""
    return os.environ.get(envvars.CERTIFY) == "enforce"


def skip_reason(stack: StackApi, scenario: Scenario) -> str:
    factor = stack.rendered().timing.factor
    if factor >= 1.0:
        return f"time factor {factor:g}: the run is real time, nothing to certify"
    if not scenario.alerts:
        return "the scenario expects no alert"
    if getattr(stack, "source", None) is None:
        return "this stack carries no unscaled config under test (an external or reused stack)"
    return ""


class CertifyPhase:
    def __init__(self, stack: StackApi, events: Events) -> None:
        self.stack, self.events = stack, events

    def run(self, scenario: Scenario, start: float) -> Certificate | None:
        """Certify ``scenario``'s expected alerts over [start, now] (wall-clock unix seconds)."""
        names = list(dict.fromkeys(e.name for e in scenario.alerts))
        why = skip_reason(self.stack, scenario)
        tool, missing = runner(self.stack)
        if why or tool is None:
            for name in names or ["(none)"]:
                self.events.emit(AlertCertified(name, None, f"skipped: {why or missing}", 0.0))
            return None
        timing = self.stack.rendered().timing
        # the window closes one evaluation and two scrapes after recovery: a resolution at its very end is
        # otherwise seen by one side only (the stored ALERTS series has not gone stale yet, or promtool's
        # resampled input has no sample after the drop)
        tail = timing.evaluation_interval + 2 * timing.scrape_interval
        with self.events.phase(f"certificate: {', '.join(names)} against promtool on the unscaled rules "
                               f"(window closes {tail:.1f}s after recovery)"):
            time.sleep(tail)
            began = time.monotonic()
            source = self.stack.source  # type: ignore[attr-defined]  # checked by skip_reason
            cert = certify_run(self.stack.prometheus.url, source, start, time.time(), timing.factor, names, tool)
            seconds = time.monotonic() - began
            self.events.attach("equivalence certificate", cert.describe())
            for alert in cert.alerts:
                self.events.emit(AlertCertified(alert.alert, alert.holds, alert.describe(), seconds))
        if cert.holds:
            return cert
        if enforced():
            raise ExpectationFailed(f"the equivalence certificate fails: the compressed run's alert timeline is "
                                    f"not what the unscaled rules give on the same samples\n{cert.describe()}")
        self.events.say(f"equivalence certificate does not hold (reported only: {envvars.CERTIFY}=report)")
        return cert
