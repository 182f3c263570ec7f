"""The config a running Prometheus and Alertmanager actually use, read from their APIs (``/api/v1/rules``,
``/api/v1/status/config``, ``/api/v2/status``) and written into a run dir as the RenderedConfig the scenario
engine computes its deadlines from. Nothing is rendered: an external stack is tested as it is deployed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests
import yaml

from harness import durations
from harness.config import AlertRule, parse_rules
from harness.errors import StackError
from harness.render import AM_DEFAULTS, PROM_DEFAULTS, RenderedConfig, Timing

RULES_FILE = "deployed-rules.yml"


def _get(url: str, what: str) -> Any:
    try:
        response = requests.get(url, timeout=10)
        response.raise_for_status()
        return response.json()
    except (requests.RequestException, ValueError) as exc:
        raise StackError(f"{what}: GET {url} failed: {exc}") from None


def _duration(seconds: Any) -> str:
    return durations.format(float(seconds)) if seconds else "0s"


def rules_document(rule_api: dict[str, Any]) -> dict[str, Any]:
    """``/api/v1/rules`` as a Prometheus rule file (``for`` and group intervals in seconds)."""
    groups = []
    for group in rule_api.get("data", {}).get("groups", []):
        rules: list[dict[str, Any]] = []
        for rule in group.get("rules") or []:
            if rule.get("type") != "alerting":
                rules.append({"record": rule.get("name"), "expr": rule.get("query", "")})
                continue
            rules.append({"alert": rule["name"], "expr": rule.get("query", ""),
                          "for": _duration(rule.get("duration")),
                          "labels": dict(rule.get("labels") or {}),
                          "annotations": dict(rule.get("annotations") or {})})
        groups.append({"name": group.get("name", ""), "interval": _duration(group.get("interval")), "rules": rules})
    return {"groups": groups}


def rules(prometheus_url: str) -> tuple[AlertRule, ...]:
    """The alerting rules a running Prometheus evaluates now (``for`` and expressions as it reports them)."""
    return tuple(parse_rules(rules_document(_get(f"{prometheus_url}/api/v1/rules", "Prometheus rules")), RULES_FILE))


def timing(prometheus: dict[str, Any], alertmanager: dict[str, Any], factor: float) -> Timing:
    """The timings deadlines are computed from, as deployed (Prometheus's and Alertmanager's defaults filled)."""
    glob = {**PROM_DEFAULTS, **(prometheus.get("global") or {})}
    scrape = max([durations.parse(glob["scrape_interval"], "prometheus global.scrape_interval")] + [
        durations.parse(job.get("scrape_interval") or glob["scrape_interval"], f"scrape job {job.get('job_name')}")
        for job in prometheus.get("scrape_configs") or []])
    route = {**AM_DEFAULTS, **(alertmanager.get("route") or {})}
    return Timing(factor=factor, scrape_interval=scrape,
                  evaluation_interval=durations.parse(glob["evaluation_interval"], "global.evaluation_interval"),
                  group_wait=durations.parse(route["group_wait"], "route.group_wait"),
                  group_interval=durations.parse(route["group_interval"], "route.group_interval"),
                  repeat_interval=durations.parse(route["repeat_interval"], "route.repeat_interval"))


def read(prometheus_url: str, alertmanager_url: str, out_dir: Path, factor: float,
         background: tuple[str, ...] = ()) -> RenderedConfig:
    """The deployed config, also written under ``out_dir`` (prometheus/, alertmanager/) for the report.
    ``factor``: the time factor the deployed config was made for (1.0: real time)."""
    prom_yaml = str(_get(f"{prometheus_url}/api/v1/status/config", "Prometheus config")["data"]["yaml"])
    rules_doc = rules_document(_get(f"{prometheus_url}/api/v1/rules", "Prometheus rules"))
    am_yaml = str((_get(f"{alertmanager_url}/api/v2/status", "Alertmanager status").get("config") or {})
                  .get("original", ""))
    prometheus = yaml.safe_load(prom_yaml) or {}
    alertmanager = yaml.safe_load(am_yaml) or {}
    if "route" not in alertmanager:
        raise StackError(f"Alertmanager at {alertmanager_url}: its config (/api/v2/status) has no route")
    for rel, text in (("prometheus/prometheus.yml", prom_yaml), (f"prometheus/{RULES_FILE}", yaml.safe_dump(
            rules_doc, sort_keys=False, width=1000)), ("alertmanager/alertmanager.yml", am_yaml)):
        (out_dir / rel).parent.mkdir(parents=True, exist_ok=True)
        (out_dir / rel).write_text(text)
    rules = tuple(parse_rules(rules_doc, RULES_FILE))
    constant = tuple(r.name for r in rules if r.constant)
    external = tuple(sorted((str(k), str(v)) for k, v in ((prometheus.get("global") or {})
                                                           .get("external_labels") or {}).items()))
    return RenderedConfig(out_dir, timing(prometheus, alertmanager, factor), rules, alertmanager["route"],
                          tuple(str(r["name"]) for r in alertmanager.get("receivers") or []),
                          rewrites=("nothing rendered: the config as deployed (read from the servers' APIs)",),
                          background=tuple(dict.fromkeys([*background, *constant])), external_labels=external)
