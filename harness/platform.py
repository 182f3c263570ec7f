"""What docs/platform.md promises, as data: services, the faults each one offers and their parameters,
the call graph of every route, and the journeys of the load. Static checks and assertions read it here."""

from __future__ import annotations

# synthetic_services.platform is pure data (no imports): the services' own list and call graph, used as is.
from synthetic_services.platform import DOWNSTREAMS as DOWNSTREAMS
from synthetic_services.platform import SERVICES as SERVICES

# Faults every synthetic service offers, and their spec fields (docs/platform.md, "Faults"): copies that
# tests/unit/test_platform_contract.py proves equal, both ways, to what the services and gpu_sim accept.
COMMON_FAULTS = ("http_errors", "latency", "crash", "hang", "cpu_burn", "memory_growth")
GPU_FAULTS = ("overheat", "xid", "fb_exhaustion", "gpu_lost")
GPU_SIM = "gpu-sim"
_OWN_FAULTS: dict[str, tuple[str, ...]] = {
    "gateway": ("downstream_unavailable",),
    "backend": ("downstream_unavailable", "db_pool_saturation"),
    "cv-analyzer": ("queue_backup", "disk_fill"),
    "ai-generation": ("downstream_unavailable", "ai_failures"),
    "payments": ("payment_failures",),
}

SERVICE_FAULTS: dict[str, tuple[str, ...]] = {
    **{name: (*COMMON_FAULTS, *_OWN_FAULTS.get(name, ())) for name in SERVICES},
    GPU_SIM: GPU_FAULTS,
}

FAULT_PARAMS: dict[str, tuple[str, ...]] = {
    "http_errors": ("rate", "status", "endpoint"),
    "latency": ("ms", "jitter_ms", "distribution", "rate", "endpoint"),
    "crash": ("exit_code",),
    "hang": ("max_seconds",),
    "cpu_burn": ("workers", "max_seconds"),
    "memory_growth": ("target_used_percent", "mib", "step_mib", "min_available_mib", "max_seconds"),
    "downstream_unavailable": ("target",),
    "queue_backup": ("backlog", "paused"),
    "payment_failures": ("rate", "reason"),
    "ai_failures": ("rate",),
    "disk_fill": ("percent", "path"),
    "db_pool_saturation": ("held",),
    "overheat": ("gpu", "cooling_factor"),
    "xid": ("gpu", "code"),
    "fb_exhaustion": ("gpu", "free_mib"),
    "gpu_lost": ("gpu",),
}

ALL_FAULTS = tuple(FAULT_PARAMS)
# Faults after which the process is gone: rollback restarts the container through the stack.
RESTART_FAULTS = frozenset({"crash"})

# Caller -> callee hops of one successful request through the gateway, per backend route.
_FRONT = (("gateway", "backend"),)
ROUTE_HOPS: dict[str, tuple[tuple[str, str], ...]] = {
    "/api/status": _FRONT,
    "/api/jobs": _FRONT,
    "/api/auth/register": _FRONT,
    "/api/auth/login": _FRONT,
    "/api/cv/analyze": (*_FRONT, ("backend", "cv-analyzer")),
    "/api/ai/generate": (*_FRONT, ("backend", "ai-generation"), ("ai-generation", "payments")),
    "/api/subscriptions": (*_FRONT, ("backend", "payments")),
    "/api/cv/improve": (*_FRONT, ("backend", "cv-analyzer"), ("backend", "ai-generation"),
                        ("ai-generation", "payments")),
}

# Jaeger's dependency graph of a run whose load covers every route (docs/platform.md, "Traces").
SERVICE_GRAPH = (("gateway", "backend"), ("backend", "cv-analyzer"), ("backend", "ai-generation"),
                 ("backend", "payments"), ("ai-generation", "payments"))

# Journey -> its requests (method, route) in order (docs/platform.md, "Load").
JOURNEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "browse": (("GET", "/api/status"), ("GET", "/api/jobs")),
    "register": (("POST", "/api/auth/register"), ("POST", "/api/auth/login")),
    "cv_upload": (("POST", "/api/cv/analyze"),),
    "ai_generation": (("POST", "/api/ai/generate"),),
    "subscribe": (("POST", "/api/subscriptions"),),
}

LOAD_TARGETS = ("gateway", "backend")


def services() -> tuple[str, ...]:
    return tuple(SERVICE_FAULTS)


def route_hops(path: str, entry: str = "gateway") -> tuple[tuple[str, str], ...]:
    """Hops of a request to ``path`` entering at ``entry`` (the gateway hop is dropped for backend)."""
    hops = ROUTE_HOPS.get(path.split("?", 1)[0], _FRONT)
    return hops if entry == "gateway" else tuple(h for h in hops if h[0] != "gateway")


def route_services(path: str, entry: str = "gateway") -> tuple[str, ...]:
    """Every service a successful request to ``path`` touches, in call order."""
    out = [entry]
    for caller, callee in route_hops(path, entry):
        for name in (caller, callee):
            if name not in out:
                out.append(name)
    return tuple(out)
