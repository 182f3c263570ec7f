"""The reconciliation step of the `expect` phase (harness/assertions/reconcile.py): the load pauses (every
user finishes its journey, none is in flight), each pillar of this stack is counted over the load's window
until it balances with the load's request logs or the pipeline bound passes, the table goes to the report
(an Attachment, and result.json through a Reconciled event), and the load resumes for the rollback and
recovery. On by default when the scenario has a load (``expect.reconcile: false`` turns it off); a core
stack runs no Elasticsearch or Jaeger, so there it reconciles the metrics only, and says so."""

from __future__ import annotations

from typing import Any

from harness import bounds
from harness.assertions.analytics import assert_analytics
from harness.assertions.pillars import COUNTER, Window, elasticsearch_count, jaeger_count, prometheus_count, scraped
from harness.assertions.reconcile import Source, assert_reconciled, reconcile
from harness.errors import ConfigError
from harness.events import Events, Reconciled
from harness.load import LoadRun, MadeRequest
from harness.scenario.model import Scenario
from harness.scenario.result import ScenarioResult
from harness.scenario.stackapi import StackApi


def enabled(scenario: Scenario) -> bool:
    wanted = scenario.expect.reconcile
    if wanted and scenario.load is None:
        raise ConfigError(f"{scenario.path}: expect.reconcile: true needs a `load:` (nothing to reconcile)")
    return scenario.load is not None if wanted is None else wanted


def request_rate(made: list[MadeRequest], users: int, workers: int, browsers: int = 0) -> dict[str, Any]:
    """The load's aggregate request rate, first request to last answer."""
    span = made[-1].at - made[0].at if len(made) > 1 else 0.0
    rps = round((len(made) - 1) / span, 1) if span > 0 else 0.0
    procs = f"{workers} Locust worker(s)" if workers else "1 Locust process"
    procs += f" and {browsers} browser user(s)" if browsers else ""
    return {"users": users, "workers": workers, "requests": len(made), "seconds": round(span, 1), "rps": rps,
            "describe": f"load: {len(made)} requests in {span:.1f}s = {rps:g}/s, {users} users on {procs}"}


def _sources(stack: StackApi, load: LoadRun, window: Window, events: Events) -> list[Source]:
    made = load.requests()
    sources: list[Source] = []
    if scraped(stack.prometheus, window.target):
        sources.append(lambda: prometheus_count(stack.prometheus, window, made))
    else:  # a team's own config need not scrape the load's entry service
        events.say(f"reconciliation: the config under test scrapes no {COUNTER} of {window.target}: "
                   f"metrics not reconciled")
    left_out = [name for name in ("elasticsearch", "jaeger") if not stack.has(name)]
    if "elasticsearch" not in left_out:
        sources.append(lambda: elasticsearch_count(stack.elasticsearch, window))
    if "jaeger" not in left_out:
        ratio, limit = stack.settings.trace_sampling, 2 * len(made) + 100
        sources.append(lambda: jaeger_count(stack.jaeger, window, limit, ratio))
    if left_out:
        events.say(f"reconciliation: metrics only, this stack runs no {' or '.join(left_out)} "
                   f"({stack.settings.stack_mode} mode)")
    return sources


def reconcile_load(stack: StackApi, scenario: Scenario, load: LoadRun | None, result: ScenarioResult,
                   events: Events) -> None:
    if load is None or not enabled(scenario):
        return
    config = stack.rendered()
    deadlines = bounds.Deadlines(config.timing, stack.settings.slack_seconds)
    bound = result.bound("reconciliation", deadlines.pipeline().plus("scrape", config.timing.scrape_interval))
    target = load.profile.target
    with events.phase(f"reconcile: the load's requests to {target} = every pillar's count, per journey and "
                      f"status, within {bound.seconds:.1f}s"):
        window = Window(target, load.started_at, load.pause())
        made = load.requests()
        sources = _sources(stack, load, window, events)
        if not sources:
            events.say("reconciliation not checked: no pillar of this stack counts the load's requests")
            load.resume()
            return
        counted = reconcile(made, sources, bound)
        rate = request_rate(made, load.profile.users, load.profile.workers, load.profile.browsers)
        events.attach("reconciliation", f"{rate['describe']}\n{counted.text()}")
        events.emit(Reconciled({"load": rate, **counted.as_dict()}))
        assert_reconciled(counted)
        events.say(f"reconciled {len(made)} requests ({rate['rps']:g}/s) with {', '.join(counted.pillars)}: "
                   f"0 unaccounted, after {counted.waited:.1f}s")
        if load.profile.browsers and stack.has("sink"):
            analytics = assert_analytics(stack.sink, made, deadlines.notification())
            events.attach("client analytics (GA4, Mixpanel) = the browsers' successful calls", analytics.text())
            events.say(f"client analytics: {sum(analytics.expected.values())} events at GA4 and at Mixpanel, as "
                       f"the browsers' calls sent")
        load.resume()
