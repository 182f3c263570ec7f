"""The monitoring config under test (prometheus.yml, rule files, alertmanager.yml) as typed models.

Loaded from a config directory (the shipped stack/ or a user's own), validated with errors that name
the file and the path inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness import durations
from harness.errors import ConfigError


@dataclass(frozen=True)
class AlertRule:
    name: str
    expr: str
    for_seconds: float
    labels: tuple[tuple[str, str], ...]
    annotations: tuple[tuple[str, str], ...]
    group: str
    file: str

    @property
    def severity(self) -> str | None:
        return dict(self.labels).get("severity")

    def label(self, key: str) -> str | None:
        return dict(self.labels).get(key)

    def windows(self) -> list[float]:
        return durations.range_windows(self.expr)


@dataclass(frozen=True)
class SourceConfig:
    """The raw documents, kept as loaded so rendering can rewrite them without losing fields."""

    directory: Path
    prometheus: dict[str, Any]
    rule_files: tuple[tuple[str, dict[str, Any]], ...]
    alertmanager: dict[str, Any]

    def rules(self) -> list[AlertRule]:
        return [rule for name, doc in self.rule_files for rule in parse_rules(doc, name)]

    def rule(self, name: str) -> AlertRule:
        for rule in self.rules():
            if rule.name == name:
                return rule
        known = ", ".join(r.name for r in self.rules())
        raise ConfigError(f"alert {name!r} is not defined in the loaded rules ({known})")

    def receivers(self) -> list[str]:
        return [r["name"] for r in self.alertmanager.get("receivers", [])]


def load_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path}: file not found")
    try:
        doc = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    return doc


def load_source(config_dir: Path) -> SourceConfig:
    prom_path = config_dir / "prometheus" / "prometheus.yml"
    prometheus = load_yaml(prom_path)
    rule_files = []
    for i, name in enumerate(prometheus.get("rule_files") or []):
        if any(ch in name for ch in "*?["):
            raise ConfigError(f"{prom_path}: rule_files[{i}]: globs are not supported, list files one by one")
        rule_files.append((name, load_yaml(prom_path.parent / name)))
    alertmanager = load_yaml(config_dir / "alertmanager" / "alertmanager.yml")
    source = SourceConfig(config_dir, prometheus, tuple(rule_files), alertmanager)
    _check_alertmanager(source, config_dir / "alertmanager" / "alertmanager.yml")
    source.rules()  # validates every rule
    return source


def parse_rules(doc: dict[str, Any], file: str) -> list[AlertRule]:
    out = []
    groups = doc.get("groups")
    if not isinstance(groups, list):
        raise ConfigError(f"{file}: groups: expected a list of rule groups")
    for gi, group in enumerate(groups):
        for ri, rule in enumerate(group.get("rules") or []):
            if "alert" not in rule:
                continue  # recording rule
            where = f"{file}: groups[{gi}].rules[{ri}]"
            if not isinstance(rule.get("expr"), str | int | float):
                raise ConfigError(f"{where}.expr: required PromQL expression is missing")
            out.append(AlertRule(
                name=str(rule["alert"]), expr=str(rule["expr"]).strip(),
                for_seconds=durations.parse(rule.get("for", 0), f"{where}.for"),
                labels=tuple(sorted((str(k), str(v)) for k, v in (rule.get("labels") or {}).items())),
                annotations=tuple(sorted((str(k), str(v)) for k, v in (rule.get("annotations") or {}).items())),
                group=str(group.get("name", gi)), file=file))
    return out


def _check_alertmanager(source: SourceConfig, path: Path) -> None:
    am = source.alertmanager
    if "route" not in am:
        raise ConfigError(f"{path}: route: required field is missing")
    names = source.receivers()
    for where, receiver in _route_receivers(am["route"], "route"):
        if receiver not in names:
            raise ConfigError(f"{path}: {where}.receiver: {receiver!r} is not a defined receiver "
                              f"({', '.join(names)})")


def _route_receivers(route: dict[str, Any], where: str) -> list[tuple[str, str]]:
    found = [(where, route["receiver"])] if "receiver" in route else []
    for i, child in enumerate(route.get("routes") or []):
        found += _route_receivers(child, f"{where}.routes[{i}]")
    return found
