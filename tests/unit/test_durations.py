import pytest

from harness import durations
from harness.errors import ConfigError


@pytest.mark.parametrize(("text", "seconds"), [("15s", 15), ("5m", 300), ("1h30m", 5400), ("1500ms", 1.5), (10, 10)])
def test_parse(text: str, seconds: float) -> None:
    assert durations.parse(text) == seconds


def test_parse_rejects_garbage_and_names_the_field() -> None:
    with pytest.raises(ConfigError, match=r"rule X\.for: '5 minutes' is not a duration"):
        durations.parse("5 minutes", "rule X.for")


@pytest.mark.parametrize(("seconds", "text"), [(1.5, "1s500ms"), (7200, "2h"), (12, "12s"), (360, "6m")])
def test_format(seconds: float, text: str) -> None:
    assert durations.format(seconds) == text
    assert durations.parse(text) == seconds


def test_scale_ranges_leaves_string_literals_alone() -> None:
    expr = 'sum(rate(x{code=~"[45].."}[5m])) / max_over_time(y[1h:30s])'
    assert durations.scale_ranges(expr, 0.1) == 'sum(rate(x{code=~"[45].."}[30s])) / max_over_time(y[6m:3s])'
    assert durations.range_windows(expr) == [300, 3600]
