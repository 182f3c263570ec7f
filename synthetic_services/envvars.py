"""The environment the services read (the standard OpenTelemetry names), as pure data: the harness sets them
from here on each service container (harness/components/services.py)."""

OTLP_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"  # base URL; spans go to <base>/v1/traces
OTLP_TRACES_ENDPOINT = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"  # the traces URL as is (wins over OTLP_ENDPOINT)
TRACES_SAMPLER_ARG = "OTEL_TRACES_SAMPLER_ARG"  # parent-based trace-id ratio, default 1.0
DATABASE_URL = "DATABASE_URL"  # libpq URL of PostgreSQL (backend, payments); unset: the in-process stand-in
REDIS_URL = "REDIS_URL"  # redis://host:port/0 (backend's sessions and cache); unset: an in-process dict
SENTRY_DSN = "SENTRY_DSN"  # the error tracker's DSN (sentry-sdk's own names): unset, no event is sent
SENTRY_ENVIRONMENT = "SENTRY_ENVIRONMENT"
SENTRY_RELEASE = "SENTRY_RELEASE"
TIME_FACTOR = "OBSDRILL_TIME_FACTOR"  # frontend: the page's batch flush intervals are the seed's times this factor
VENDOR_DIR = "OBSDRILL_FRONTEND_VENDOR"  # frontend: where the npm packages' browser builds are (the image's default)
