"""The monitoring config under test (prometheus.yml, rule files, alertmanager.yml) as typed models.

Loaded from a config directory (the shipped stack/ or a user's own), validated with errors that name
the file and the path inside it.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import promql_parser
import yaml

from harness import durations
from harness.errors import ConfigError
from harness.slo.objectives import Objective, load_objectives


@dataclass(frozen=True)
class AlertRule:
    name: str
    expr: str
    for_seconds: float
    labels: tuple[tuple[str, str], ...]
    annotations: tuple[tuple[str, str], ...]
    group: str
    file: str
    keep_firing_seconds: float = 0.0  # keep_firing_for: how long it stays firing once the expression is false

    @property
    def severity(self) -> str | None:
        return dict(self.labels).get("severity")

    def label(self, key: str) -> str | None:
        return dict(self.labels).get(key)

    def windows(self) -> list[float]:
        return durations.range_windows(self.expr)

    @property
    def constant(self) -> bool:
        """The expression reads no series (``vector(1)``, a dead-man's switch): it is always on (or never)."""
        try:
            return not _reads_series(promql_parser.parse(self.expr))
        except (ValueError, TypeError):
            return False  # an expression that does not parse is reported by the static checks


def _reads_series(node: Any) -> bool:
    if type(node).__name__ in ("VectorSelector", "MatrixSelector"):
        return True
    children = [getattr(node, key, None) for key in ("lhs", "rhs", "expr", "param")]
    children += list(getattr(node, "args", None) or [])
    return any(_reads_series(child) for child in children if child is not None and not isinstance(child, str))


@dataclass(frozen=True)
class SourceConfig:
    """The raw documents, kept as loaded so rendering can rewrite them without losing fields."""

    directory: Path
    prometheus: dict[str, Any]
    rule_files: tuple[tuple[str, dict[str, Any]], ...]  # (path relative to prometheus/, document)
    alertmanager: dict[str, Any]
    declared_background: tuple[str, ...] = ()  # obsdrill.yml: background_alerts
    paging_budgets: tuple[tuple[str, float], ...] = ()  # obsdrill.yml: severity -> real-time seconds
    objectives: tuple[Objective, ...] = ()  # slo/objectives.yml (OpenSLO)

    def background(self) -> list[str]:
        """Alerts that are always on: declared in obsdrill.yml, or recognised (an expression with no input
        series). They are kept out of settle and `no_other_alerts`; their heartbeat is checked instead."""
        found = [r.name for r in self.rules() if r.constant]
        return list(dict.fromkeys([*self.declared_background, *found]))

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


def matched_files(base: Path, pattern: str, where: str) -> list[Path]:
    """Files a config path names (relative to ``base``, or absolute; globs as Prometheus and Alertmanager
    expand them, ``**`` not included), sorted."""
    if not isinstance(pattern, str) or not pattern:
        raise ConfigError(f"{where}: expected a file path or glob, got {pattern!r}")
    full = Path(pattern) if Path(pattern).is_absolute() else base / pattern
    return sorted(Path(p) for p in glob.glob(str(full)) if Path(p).is_file())


def relative_name(path: Path, base: Path) -> str:
    """Where a referenced file goes in the run dir, relative to ``base`` (its config file's dir): the same
    relative path when it lies under ``base``, else ``external/<name>``."""
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return f"external/{path.name}"


def _rule_files(prom_path: Path, prometheus: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    entries = prometheus.get("rule_files") or []
    if not isinstance(entries, list):
        raise ConfigError(f"{prom_path}: rule_files: expected a list of paths or globs")
    for i, pattern in enumerate(entries):
        where = f"{prom_path}: rule_files[{i}]"
        matched = matched_files(prom_path.parent, pattern, where)
        if not matched and not any(ch in pattern for ch in "*?["):
            raise ConfigError(f"{where}: {pattern!r}: file not found (relative to {prom_path.parent})")
        out += [(relative_name(p, prom_path.parent), load_yaml(p)) for p in matched]
    return out


OBSDRILL_FILE = "obsdrill.yml"  # the config dir's own harness settings (background alerts, paging budgets)


def obsdrill_file(config_dir: Path) -> dict[str, Any]:
    """The config dir's obsdrill.yml (an empty mapping when it has none): the one loader of that file."""
    path = config_dir / OBSDRILL_FILE
    return load_yaml(path) if path.is_file() else {}


def _declared_background(config_dir: Path, doc: dict[str, Any]) -> tuple[str, ...]:
    names = doc.get("background_alerts") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"{config_dir / OBSDRILL_FILE}: background_alerts: expected a list of alert names")
    return tuple(names)


def _paging_budgets(config_dir: Path, doc: dict[str, Any]) -> tuple[tuple[str, float], ...]:
    """obsdrill.yml ``paging_budgets: {critical: 5m, warning: 15m}``: per severity label value, the longest
    acceptable real-time delay from fault to notification."""
    budgets = doc.get("paging_budgets") or {}
    where = f"{config_dir / OBSDRILL_FILE}: paging_budgets"
    if not isinstance(budgets, dict):
        raise ConfigError(f"{where}: expected a mapping of severity to duration (e.g. critical: 5m)")
    return tuple(sorted((str(k), durations.parse(v, f"{where}.{k}")) for k, v in budgets.items()))


def load_source(config_dir: Path) -> SourceConfig:
    prom_path = config_dir / "prometheus" / "prometheus.yml"
    prometheus = load_yaml(prom_path)
    rule_files = _rule_files(prom_path, prometheus)
    alertmanager = load_yaml(config_dir / "alertmanager" / "alertmanager.yml")
    settings = obsdrill_file(config_dir)
    source = SourceConfig(config_dir, prometheus, tuple(rule_files), alertmanager,
                          _declared_background(config_dir, settings), _paging_budgets(config_dir, settings),
                          load_objectives(config_dir))
    _check_alertmanager(source, config_dir / "alertmanager" / "alertmanager.yml")
    rules = {r.name for r in source.rules()}  # validates every rule
    unknown = [n for n in source.declared_background if n not in rules]
    if unknown:
        raise ConfigError(f"{config_dir / 'obsdrill.yml'}: background_alerts: {', '.join(unknown)} not defined "
                          f"in the loaded rules")
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
                group=str(group.get("name", gi)), file=file,
                keep_firing_seconds=durations.parse(rule.get("keep_firing_for", 0), f"{where}.keep_firing_for")))
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
