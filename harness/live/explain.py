"""``obsdrill explain ALERT``: the rule as the running Prometheus evaluates it (and the rendered file it came
from), its current value against its threshold, the computed fire and resolve bounds term by term
(bounds.Deadlines), and where Alertmanager routes it (amtool in the Alertmanager container, harness/routing.py)
with each receiver's integrations."""

from __future__ import annotations

import operator
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from harness import deployed
from harness.bounds import Deadlines
from harness.clients import AlertmanagerClient, PromClient
from harness.components.alertmanager import CONFIG_DIR as AM_CONFIG_DIR
from harness.errors import ConfigError
from harness.live.watch import threshold
from harness.routing import Routing, alert_labels
from harness.session import DockerAm, UpState, host_url

OPS = {">": operator.gt, "<": operator.lt, ">=": operator.ge, "<=": operator.le, "==": operator.eq,
       "!=": operator.ne}


def rendered_file(run_dir: Path, name: str) -> str:
    for path in sorted((run_dir / "prometheus").rglob("*.yml")):
        if f"alert: {name}\n" in path.read_text():
            return str(path)
    return "(not in the rendered files)"


def integrations(alertmanager_yml: str, receiver: str) -> list[str]:
    doc = yaml.safe_load(alertmanager_yml) or {}
    for r in doc.get("receivers") or []:
        if r.get("name") == receiver:
            return [f"{key.removesuffix('_configs')} -> {cfg.get('url') or cfg.get('api_url') or cfg.get('to') or ''}"
                    for key, configs in r.items() if key.endswith("_configs") for cfg in configs or []]
    return []


def _value_lines(prom: PromClient, expr: str) -> list[str]:
    split = threshold(expr)
    if split is None:
        return ["  value: the expression is no comparison with a number; its series now: "
                + (", ".join(s.show() for s in prom.query(expr)[:5]) or "none")]
    lhs, op, bound = split
    samples = prom.query(lhs)
    out = [f"  threshold: {op} {bound:g} on {lhs}"]
    out += [f"  now {s.show()}: {'crosses' if OPS[op](s.value, bound) else 'does not cross'} {op} {bound:g}"
            for s in samples[:8]]
    return out or [f"  threshold: {op} {bound:g}; {lhs} returns no series now"]


def explain(state: UpState, containers: Mapping[str, Any], name: str, slack: float,
            labels: Mapping[str, str] | None = None) -> list[str]:
    prom_url = host_url(containers["prometheus"], state.ports["prometheus"])
    am_url = host_url(containers["alertmanager"], state.ports["alertmanager"])
    with tempfile.TemporaryDirectory(prefix="obsdrill-explain-") as tmp:
        config = deployed.read(prom_url, am_url, Path(tmp), state.time_factor)
        am_yml = (Path(tmp) / "alertmanager" / "alertmanager.yml").read_text()
    try:
        rule = config.rule(name)
    except ConfigError:
        raise ConfigError(f"explain: no alert {name!r} in the running rules "
                          f"({', '.join(r.name for r in config.rules)})") from None
    prom = PromClient(prom_url)
    states = prom.rule_states()
    out = [f"{name}: {states.get(name, '?')} now; rule {rendered_file(Path(state.run_dir), name)}",
           f"  expr: {' '.join(rule.expr.split())}", f"  for {rule.for_seconds:g}s, labels {dict(rule.labels)}"]
    out += _value_lines(prom, rule.expr)
    deadlines = Deadlines(config.timing, slack)
    out += [f"  fires within {deadlines.fire(rule).explain()}",
            f"  resolves within {deadlines.resolve(rule).explain()}"]
    routing = Routing(AlertmanagerClient(am_url, DockerAm(containers["alertmanager"]),
                                         f"{AM_CONFIG_DIR}/alertmanager.yml"))
    known = alert_labels(name, rule, tuple(sorted((labels or {}).items())), config.external_labels)
    out.append(f"  {routing.explain(known)}")
    templated = [k for k, v in rule.labels if "{{" in v]
    if not labels:
        out.append("  (labels that come from the series, e.g. service, are not known before it fires; "
                   "give them with --label KEY=VALUE" + (f"; templated: {', '.join(templated)})" if templated else ")"))
    for receiver in routing.receivers(known) or ():
        out += [f"  receiver {receiver}: {item}" for item in integrations(am_yml, receiver)] or [
            f"  receiver {receiver}: no integration"]
    return out
