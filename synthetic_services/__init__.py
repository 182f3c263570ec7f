"""Synthetic, instrumented services: the systems under test, plus the harness's notification sinks.

Run one with ``python -m synthetic_services <name> --port N``. Standard library HTTP plus
prometheus_client; nothing here imports the harness, so the image stays small.
"""
