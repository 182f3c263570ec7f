"""The seed's metric names and labels, each on the registry of the service that does the work (no global
registry). The ``service`` label is added by Prometheus from the target, never here."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# prometheus_client's default buckets; 2.5, 5 and 10 matter for HighResponseTime (p95 > 2 s).
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
CV_BUCKETS = (0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)  # the seed's
AI_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


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


class SeedMetrics:
    """Every metric the platform exposes, on one registry: for checks against docs/platform.md and the
    dashboards (each service registers only its own groups)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.http = HttpMetrics(registry)
        self.backend = BackendMetrics(registry, lambda: 0)
        self.cv = CvMetrics(registry, lambda: 0)
        self.payments = PaymentMetrics(registry)
        self.ai = AiMetrics(registry)
