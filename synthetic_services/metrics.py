"""The seed's metric names and labels, each on the registry of the service that does the work (no global
registry). The ``service`` label is added by Prometheus from the target, never here."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# prometheus_client's default buckets; 2.5, 5 and 10 matter for HighResponseTime (p95 > 2 s).
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
CV_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)  # the seed's
AI_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# the page's timings in milliseconds; 2500 is Google's LCP "poor" limit, 200 INP's, 100 FID's
MS_BUCKETS = (50, 100, 200, 300, 500, 1000, 1500, 2000, 2500, 3000, 4000, 5000, 7500, 10000, 20000)
CLS_BUCKETS = (0.01, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0)


class HttpMetrics:
    """Every service."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter("http_requests_total", "Total HTTP requests",
                                ["method", "endpoint", "status_code"], registry=registry)
        self.duration = Histogram("http_request_duration_seconds", "HTTP request duration in seconds",
                                  ["method", "endpoint"], buckets=HTTP_BUCKETS, registry=registry)
        self.active = Gauge("active_connections", "Number of active connections", registry=registry)


class BackendMetrics:
    def __init__(self, registry: CollectorRegistry, connections: Callable[[], float]) -> None:
        self.registrations = Counter("user_registrations_total", "Total user registrations",
                                     ["source", "plan_type"], registry=registry)
        self.subscriptions = Counter("subscription_events_total", "Subscription events",
                                     ["event_type", "plan_type"], registry=registry)
        self.db_connections = Gauge("database_connections_active", "Active database connections",
                                    registry=registry)
        self.db_connections.set_function(connections)
        self.db_queries = Counter("database_queries_total", "Database queries run", ["operation"], registry=registry)
        self.redis_ops = Counter("redis_operations_total", "Redis operations", ["operation", "status"],
                                 registry=registry)


class CvMetrics:
    def __init__(self, registry: CollectorRegistry, queue_size: Callable[[], float]) -> None:
        self.analyses = Counter("cv_analyses_total", "Total number of CV analyses", ["status", "user_type"],
                                registry=registry)
        self.duration = Histogram("cv_analysis_duration_seconds", "CV analysis processing time in seconds",
                                  buckets=CV_BUCKETS, registry=registry)
        self.queue_size = Gauge("cv_analysis_queue_size", "CV analyses waiting in the queue", registry=registry)
        self.queue_size.set_function(queue_size)


class PaymentMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.payments = Counter("payment_processing_total", "Payment processing attempts", ["status"],
                                registry=registry)


class AiMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.generations = Counter("ai_generations_total", "AI generation requests by outcome",
                                   ["model", "status"], registry=registry)
        self.duration = Histogram("ai_generation_duration_seconds", "AI generation time in seconds", ["model"],
                                  buckets=AI_BUCKETS, registry=registry)


# The page's metrics: name -> (help, labels, buckets; None for a counter)
_VITAL = "web-vitals"
FRONTEND_SERIES: dict[str, tuple[str, tuple[str, ...], tuple[float, ...] | None]] = {
    "page_views_total": ("Page views", ("page",), None),
    "user_actions_total": ("User actions on the page", ("action", "component"), None),
    "api_calls_total": ("API calls the page made", ("endpoint", "method", "status"), None),
    "frontend_errors_total": ("Errors the page caught", ("error_type", "component"), None),
    "api_call_duration_ms": ("API call duration seen by the page (ms)", ("endpoint", "method"), MS_BUCKETS),
    "page_load_time_ms": ("Navigation fetchStart to loadEventEnd (ms)", (), MS_BUCKETS),
    "dom_content_loaded_ms": ("Navigation fetchStart to domContentLoadedEventEnd (ms)", (), MS_BUCKETS),
    "largest_contentful_paint_ms": (f"Largest Contentful Paint, {_VITAL} (ms)", (), MS_BUCKETS),
    "first_contentful_paint_ms": (f"First Contentful Paint, {_VITAL} (ms)", (), MS_BUCKETS),
    "time_to_first_byte_ms": (f"Time to First Byte, {_VITAL} (ms)", (), MS_BUCKETS),
    "interaction_to_next_paint_ms": (f"Interaction to Next Paint, {_VITAL} (ms)", (), MS_BUCKETS),
    "first_input_delay_ms": ("First Input Delay, from the first-input entry (ms)", (), MS_BUCKETS),
    "cumulative_layout_shift": (f"Cumulative Layout Shift, {_VITAL}", (), CLS_BUCKETS),
}


class FrontendMetrics:
    """What the page's MetricsCollector batches to POST /api/metrics (the seed's names; the seed's ``user_id``
    label is left out: one series per user is a cardinality leak, the logs carry the user)."""

    def __init__(self, registry: CollectorRegistry, active_users: Callable[[], float] = lambda: 0) -> None:
        self.series: dict[str, Counter | Histogram] = {
            name: Counter(name, help_, labels, registry=registry) if buckets is None else
            Histogram(name, help_, labels, buckets=buckets, registry=registry)
            for name, (help_, labels, buckets) in FRONTEND_SERIES.items()}
        self.rejected = Counter("frontend_metrics_rejected_total", "Batched metrics not recorded", ["reason"],
                                registry=registry)
        self.active_users = Gauge("frontend_active_users", "Distinct users the page reported in the last 5 minutes",
                                  registry=registry)
        self.active_users.set_function(active_users)

    def record(self, name: str, value: float, labels: dict[str, str]) -> str | None:
        """Adds one batched value; the reason when it is not recorded (counted in frontend_metrics_rejected_total)."""
        metric, spec = self.series.get(name), FRONTEND_SERIES.get(name)
        reason = "unknown_metric" if metric is None or spec is None else "negative" if value < 0 else None
        if reason is not None or metric is None or spec is None:
            self.rejected.labels(reason or "unknown_metric").inc()
            return reason
        series = metric.labels(*(labels.get(n, "unknown") for n in spec[1])) if spec[1] else metric
        if isinstance(series, Counter):
            series.inc(value)
        else:
            series.observe(value)
        return None


class SeedMetrics:
    """Every metric the platform exposes, on one registry: for checks against docs/platform.md and the
    dashboards (each service registers only its own groups)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.http = HttpMetrics(registry)
        self.backend = BackendMetrics(registry, lambda: 0)
        self.cv = CvMetrics(registry, lambda: 0)
        self.payments = PaymentMetrics(registry)
        self.ai = AiMetrics(registry)
        self.frontend = FrontendMetrics(registry)
