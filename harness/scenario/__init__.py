"""Scenarios: YAML files validated against a packaged JSON Schema into frozen models, then run."""

from harness.scenario.loader import load_scenario, load_scenarios
from harness.scenario.model import Scenario

__all__ = ["Scenario", "load_scenario", "load_scenarios"]
