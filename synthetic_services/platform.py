"""The platform's services and who calls whom, as pure data: no imports, nothing runs. The catalog and the
command line read it here, and so does the harness (harness/platform.py): the one list of the services."""

# The five services of the platform under test, callees after their callers (docs/platform.md).
SERVICES = ("gateway", "backend", "cv-analyzer", "ai-generation", "payments")
SINK = "sink"  # the harness's notification sink: served by this package, not part of the platform

# Caller -> the services it calls; one not listed calls none.
DOWNSTREAMS: dict[str, tuple[str, ...]] = {
    "gateway": ("backend",),
    "backend": ("cv-analyzer", "ai-generation", "payments"),
    "ai-generation": ("payments",),
}

# Every metric family the services expose (synthetic_services/metrics.py registers them; a contract test keeps
# the two equal), by kind: a histogram is scraped as NAME_bucket, NAME_sum and NAME_count.
METRIC_FAMILIES: dict[str, str] = {
    "http_requests_total": "counter",
    "http_request_duration_seconds": "histogram",
    "active_connections": "gauge",
    "user_registrations_total": "counter",
    "subscription_events_total": "counter",
    "database_connections_active": "gauge",
    "database_queries_total": "counter",
    "redis_operations_total": "counter",
    "cv_analyses_total": "counter",
    "cv_analysis_duration_seconds": "histogram",
    "cv_analysis_queue_size": "gauge",
    "payment_processing_total": "counter",
    "ai_generations_total": "counter",
    "ai_generation_duration_seconds": "histogram",
}
