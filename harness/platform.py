"""What docs/platform.md promises, as data: services, the faults each one offers and their parameters,
the call graph of every route, and the journeys of the load. Static checks and assertions read it here."""

from __future__ import annotations

from synthetic_services.platform import ANALYTICS_EVENTS as ANALYTICS_EVENTS

# synthetic_services.platform is pure data (no imports): the services' own list and call graph, used as is.
from synthetic_services.platform import DOWNSTREAMS as DOWNSTREAMS
from synthetic_services.platform import GA4_MEASUREMENT_ID as GA4_MEASUREMENT_ID
from synthetic_services.platform import MIXPANEL_TOKEN as MIXPANEL_TOKEN
from synthetic_services.platform import SERVICES as SERVICES

# Faults every synthetic service offers, and their spec fields (docs/platform.md, "Faults"): copies that
# tests/unit/test_platform_contract.py proves equal, both ways, to what the services and gpu_sim accept.
COMMON_FAULTS = ("http_errors", "latency", "crash", "hang", "cpu_burn", "memory_growth", "exceptions")
GPU_FAULTS = ("overheat", "xid", "fb_exhaustion", "gpu_lost")
GPU_SIM = "gpu-sim"
_OWN_FAULTS: dict[str, tuple[str, ...]] = {
    "frontend": ("downstream_unavailable", "js_errors"),
    "gateway": ("downstream_unavailable",),
    "backend": ("downstream_unavailable", "db_pool_saturation", "db_slow_queries"),
    "cv-analyzer": ("queue_backup", "analysis_failures", "disk_fill"),
    "ai-generation": ("downstream_unavailable", "ai_failures"),
    "payments": ("payment_failures",),
}

SERVICE_FAULTS: dict[str, tuple[str, ...]] = {
    **{name: (*COMMON_FAULTS, *_OWN_FAULTS.get(name, ())) for name in SERVICES},
    GPU_SIM: GPU_FAULTS,
}

# The parameters of each fault as JSON Schema (what the services' fault specs accept, synthetic_services/faults
# and gpu_sim/faults.py; tests/unit/test_fault_params.py holds both to the same answers). Bounds that only the
# running service knows (cpu_burn workers <= its cores, disk_fill path a mount) are checked there.
_RATE = {"type": "number", "exclusiveMinimum": 0, "maximum": 1}
_POSITIVE = {"type": "number", "exclusiveMinimum": 0}
_ENDPOINT = {"type": "string", "minLength": 1}
_NAME = {"type": "string", "minLength": 1}
_GPU = {"type": "integer", "minimum": 0}
QUEUE_CAPACITY = 10_000  # synthetic_services/workqueue.py CAPACITY
DB_POOL_SIZE = 100  # synthetic_services/dbpool.py POOL_SIZE


def _params(required: tuple[str, ...] = (), **props: dict[str, object]) -> dict[str, object]:
    return {"type": "object", "properties": props, "required": list(required), "additionalProperties": False}


FAULT_SCHEMAS: dict[str, dict[str, object]] = {
    "http_errors": _params(("rate",), rate=_RATE, status={"type": "integer", "minimum": 400, "maximum": 599},
                           endpoint=_ENDPOINT),
    "latency": _params(("ms",), ms={"type": "number", "minimum": 0}, jitter_ms={"type": "number", "minimum": 0},
                       distribution={"enum": ["fixed", "uniform", "exponential"]}, rate=_RATE, endpoint=_ENDPOINT),
    "crash": _params(exit_code={"type": "integer", "minimum": 0, "maximum": 255}),
    "hang": _params(max_seconds=_POSITIVE),
    "cpu_burn": _params(workers={"type": "integer", "minimum": 1}, max_seconds=_POSITIVE),
    "memory_growth": {**_params(target_used_percent={"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                                mib={"type": "integer", "minimum": 1}, step_mib={"type": "integer", "minimum": 1},
                                min_available_mib={"type": "integer", "minimum": 0}, max_seconds=_POSITIVE),
                      "oneOf": [{"required": ["target_used_percent"]}, {"required": ["mib"]}]},
    "downstream_unavailable": _params(target=_NAME),
    "queue_backup": _params(backlog={"type": "integer", "minimum": 0, "maximum": QUEUE_CAPACITY},
                            paused={"type": "boolean"}),
    "payment_failures": _params(("rate",), rate=_RATE, reason=_NAME),
    "ai_failures": _params(("rate",), rate=_RATE),
    "analysis_failures": _params(("rate",), rate=_RATE),
    "exceptions": _params(("rate",), rate=_RATE, type={"enum": ["ValueError", "KeyError", "RuntimeError",
                                                                "ZeroDivisionError"]}, endpoint=_ENDPOINT),
    "js_errors": _params(("rate",), rate=_RATE, action={"enum": ["register", "analyze", "generate", "subscribe"]}),
    "disk_fill": _params(percent={"type": "number", "exclusiveMinimum": 0, "maximum": 100}, path=_NAME),
    "db_pool_saturation": _params(held={"type": "integer", "minimum": 0, "maximum": DB_POOL_SIZE}),
    "db_slow_queries": _params(ms={"type": "number", "exclusiveMinimum": 0, "maximum": 60000}),
    "overheat": _params(gpu=_GPU, cooling_factor={"type": "number", "minimum": 1, "maximum": 100}),
    "xid": _params(gpu=_GPU, code={"type": "integer", "minimum": 1, "maximum": 65535}),
    "fb_exhaustion": _params(gpu=_GPU, free_mib={"type": "integer", "minimum": 0}),
    "gpu_lost": _params(gpu=_GPU),
}
FAULT_PARAMS: dict[str, tuple[str, ...]] = {
    name: tuple(schema["properties"]) for name, schema in FAULT_SCHEMAS.items()  # type: ignore[arg-type]
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
    """Hops of a request to ``path`` entering at ``entry`` (the gateway hop is dropped for backend; the page's
    calls enter at the frontend, which forwards them to the gateway)."""
    hops = ROUTE_HOPS.get(path.split("?", 1)[0], _FRONT)
    if entry == "frontend":
        return (("frontend", "gateway"), *hops)
    return hops if entry == "gateway" else tuple(h for h in hops if h[0] != "gateway")


def route_services(path: str, entry: str = "gateway") -> tuple[str, ...]:
    """Every service a successful request to ``path`` touches, in call order."""
    out = [entry]
    for caller, callee in route_hops(path, entry):
        for name in (caller, callee):
            if name not in out:
                out.append(name)
    return tuple(out)
