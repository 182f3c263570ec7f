"""Synthetic, instrumented services: the platform under test (gateway, backend, cv-analyzer, ai-generation,
payments; see docs/platform.md), plus the harness's notification sink.

Run one with ``python -m synthetic_services <name> --port N``. Standard library HTTP, prometheus_client and the
OpenTelemetry SDK; nothing here imports the harness, so the image stays small.
"""
