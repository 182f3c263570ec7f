"""The platform's data tier: PostgreSQL (users, subscriptions, the payments ledger) and Redis (sessions,
cache), each with its Prometheus exporter under the seed's job names (postgres-exporter:9187,
redis-exporter:9121). Data on tmpfs; trust authentication inside the run network (a throwaway stack whose
ports are published on 127.0.0.1 only)."""

from __future__ import annotations

from dataclasses import replace

from harness.components.spec import ContainerSpec, Readiness, RunContext, Tmpfs, container

POSTGRES, POSTGRES_PORT = "postgres", 5432
REDIS, REDIS_PORT = "redis", 6379
POSTGRES_EXPORTER, POSTGRES_EXPORTER_PORT = "postgres-exporter", 9187
REDIS_EXPORTER, REDIS_EXPORTER_PORT = "redis-exporter", 9121
DATABASE = "recoloca"
MAX_CONNECTIONS = 250  # the backend's pool of 100 + payments' + the exporter's + psql, with room
DATABASE_URL = f"postgresql://postgres@{POSTGRES}:{POSTGRES_PORT}/{DATABASE}"
REDIS_URL = f"redis://{REDIS}:{REDIS_PORT}/0"
PGDATA = "/var/lib/postgresql/data"
# Why the seed's cadvisor:8080 job has no component (said in every run's facts and in the README).
CADVISOR = ("not part of the stack: the Go module proxy serves github.com/google/cadvisor (the library) but no "
            "version of github.com/google/cadvisor/cmd, the module with the cadvisor binary's main, so it cannot be "
            "built here; the seed's cadvisor job is left out of prometheus.yml")


def postgres(image: str, run: RunContext) -> ContainerSpec:
    hint = "postgres-entrypoint (local image) or docker-entrypoint.sh (upstream) prints its init above"
    return replace(
        container(run, POSTGRES, image, Readiness(POSTGRES_PORT, (), hint)),
        command=("postgres", "-c", f"max_connections={MAX_CONNECTIONS}", "-c", "fsync=off",
                 "-c", "synchronous_commit=off", "-c", "log_min_duration_statement=1000"),
        env=(("POSTGRES_DB", DATABASE), ("POSTGRES_HOST_AUTH_METHOD", "trust"), ("PGDATA", PGDATA)),
        ports=(POSTGRES_PORT,),
        tmpfs=(Tmpfs(PGDATA, "256m", "0700"),),
    )


def redis(image: str, run: RunContext) -> ContainerSpec:
    return replace(
        container(run, REDIS, image, Readiness(REDIS_PORT, (), "redis-server prints 'Ready to accept connections'")),
        command=("redis-server", "--protected-mode", "no", "--save", "", "--appendonly", "no"),
        ports=(REDIS_PORT,),
    )


def postgres_exporter(image: str, run: RunContext) -> ContainerSpec:
    dsn = f"postgresql://postgres@{POSTGRES}:{POSTGRES_PORT}/{DATABASE}?sslmode=disable"
    return replace(
        container(run, POSTGRES_EXPORTER, image, Readiness(POSTGRES_EXPORTER_PORT, ("/metrics",))),
        command=(f"--web.listen-address=:{POSTGRES_EXPORTER_PORT}",),
        env=(("DATA_SOURCE_NAME", dsn),),
        ports=(POSTGRES_EXPORTER_PORT,),
    )


def redis_exporter(image: str, run: RunContext) -> ContainerSpec:
    return replace(
        container(run, REDIS_EXPORTER, image, Readiness(REDIS_EXPORTER_PORT, ("/metrics",))),
        command=(f"--web.listen-address=:{REDIS_EXPORTER_PORT}",),
        env=(("REDIS_ADDR", f"redis://{REDIS}:{REDIS_PORT}"),),
        ports=(REDIS_EXPORTER_PORT,),
    )


def data_tier(images: dict[str, str], run: RunContext) -> list[ContainerSpec]:
    return [postgres(images["postgres"], run), redis(images["redis"], run),
            postgres_exporter(images["postgres-exporter"], run), redis_exporter(images["redis-exporter"], run)]
