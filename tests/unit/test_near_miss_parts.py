"""Near misses name the part of an expression that matched nothing (promql-parser AST), and a rule active
before any fault is reported with its value against its threshold."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import promql_parser

from harness.assertions.metrics import baseline_report, comparisons, empty_parts, near_misses
from harness.clients import PromClient, Sample
from harness.config import load_source
from harness.events import Events
from harness.render import RenderedConfig, render
from harness.scenario.runner import ScenarioRunner
from harness.settings import Settings, project_root


class StubProm:
    """query(expr) -> the series given for the expression (compared in promql-parser's printed form)."""

    def __init__(self, series: Mapping[str, int]) -> None:
        self.series = {promql_parser.parse(k).prettify(): v for k, v in series.items()}

    def query(self, expr: str) -> list[Sample]:
        count = self.series.get(promql_parser.parse(expr).prettify(), 0)
        return [Sample({"__name__": "x", "i": str(i)}, 0.5 + i) for i in range(count)]

    def query_range(self, expr: str, seconds: float, step: float) -> list[tuple[dict[str, str], list[float]]]:
        return []


def _prom(series: Mapping[str, int]) -> PromClient:
    return StubProm(series)  # type: ignore[return-value]


def test_the_part_that_matched_nothing_is_named() -> None:
    expr = ('sum(rate(http_requests_total{status_code=~"5.."}[5m])) by (service)'
            ' / sum(rate(http_requests_total[5m])) by (service)')
    prom = _prom({"http_requests_total": 4, "sum(rate(http_requests_total[5m])) by (service)": 2,
                  "rate(http_requests_total[5m])": 4})
    lines = empty_parts(prom, expr)
    text = "\n".join(lines)
    assert 'part sum by (service) (rate(http_requests_total{status_code=~"5.."}[5m])): 0 series' in text
    assert "part sum by (service) (rate(http_requests_total[5m])): 2 series" in text
    assert lines[-1] == '    => matched nothing: http_requests_total{status_code=~"5.."}'


def test_sides_of_a_set_operator_with_series_each() -> None:
    prom = _prom({"up": 3, "node_load1": 1})
    lines = empty_parts(prom, "up and node_load1")
    assert lines[-1].startswith("    => every part has series, their label sets do not match")


def test_near_misses_decompose_an_empty_value_side() -> None:
    text = near_misses(_prom({}), 'database_connections_active{service="db"} > 80')
    assert "(no series at all)" in text  # a lone selector has no parts: nothing more to say
    text = near_misses(_prom({"cv_queue": 2}), "max(cv_queue{service=\"cv\"}) > 100")
    assert '=> matched nothing: cv_queue{service="cv"}' in text


def test_a_rule_true_at_baseline_is_reported_with_its_value() -> None:
    holds, text = baseline_report(_prom({"x > 0.005": 1, "x": 2}), "x > 0.005")
    assert holds and text.startswith("its condition holds with no fault injected: x = ")
    assert "against threshold > 0.005" in text
    holds, text = baseline_report(_prom({"x": 1}), "x > 5")
    assert not holds and "does not hold now" in text


class _Stack:
    def __init__(self, prom: PromClient, tmp: Path) -> None:
        self.prometheus = prom
        self.settings = Settings.from_env({})
        self.config = render(load_source(project_root() / "stack"), 0.1, tmp)

    def rendered(self) -> RenderedConfig:
        return self.config


def test_an_alert_active_before_any_fault_is_named_firing_at_baseline(tmp_path: Path) -> None:
    expr = _Stack(_prom({}), tmp_path / "a").config.rule("DatabaseConnectionHigh").expr
    runner = ScenarioRunner(_Stack(_prom({expr: 1, "database_connections_active": 1}), tmp_path / "b"),  # type: ignore[arg-type]
                            Events())
    text = runner._unsettled({"DatabaseConnectionHigh": "firing", "ServiceDown": "pending"}, 95.0, 90.0)
    assert text.startswith("the stack did not settle before the scenario")
    assert ("DatabaseConnectionHigh is firing at baseline, before any fault: its condition holds with no fault "
            "injected: database_connections_active = ") in text
    assert "against threshold > 80" in text
    assert "ServiceDown is pending, left over from an earlier scenario or run? its condition does not hold" in text


def test_a_selector_for_a_service_no_target_has_names_the_scrape_config() -> None:
    class Scraped(StubProm):
        def targets(self) -> list[dict[str, object]]:
            return [{"labels": {"job": "recoloca-gateway", "service": "gateway"}},
                    {"labels": {"job": "prometheus", "service": "prometheus"}}]

    prom: PromClient = Scraped({})  # type: ignore[assignment]
    lines = empty_parts(prom, 'sum(rate(page_views_total{service="frontend"}[30s])) > 0')
    assert lines[-2] == '    => matched nothing: page_views_total{service="frontend"}'
    assert lines[-1] == ('    => no scrape target of the config under test has service="frontend" (its jobs: '
                         'prometheus, recoloca-gateway)')
    assert empty_parts(prom, 'rate(page_views_total{service="gateway"}[30s])')[-1].startswith("    => matched")


def test_an_slo_ticket_at_baseline_shows_each_burn_rate_against_its_factor(tmp_path: Path) -> None:
    """A burn-rate rule joins four comparisons: each is shown with its value, the threshold worked out."""
    rule = _Stack(_prom({}), tmp_path / "a").config.rule("APIResponseTimeBudgetBurnTicket")
    parts = comparisons(rule.expr)
    assert [threshold for _, threshold in parts] == ["> 0.15", "> 0.15", "> 0.05", "> 0.05"]
    assert all("http_request_duration_seconds_bucket" in side and "\n" not in side for side, _ in parts)
    holds, text = baseline_report(_prom({rule.expr: 1, parts[2][0]: 1, parts[3][0]: 1}), rule.expr)
    assert holds and text.count("against threshold") == 4
    assert text.count("= no series against threshold > 0.15") == 2
    assert text.count('= x{i="0"} = 0.5 against threshold > 0.05') == 2
    assert "[7h12m]" in text and "[36m]" in text  # the rendered (scaled) windows Prometheus evaluates


def test_a_steady_state_broken_by_an_alert_names_its_values(tmp_path: Path) -> None:
    expr = _Stack(_prom({}), tmp_path / "a").config.rule("APIResponseTimeBudgetBurnTicket").expr
    runner = ScenarioRunner(_Stack(_prom({expr: 1}), tmp_path / "b"), Events())  # type: ignore[arg-type]
    text = runner._broken_steady_state([("APIResponseTimeBudgetBurnTicket", "notification tap->warning-alerts "
                                         "[firing] APIResponseTimeBudgetBurnTicket {severity=warning}")])
    first, second = text.splitlines()
    assert first.startswith("steady state broken before any fault: notification tap->warning-alerts [firing]")
    assert second.startswith("  APIResponseTimeBudgetBurnTicket at baseline: its condition holds with no fault")
    assert "against threshold > 0.05" in second
