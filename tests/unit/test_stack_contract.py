"""Names the harness and the shipped collector config (stack/otelcol/config.yaml) must agree on."""

from __future__ import annotations

from pathlib import Path

import yaml

from harness.clients.elasticsearch import LOGS_PREFIX, logs_index, logs_pattern

OTELCOL = Path(__file__).resolve().parents[2] / "stack" / "otelcol" / "config.yaml"


def test_the_collector_writes_the_log_indices_the_harness_reads() -> None:
    exporter = yaml.safe_load(OTELCOL.read_text())["exporters"]["elasticsearch"]
    assert exporter["logs_index"] == f"{LOGS_PREFIX}-logs"
    assert exporter["logstash_format"] == {"enabled": True, "prefix_separator": "-", "date_format": "%Y.%m.%d"}
    assert logs_pattern() == f"{exporter['logs_index']}-*"
    assert logs_index().startswith(f"{exporter['logs_index']}-")
