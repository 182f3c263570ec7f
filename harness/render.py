"""Render the config under test for one run: scale every timing by the time factor and point every
notification integration at the harness's own receiver endpoints. Never hand-edits the sources."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness import durations
from harness.config import AlertRule, SourceConfig, parse_rules
from harness.errors import ConfigError
from harness.references import carry_files, carry_templates
from harness.slo.objectives import Objective

PROM_DEFAULTS = {"scrape_interval": "1m", "scrape_timeout": "10s", "evaluation_interval": "1m"}
AM_DEFAULTS = {"group_wait": "30s", "group_interval": "5m", "repeat_interval": "4h"}
SINK_HTTP = "http://sink:8080"
SINK_SMTP = "sink:1025"
# Integrations the harness can stand in for. Others are dropped (never sent to the outside world).
HANDLED = ("email_configs", "slack_configs", "pagerduty_configs", "webhook_configs")


@dataclass(frozen=True)
class Timing:
    """The scaled timings a deadline is computed from (seconds)."""

    factor: float
    scrape_interval: float
    evaluation_interval: float
    group_wait: float
    group_interval: float
    repeat_interval: float


@dataclass(frozen=True)
class RenderedConfig:
    directory: Path
    timing: Timing
    rules: tuple[AlertRule, ...]
    route: dict[str, Any]
    receivers: tuple[str, ...]
    rewrites: tuple[str, ...]
    copied: tuple[str, ...] = ()  # referenced files that travelled with the config (or were stood in for)
    background: tuple[str, ...] = ()  # always-on alerts (SourceConfig.background)
    external_labels: tuple[tuple[str, str], ...] = ()  # added by Prometheus to every alert it sends
    sent_labels: tuple[str, ...] = ()  # set only on the way out (external labels, alert_relabel_configs targets)
    paging_budgets: tuple[tuple[str, float], ...] = ()  # obsdrill.yml: severity -> real-time seconds
    objectives: tuple[Objective, ...] = ()  # slo/objectives.yml: the report's error budget per scenario

    def rule(self, name: str) -> AlertRule:
        for rule in self.rules:
            if rule.name == name:
                return rule
        known = ", ".join(r.name for r in self.rules)
        raise ConfigError(f"alert {name!r} is not defined in the rendered rules ({known})")


def render(source: SourceConfig, factor: float, out_dir: Path, present: set[str] | None = None) -> RenderedConfig:
    """``present``: hosts this run has (DNS aliases); scrape targets on other hosts are dropped (they could
    only ever be down and fire ServiceDown). None keeps every target."""
    prom, prom_global = _scaled_prometheus(source.prometheus, factor)
    dropped = _drop_absent_targets(prom, present) if present is not None else []
    rule_docs = [(name, _scaled_rules(doc, factor)) for name, doc in source.rule_files]
    if "rule_files" in prom:
        prom["rule_files"] = [name for name, _ in rule_docs]  # globs expanded: each file named
    am, rewrites = _rewritten_alertmanager(source.alertmanager, factor)
    prom_out, am_out = out_dir / "prometheus", out_dir / "alertmanager"
    prom_out.mkdir(parents=True, exist_ok=True)
    am_out.mkdir(parents=True, exist_ok=True)
    copied = carry_templates(am, source.directory / "alertmanager", am_out)
    copied += carry_files(am, source.directory / "alertmanager", am_out, "alertmanager.yml")
    copied += carry_files(prom, source.directory / "prometheus", prom_out, "prometheus.yml")
    _dump(prom_out / "prometheus.yml", prom)
    for name, doc in rule_docs:
        (prom_out / name).parent.mkdir(parents=True, exist_ok=True)
        _dump(prom_out / name, doc)
    _dump(am_out / "alertmanager.yml", am)
    route = am["route"]
    scrape = max([durations.parse(prom_global["scrape_interval"])] + [
        durations.parse(job["scrape_interval"]) for job in prom.get("scrape_configs", [])])
    timing = Timing(
        factor=factor, scrape_interval=scrape,
        evaluation_interval=durations.parse(prom_global["evaluation_interval"]),
        group_wait=durations.parse(route["group_wait"]), group_interval=durations.parse(route["group_interval"]),
        repeat_interval=durations.parse(route["repeat_interval"]))
    rules = tuple(rule for name, doc in rule_docs for rule in parse_rules(doc, name))
    receivers = tuple(r["name"] for r in am.get("receivers", []))
    external = tuple(sorted((str(k), str(v)) for k, v in (prom_global.get("external_labels") or {}).items()))
    return RenderedConfig(out_dir, timing, rules, route, receivers, tuple(dropped + rewrites), tuple(copied),
                          tuple(source.background()), external, _sent_labels(prom, external),
                          source.paging_budgets, source.objectives)


def _sent_labels(prom: dict[str, Any], external: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """Label names Prometheus sets on an alert only when it sends it to Alertmanager, so its own alert
    API never shows them: the external labels and the target labels of alerting.alert_relabel_configs."""
    relabel = (prom.get("alerting") or {}).get("alert_relabel_configs") or []
    targets = {str(r["target_label"]) for r in relabel if isinstance(r, dict) and r.get("target_label")}
    return tuple(sorted(targets | {name for name, _ in external}))


def _dump(path: Path, doc: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(doc, sort_keys=False, width=1000))
    path.chmod(0o644)


def _scale_keys(doc: dict[str, Any], keys: tuple[str, ...], factor: float, where: str) -> None:
    for key in keys:
        if key in doc:
            doc[key] = durations.scale(doc[key], factor, f"{where}.{key}")


def _scaled_prometheus(src: dict[str, Any], factor: float) -> tuple[dict[str, Any], dict[str, Any]]:
    prom = copy.deepcopy(src)
    glob = prom.setdefault("global", {})
    for key, default in PROM_DEFAULTS.items():
        glob.setdefault(key, default)
    for i, job in enumerate(prom.get("scrape_configs") or []):
        job.setdefault("scrape_interval", glob["scrape_interval"])
        timeout = min(durations.parse(glob["scrape_timeout"]), durations.parse(job["scrape_interval"]))
        job.setdefault("scrape_timeout", durations.format(timeout))
        _scale_keys(job, ("scrape_interval", "scrape_timeout"), factor, f"prometheus.yml: scrape_configs[{i}]")
    _scale_keys(glob, tuple(PROM_DEFAULTS), factor, "prometheus.yml: global")
    return prom, glob


def _drop_absent_targets(prom: dict[str, Any], present: set[str]) -> list[str]:
    notes, jobs = [], []
    for job in prom.get("scrape_configs") or []:
        kept_groups = []
        for group in job.get("static_configs") or []:
            targets = [t for t in group.get("targets") or [] if _host(t) in present]
            notes += [f"scrape job {job.get('job_name')}: target {t} dropped (not in this run's stack)"
                      for t in group.get("targets") or [] if t not in targets]
            if targets:
                kept_groups.append({**group, "targets": targets})
        if kept_groups or not job.get("static_configs"):
            jobs.append({**job, "static_configs": kept_groups} if job.get("static_configs") else job)
    prom["scrape_configs"] = jobs
    return notes


def _host(target: str) -> str:
    host = str(target).rsplit(":", 1)[0]
    return "localhost" if host in ("localhost", "127.0.0.1") else host


def _scaled_rules(src: dict[str, Any], factor: float) -> dict[str, Any]:
    doc = copy.deepcopy(src)
    for group in doc.get("groups") or []:
        _scale_keys(group, ("interval",), factor, "rule group")
        for rule in group.get("rules") or []:
            _scale_keys(rule, ("for", "keep_firing_for"), factor, f"rule {rule.get('alert')}")
            rule["expr"] = durations.scale_ranges(str(rule["expr"]), factor)
    return doc


def _rewritten_alertmanager(src: dict[str, Any], factor: float) -> tuple[dict[str, Any], list[str]]:
    am = copy.deepcopy(src)
    rewrites: list[str] = []
    glob = am.setdefault("global", {})
    if "resolve_timeout" in glob:
        _scale_keys(glob, ("resolve_timeout",), factor, "alertmanager.yml: global")
    if "smtp_smarthost" in glob:
        rewrites.append(f"global.smtp_smarthost {glob['smtp_smarthost']} -> {SINK_SMTP} (harness SMTP server)")
    glob["smtp_smarthost"] = SINK_SMTP
    glob["smtp_require_tls"] = False
    for key in ("smtp_auth_username", "smtp_auth_password", "smtp_auth_password_file", "smtp_auth_secret"):
        glob.pop(key, None)
    glob.setdefault("smtp_from", "obsdrill@localhost")
    _scale_route(am["route"], factor, top=True)
    am["receivers"] = _unshared(am.get("receivers") or [])
    for receiver in am["receivers"]:
        rewrites += _rewrite_receiver(receiver)
    return am, rewrites


def _scale_route(route: dict[str, Any], factor: float, top: bool) -> None:
    if top:
        for key, default in AM_DEFAULTS.items():
            route.setdefault(key, default)
    _scale_keys(route, tuple(AM_DEFAULTS), factor, "alertmanager.yml: route")
    if route.get("routes"):
        route["routes"] = _unshared(route["routes"])  # a route reused by a YAML alias is scaled once per use
    for child in route.get("routes") or []:
        _scale_route(child, factor, top=False)


def _unshared(items: list[Any]) -> list[Any]:
    """``items`` with no object shared between two of them: YAML anchors and aliases (``webhook_configs:
    *hooks`` in two receivers) load as one object, which a rewrite for one receiver would change for both."""
    return [copy.deepcopy(item) for item in items]


def _rewrite_receiver(receiver: dict[str, Any]) -> list[str]:
    name = receiver["name"]
    notes = []
    for key in [k for k in receiver if k.endswith("_configs") and k not in HANDLED]:
        notes.append(f"receiver {name}: {key} dropped (no harness endpoint for it)")
        del receiver[key]
    for cfg in receiver.get("email_configs") or []:
        for key in ("smarthost", "auth_username", "auth_password", "auth_password_file", "auth_secret"):
            cfg.pop(key, None)
        cfg["require_tls"] = False
    for cfg in receiver.get("slack_configs") or []:
        cfg.pop("api_url_file", None)
        cfg["api_url"] = f"{SINK_HTTP}/slack/{name}"
    for cfg in receiver.get("pagerduty_configs") or []:
        cfg["url"] = f"{SINK_HTTP}/pagerduty/{name}"
        cfg.pop("routing_key_file", None)
        cfg.pop("service_key_file", None)
        if "service_key" not in cfg:
            cfg.setdefault("routing_key", "obsdrill-test-routing-key")
    webhooks = receiver.setdefault("webhook_configs", [])
    for cfg in webhooks:
        cfg.pop("url_file", None)
        cfg["url"] = f"{SINK_HTTP}/webhook/{name}"
    webhooks.append({"url": f"{SINK_HTTP}/tap/{name}", "send_resolved": True})
    notes.append(f"receiver {name}: integrations pointed at the harness sink; recording webhook added")
    return notes
