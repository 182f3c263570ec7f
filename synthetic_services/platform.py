"""The platform's services and who calls whom, as pure data: no imports, nothing runs. The catalog and the
command line read it here, and so does the harness (harness/platform.py): the one list of the services."""

# The six services of the platform under test, callees after their callers (docs/platform.md).
SERVICES = ("frontend", "gateway", "backend", "cv-analyzer", "ai-generation", "payments")
DEFAULT_PORT = 8000
PORTS = {"frontend": 3000}  # the seed's frontend:3000; every other service listens on DEFAULT_PORT
DEFAULT_METRICS_PATH = "/metrics"
METRICS_PATHS = {"frontend": "/api/metrics"}  # the seed's recoloca-frontend job; every other: DEFAULT_METRICS_PATH
SINK = "sink"  # the harness's notification sink: served by this package, not part of the platform

# The page's custom events (the seed's tracking plan, REQ-11-003: registration, creative generation,
# subscription, feature usage): an API call of this route that succeeds (2xx) sends this GA4 event and this
# Mixpanel event from the browser (synthetic_services/analytics.py: the sink's protocol endpoints).
ANALYTICS_EVENTS: dict[str, tuple[str, str]] = {
    "/api/auth/register": ("sign_up", "Sign Up"),
    "/api/ai/generate": ("generate_creative", "Creative Generated"),
    "/api/subscriptions": ("subscription_start", "Subscription Started"),
    "/api/cv/analyze": ("feature_used", "Feature Used"),
}
GA4_MEASUREMENT_ID = "G-XXXXXXXXXX"  # the seed's placeholders (Ga4_Measurement Id, Mixpanel_Project Token)
MIXPANEL_TOKEN = "YOUR_MIXPANEL_TOKEN"

# Caller -> the services it calls; one not listed calls none.
DOWNSTREAMS: dict[str, tuple[str, ...]] = {
    "frontend": ("gateway",),
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
    # the frontend's, from the page's batches (synthetic_services/frontend.py)
    "page_views_total": "counter",
    "user_actions_total": "counter",
    "api_calls_total": "counter",
    "frontend_errors_total": "counter",
    "frontend_metrics_rejected_total": "counter",
    "frontend_active_users": "gauge",
    "api_call_duration_ms": "histogram",
    "page_load_time_ms": "histogram",
    "dom_content_loaded_ms": "histogram",
    "largest_contentful_paint_ms": "histogram",
    "first_contentful_paint_ms": "histogram",
    "time_to_first_byte_ms": "histogram",
    "interaction_to_next_paint_ms": "histogram",
    "first_input_delay_ms": "histogram",
    "cumulative_layout_shift": "histogram",
}

