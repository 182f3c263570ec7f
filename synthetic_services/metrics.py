"""The seed's metric names and labels, registered on a service's own registry (no global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class SeedMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter("http_requests_total", "Total HTTP requests",
                                ["method", "endpoint", "status_code"], registry=registry)
        self.duration = Histogram("http_request_duration_seconds", "HTTP request duration in seconds",
                                  ["method", "endpoint"], registry=registry)
        self.active = Gauge("active_connections", "Number of active connections", registry=registry)
        self.cv_analyses = Counter("cv_analyses_total", "Total number of CV analyses",
                                   ["status", "user_type"], registry=registry)
        self.cv_duration = Histogram("cv_analysis_duration_seconds", "CV analysis processing time in seconds",
                                     buckets=[0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0], registry=registry)
        self.cv_queue = Gauge("cv_analysis_queue_size", "Pending CV analyses", registry=registry)
        self.registrations = Counter("user_registrations_total", "Total user registrations",
                                     ["source", "plan_type"], registry=registry)
        self.subscriptions = Counter("subscription_events_total", "Subscription events",
                                     ["event_type", "plan_type"], registry=registry)
        self.payments = Counter("payment_processing_total", "Payment processing attempts", ["status"],
                                registry=registry)
        self.db_connections = Gauge("database_connections_active", "Active database connections",
                                    registry=registry)
        self.redis_ops = Counter("redis_operations_total", "Redis operations", ["operation", "status"],
                                 registry=registry)
        self.ai_generations = Counter("ai_generations_total", "AI generation requests by outcome",
                                      ["model", "status"], registry=registry)
