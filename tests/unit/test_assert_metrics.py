"""Metric assertions against a fake Prometheus API: eventually-style waits and near-miss failures."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from harness.assertions.metrics import assert_query_eventually, closest_first, near_misses, value_part
from harness.bounds import Bound
from harness.clients import PromClient, Sample
from harness.errors import ExpectationFailed
from tests.unit.fake_http import FakePrometheus, serve


@pytest.fixture
def prom() -> Iterator[tuple[FakePrometheus, PromClient]]:
    fake = FakePrometheus()
    with serve(fake.routes()) as url:
        yield fake, PromClient(url)


def test_value_part_splits_threshold() -> None:
    assert value_part("(a / b) > 0.05") == ("(a / b)", "> 0.05")
    assert value_part("up == 0") == ("up", "== 0")
    assert value_part("sum(rate(x[5m]))") == ("sum(rate(x[5m]))", "")


def test_closest_series_depend_on_the_comparison() -> None:
    samples = [Sample({"i": "a"}, 3.0), Sample({"i": "b"}, 9.0), Sample({"i": "c"}, 6.0)]
    assert [s.labels["i"] for s in closest_first(samples, "> 10")] == ["b", "c", "a"]
    assert [s.labels["i"] for s in closest_first(samples, "< 1")] == ["a", "c", "b"]
    assert [s.labels["i"] for s in closest_first(samples, "== 5")] == ["c", "a", "b"]


def test_waits_until_the_query_returns_series(prom: tuple[FakePrometheus, PromClient]) -> None:
    fake, client = prom

    def later() -> None:
        time.sleep(0.4)
        fake.series["cv_analysis_queue_size > 100"] = [({"service": "cv-analyzer"}, [150.0])]

    threading.Thread(target=later, daemon=True).start()
    samples, waited = assert_query_eventually(client, "cv_analysis_queue_size > 100", Bound.of(5))
    assert samples[0].value == 150 and 0.3 < waited < 5


def test_failure_shows_query_closest_series_last_values_and_wait(prom: tuple[FakePrometheus, PromClient]) -> None:
    fake, client = prom
    fake.series["cv_analysis_queue_size"] = [({"service": "cv-analyzer"}, [0.0, 40.0, 97.0]),
                                             ({"service": "other"}, [1.0])]
    bound = Bound((("range window", 0.0), ("scrape", 0.2), ("slack", 0.3)))
    with pytest.raises(ExpectationFailed) as failure:
        assert_query_eventually(client, "cv_analysis_queue_size > 100", bound)
    text = str(failure.value)
    assert "PromQL 'cv_analysis_queue_size > 100' returned no series (bound 0.5s = range window 0s + scrape" in text
    assert "not seen after waiting 0.5s" in text
    assert "query: cv_analysis_queue_size   (threshold > 100)" in text
    assert '{service="cv-analyzer"} = 97   last 60s: 0, 40, 97' in text
    assert text.index("cv-analyzer") < text.index('service="other"')


def test_empty_mode_waits_for_no_series_and_names_the_ones_left(prom: tuple[FakePrometheus, PromClient]) -> None:
    fake, client = prom
    fake.series["up == 0"] = [({"job": "recoloca-payments"}, [0.0])]
    no_series = r"returning no series \(bound 0\.3s = within 0\.3s\): not seen after waiting"
    with pytest.raises(ExpectationFailed, match=no_series) as failure:
        assert_query_eventually(client, "up == 0", Bound.of(0.3), empty=True)
    assert 'job="recoloca-payments"' in str(failure.value)
    fake.series.clear()
    assert assert_query_eventually(client, "up == 0", Bound.of(1), empty=True)[0] == []


def test_near_misses_say_when_there_is_no_series(prom: tuple[FakePrometheus, PromClient]) -> None:
    _, client = prom
    assert near_misses(client, "absent_metric > 1").endswith("(no series at all)")
