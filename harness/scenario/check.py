"""Static checks, without starting anything (``obsdrill validate``, and before every run): the scenario
file against its schema, every alert name against the loaded rules, every receiver against
alertmanager.yml, every PromQL expression (scenario and rules) through a PromQL parser, and every fault
against what its service offers (docs/platform.md). Problems name the file and the path inside it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import promql_parser

from harness.certify.lint import lint
from harness.config import AlertRule, SourceConfig, load_source
from harness.errors import ConfigError
from harness.exports import unexported_warnings
from harness.platform import DOWNSTREAMS, FAULT_PARAMS, FAULT_SCHEMAS, SERVICE_FAULTS
from harness.scenario.loader import load_scenario
from harness.scenario.model import MetricCheck, Scenario
from harness.slo import rules as slo_rules
from harness.slo.objectives import Objective
from harness.stackfaults import STACK_FAULT_SCHEMAS, STACK_FAULTS


def promql_error(expr: str) -> str | None:
    """The parser's complaint about ``expr``, or None when it parses."""
    try:
        promql_parser.parse(expr)
    except (ValueError, TypeError) as exc:
        return str(exc) or type(exc).__name__
    return None


def rule_problems(rules: Sequence[AlertRule]) -> list[str]:
    out = []
    for rule in rules:
        error = promql_error(rule.expr)
        if error:
            out.append(f"{rule.file}: group {rule.group}, alert {rule.name}: expr does not parse: {error}")
    return out


def _queries(scenario: Scenario) -> list[tuple[str, MetricCheck]]:
    return ([(f"steady_state.metrics[{i}]", q) for i, q in enumerate(scenario.steady_state.metrics)]
            + [(f"expect.metrics[{i}]", q) for i, q in enumerate(scenario.expect.metrics)]
            + [(f"recovery.metrics[{i}]", q) for i, q in enumerate(scenario.recovery.metrics)])


_OFFERED = {**SERVICE_FAULTS, **STACK_FAULTS}  # the services' faults and the stack's own (harness/stackfaults.py)
_SCHEMAS = {**FAULT_SCHEMAS, **STACK_FAULT_SCHEMAS}


def _params(fault: str) -> tuple[str, ...]:
    return FAULT_PARAMS.get(fault) or tuple(STACK_FAULT_SCHEMAS[fault]["properties"])  # type: ignore[arg-type]


def _fault_problems(scenario: Scenario) -> list[str]:
    return [problem for i, f in enumerate(scenario.method)
            for problem in fault_problems(f.service, f.fault, f.spec, f"method[{i}]")]


def fault_problems(service: str, fault: str, spec: Mapping[str, object], where: str) -> list[str]:
    """What is wrong with injecting ``fault`` with ``spec`` into ``service`` (a scenario's method[i], or
    ``obsdrill fault``): an unknown service or fault, parameters it does not take or values out of range."""
    offered = _OFFERED.get(service)
    if offered is None:
        return [f"{where}.service: {service!r} is not a service of the platform ({', '.join(_OFFERED)})"]
    if fault not in offered:
        return [f"{where}.fault: {fault!r} is not offered by {service} (it offers {', '.join(offered)})"]
    out = []
    unknown = sorted(set(spec) - set(_params(fault)))
    if unknown:
        out.append(f"{where}.with: {', '.join(unknown)} not a parameter of {fault} "
                   f"({', '.join(_params(fault)) or 'none'})")
    else:
        out += fault_param_problems(fault, spec, f"{where}.with")
    target = spec.get("target")
    if fault == "downstream_unavailable" and target not in DOWNSTREAMS.get(service, ()):
        out.append(f"{where}.with.target: {target!r} is not a downstream of {service} "
                   f"({', '.join(DOWNSTREAMS.get(service, ()))})")
    return out


def fault_param_problems(fault: str, spec: Mapping[str, object], where: str) -> list[str]:
    """Each parameter of ``spec`` outside what ``fault`` accepts (platform.FAULT_SCHEMAS), e.g. a rate of 7."""
    validator = jsonschema.Draft202012Validator(_SCHEMAS[fault])
    out = []
    for error in sorted(validator.iter_errors(dict(spec)), key=lambda e: list(e.absolute_path)):
        field = ".".join(str(p) for p in error.absolute_path)
        message = "give exactly one of target_used_percent or mib" if error.validator == "oneOf" else error.message
        out.append(f"{where}{'.' + field if field else ''}: {message}")
    return out


