"""The equivalence certificate on the real stack: promtool (from the Prometheus image) reads alert states as
the certificate expects, and a compressed HighErrorRate run is certified against promtool's evaluation of
the unscaled rules, while a rule with an absolute threshold on a window total is named by the lint and its
certificate fails (the compressed run never reaches the threshold that real time reaches)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from harness.assertions.wait import eventually
from harness.bounds import Bound
from harness.certify import promtool
from harness.certify.certificate import certify_run, exact_windows
from harness.certify.lint import lint
from harness.certify.samples import Series
from harness.facade import Obsdrill
from harness.images import load_recipes, resolve_images
from harness.runtime import Runtime
from harness.settings import Settings
from harness.stack import Stack

pytestmark = pytest.mark.stack
# 300 s of 500s at ~1/s is ~300 real-time errors; its 30 s rendered window (factor 0.1) holds ~30.
COUNT_RULE = {"alert": "ManyBackendErrors", "for": "1m", "labels": {"severity": "warning"},
              "expr": 'sum(increase(http_requests_total{service="backend", status_code="500"}[5m])) > 100'}


def add_count_rule(cfg: Path) -> None:
    path = cfg / "prometheus" / "threshold_rules.yml"
    doc = yaml.safe_load(path.read_text())
    doc["groups"][0]["rules"].append(COUNT_RULE)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def test_promtool_reports_the_alert_state_of_every_step(obsdrill_settings: Settings, obsdrill_runtime: Runtime,
                                                        tmp_path: Path) -> None:
    client = obsdrill_runtime.client()
    image = resolve_images(client, obsdrill_settings, load_recipes(obsdrill_settings.config_dir / "images"),
                           ("prometheus",))["prometheus"].image
    rules = {"groups": [{"name": "g", "rules": [{"alert": "A", "expr": "x > 5", "for": "30s"}]}]}
    x = Series((("__name__", "x"), ("job", "a")), tuple((t, 10.0 if 20 <= t < 100 else 1.0) for t in range(0, 200, 10)))
    grid = promtool.Grid(start=0, step=10, evaluation_interval=15, count=20)
    got = promtool.evaluate(promtool.ContainerPromtool(client, image), tmp_path,
                            rules, promtool.test_document("rules.yml", [x], grid, ["A"]))
    states = {at: [s["alertstate"] for s in found] for at, found in got.items()}
    # x > 5 from 20 s (first evaluated at 30 s); `for` 30 s: firing at 60 s; x back to 1 at 100 s
    assert states == {30.0: ["pending"], 45.0: ["pending"], 60.0: ["firing"], 75.0: ["firing"], 90.0: ["firing"]}


def test_promtool_sees_each_series_at_its_own_spacing_and_a_vanished_one_as_stale(
        obsdrill_settings: Settings, obsdrill_runtime: Runtime, tmp_path: Path) -> None:
    """On the 1 s grid: a 15 s counter's irate() reads its true rate at every step (a value held onto a 10 s
    grid read as no change every third step); a gauge that stops at 60 s (its target crashed) is stale from
    70 s, as on the stack, not read on for promtool's 5 m lookback; a window holds the samples it held in the
    compressed run, not one more at its left edge."""
    client = obsdrill_runtime.client()
    image = resolve_images(client, obsdrill_settings, load_recipes(obsdrill_settings.config_dir / "images"),
                           ("prometheus",))["prometheus"].image
    rules = {"groups": [{"name": "g", "rules": [
        {"alert": "Idle", "expr": exact_windows("irate(c_total[1m]) < 0.4", 1)},
        {"alert": "Up", "expr": "x > 5"},
        # one sample every 10 s, 0.3 s before a point: any 10 s window held one in the compressed run; unshortened,
        # the windows ending at 15 s, 45 s, ... took in the sample of 4.7 s (at point 5) as well
        {"alert": "Two", "expr": exact_windows("count_over_time(y[10s]) > 1", 1)}]}]}
    c = Series((("__name__", "c_total"),), tuple((float(t), t * 0.5) for t in range(0, 181, 15)))
    x = Series((("__name__", "x"),), tuple((float(t), 10.0) for t in range(0, 61, 10)))
    y = Series((("__name__", "y"),), tuple((t + 4.7, 1.0) for t in range(0, 181, 10)))
    grid = promtool.Grid(start=0, step=1, evaluation_interval=15, count=181)
    got = promtool.evaluate(promtool.ContainerPromtool(client, image), tmp_path,
                            rules, promtool.test_document("rules.yml", [c, x, y], grid, ["Idle", "Up", "Two"]))
    states = {at: sorted(f"{s['alertname']}:{s['alertstate']}" for s in found) for at, found in got.items()}
    assert states == {at: ["Up:firing"] for at in (0.0, 15.0, 30.0, 45.0, 60.0)}, states


def _rate(obsdrill: Obsdrill) -> float:
    found = obsdrill.prometheus.query('sum(rate(http_requests_total{service="backend", status_code="500"}[30s]))')
    return found[0].value if found else 0.0


def test_compressed_error_burst_is_certified(config_copy: Callable[[Callable[[Path], None]], Path],
                                             obsdrill_settings: Settings, obsdrill_runtime: Runtime) -> None:
    settings = obsdrill_settings.validated(config_dir=config_copy(add_count_rule), stack_mode="core")
    with Stack(settings, obsdrill_runtime) as stack:
        obsdrill = Obsdrill(stack)
        obsdrill.reset()
        assert [f.rule for f in lint(stack.source).for_rule("ManyBackendErrors")] == ["alert ManyBackendErrors"]
        with obsdrill.load(users=4, journeys={"browse": 3, "register": 1}):
            time.sleep(20)
            start = time.time()
            obsdrill.service("backend").set_fault("http_errors", {"rate": 0.2, "status": 500})
            obsdrill.expect_alert("HighErrorRate", "critical-alerts", {"service": "backend"})
            rate = _rate(obsdrill)
            time.sleep(10)
            obsdrill.service("backend").clear_fault()
            eventually(lambda: not [a for a in obsdrill.prometheus.alerts() if a.name == "HighErrorRate"] or None,
                       Bound.of(120), "HighErrorRate resolved in Prometheus")
            time.sleep(5)
            end = time.time()
        runner = promtool.ContainerPromtool(stack.client, stack.images["prometheus"].image)
        cert = certify_run(obsdrill.prometheus.url, stack.source, start, end, settings.time_factor,
                           ["HighErrorRate", "ManyBackendErrors"], runner, stack.run_dir / "certificate")
    print(f"backend 500s: {rate:.2f}/s\n{cert.describe()}")
    high = cert.alert("HighErrorRate")
    assert any(t.state == "firing" for i in high.instances for t in i.compressed), cert.describe()
    assert high.holds, cert.describe()
    count = cert.alert("ManyBackendErrors")
    assert count.lint and not count.holds, cert.describe()