def _name_problems(scenario: Scenario, rules: Mapping[str, AlertRule], receivers: Sequence[str]) -> list[str]:
    out = []
    known, recv = ", ".join(sorted(rules)), ", ".join(receivers)
    for i, exp in enumerate(scenario.expect.alerts):
        if exp.name not in rules:
            out.append(f"expect.alerts[{i}].name: no rule named {exp.name!r} in the loaded rules ({known})")
        out += [f"expect.alerts[{i}].receiver: {r!r} is not a receiver of alertmanager.yml ({recv})"
                for r in exp.receivers if r not in receivers]
    out += [f"background_alerts[{i}]: no rule named {name!r} in the loaded rules ({known})"
            for i, name in enumerate(scenario.background_alerts) if name not in rules]
    out += [f"expect.not_firing[{i}]: no rule named {name!r} in the loaded rules ({known})"
            for i, name in enumerate(scenario.expect.not_firing) if name not in rules]
    out += [f"expect.notifications[{i}].receiver: {n.receiver!r} is not a receiver of alertmanager.yml ({recv})"
            for i, n in enumerate(scenario.expect.notifications) if n.receiver not in receivers]
    return out


def _load_problems(scenario: Scenario) -> list[str]:
    expect = scenario.expect
    needs = [what for what, on in (("expect.logs", expect.logs is not None),
                                   ("expect.traces.one_trace_per_request",
                                    expect.traces is not None and expect.traces.one_trace_per_request)) if on]
    if needs and scenario.load is None:
        return [f"{', '.join(needs)}: checks sampled requests, but the scenario has no `load`"]
    return []


def scenario_problems(scenario: Scenario, rules: Sequence[AlertRule], receivers: Sequence[str]) -> list[str]:
    """Every static problem of a schema-valid scenario against the loaded config, each prefixed with the
    scenario file."""
    by_name = {r.name: r for r in rules}
    out = _name_problems(scenario, by_name, receivers) + _fault_problems(scenario) + _load_problems(scenario)
    out += [f"{where}.query: PromQL does not parse: {err}" for where, q in _queries(scenario)
            if (err := promql_error(q.query))]
    expected = {a.name for a in scenario.alerts}
    out += [f"recovery.alerts_resolved: {name} is not an expected alert of this scenario (expected: "
            f"{', '.join(sorted(expected)) or 'none'})"
            for name in scenario.recovery.only or () if name not in expected]
    return [f"{scenario.path}: {p}" for p in out]


@dataclass
class Validation:
    checked: list[Path] = field(default_factory=list)
    ok: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    config: str = ""
    warnings: list[str] = field(default_factory=list)  # the time-factor lint (harness/certify/lint.py)

    @property
    def passed(self) -> bool:
        return not self.problems

    def lines(self) -> list[str]:
        return [f"ok  {p}" for p in self.ok] + [f"error: {p}" for p in self.problems] + [
            f"warning: {w}" for w in self.warnings] + (
            [self.config] if self.config else [])


def validate(files: Sequence[Path], config_dir: Path, env: Mapping[str, str] | None = None) -> Validation:
    """Check the config in ``config_dir`` and every scenario file in ``files``; collects every problem
    (one bad file does not hide the next)."""
    result = Validation(checked=list(files))
    source: SourceConfig = load_source(config_dir)  # an unreadable config is a ConfigError: nothing to check
    rules, receivers = source.rules(), source.receivers()
    result.problems += rule_problems(rules)
    result.warnings += lint(source).lines() + unexported_warnings(source)
    stale = slo_rules.stale(source.objectives, config_dir) if source.objectives else None
    result.warnings += [stale] if stale else []
    for path in files:
        try:
            scenario = load_scenario(path, env)
        except ConfigError as exc:
            result.problems += str(exc).splitlines()
            continue
        found = scenario_problems(scenario, rules, receivers) + unknown_objectives(scenario, source.objectives)
        result.problems += found
        if not found:
            result.ok.append(path)
    result.config = (f"config {'ok' if not rule_problems(rules) else 'has problems'}: {config_dir} "
                     f"({len(rules)} alert rules, receivers {', '.join(receivers)})")
    return result


def unknown_objectives(scenario: Scenario, objectives: tuple[Objective, ...]) -> list[str]:
    known = {o.name for o in objectives}
    return [f"{scenario.path}: expect.error_budget.{b.slo}: no objective of that name in slo/objectives.yml "
            f"(known: {', '.join(sorted(known)) or 'none'})"
            for b in scenario.expect.error_budget if b.slo not in known]


def scenario_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.yaml"))
