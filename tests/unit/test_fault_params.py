"""The fault parameter schemas of the platform data (harness/scenario/platform.py), checked by
`obsdrill validate`, give the same answers as the services' own fault specs (synthetic_services/faults,
gpu_sim/faults.py) on values at and beyond every bound."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from gpu_sim.errors import FaultError as GpuFaultError
from gpu_sim.faults import FaultName, GpuFaults
from harness.platform import DB_POOL_SIZE, FAULT_SCHEMAS, QUEUE_CAPACITY
from harness.scenario.check import fault_param_problems
from synthetic_services.dbpool import POOL_SIZE
from synthetic_services.faults import COMMON, FaultContext
from synthetic_services.faults.business import (
    AiFailures,
    AnalysisFailures,
    JsErrors,
    PaymentFailures,
    PoolSaturation,
    QueueBackup,
)
from synthetic_services.faults.spec import FaultError
from synthetic_services.workqueue import CAPACITY


class _Queue:
    capacity = CAPACITY


class _Pool:
    size = POOL_SIZE


SERVICE_BUILDERS: dict[str, Any] = {
    **{k: v for k, v in COMMON.items() if k != "cpu_burn"},  # cpu_burn's upper bound is the container's cores
    "payment_failures": PaymentFailures, "ai_failures": AiFailures, "analysis_failures": AnalysisFailures,
    "js_errors": JsErrors,
    "queue_backup": lambda raw, ctx: QueueBackup(raw, ctx, _Queue()),
    "db_pool_saturation": lambda raw, ctx: PoolSaturation(raw, ctx, _Pool()),
}
CASES: list[tuple[str, dict[str, Any]]] = [
    ("http_errors", {"rate": 0.2}), ("http_errors", {"rate": 7}), ("http_errors", {"rate": 0}),
    ("http_errors", {"rate": 1, "status": 599}), ("http_errors", {"rate": 1, "status": 600}),
    ("http_errors", {"rate": 0.5, "status": 399}), ("http_errors", {}), ("http_errors", {"rate": "x"}),
    ("latency", {"ms": 0}), ("latency", {"ms": -1}), ("latency", {"ms": 5, "distribution": "normal"}),
    ("latency", {"ms": 5, "jitter_ms": -1}), ("latency", {"ms": 5, "rate": 1.5}), ("latency", {}),
    ("crash", {}), ("crash", {"exit_code": 255}), ("crash", {"exit_code": 256}), ("crash", {"exit_code": 1.5}),
    ("hang", {"max_seconds": 0}), ("hang", {"max_seconds": 0.1}),
    ("memory_growth", {"mib": 64}), ("memory_growth", {"mib": 0}), ("memory_growth", {}),
    ("memory_growth", {"mib": 64, "target_used_percent": 50}), ("memory_growth", {"target_used_percent": 100}),
    ("memory_growth", {"target_used_percent": 101}), ("memory_growth", {"mib": 64, "step_mib": 0}),
    ("payment_failures", {"rate": 0.3}), ("payment_failures", {"rate": 1.01}), ("payment_failures", {}),
    ("ai_failures", {"rate": 1}), ("ai_failures", {"rate": -0.1}),
    ("analysis_failures", {"rate": 0.2}), ("analysis_failures", {"rate": 2}), ("analysis_failures", {}),
    ("exceptions", {"rate": 0.5}), ("exceptions", {"rate": 0.5, "type": "KeyError", "endpoint": "/api/jobs"}),
    ("exceptions", {"rate": 0.5, "type": "MemoryError"}), ("exceptions", {}),
    ("js_errors", {"rate": 0.5}), ("js_errors", {"rate": 0.5, "action": "subscribe"}),
    ("js_errors", {"rate": 0.5, "action": "logout"}), ("js_errors", {}),
    ("queue_backup", {"backlog": CAPACITY}), ("queue_backup", {"backlog": CAPACITY + 1}),
    ("queue_backup", {"paused": "yes"}), ("db_pool_saturation", {"held": POOL_SIZE}),
    ("db_pool_saturation", {"held": POOL_SIZE + 1}), ("db_pool_saturation", {"held": -1}),
]
GPU_CASES: list[tuple[str, dict[str, Any]]] = [
    ("overheat", {"cooling_factor": 1}), ("overheat", {"cooling_factor": 0.5}), ("overheat", {"cooling_factor": 101}),
    ("xid", {"code": 79}), ("xid", {"code": 0}), ("xid", {"code": 65536}), ("fb_exhaustion", {"free_mib": 0}),
    ("fb_exhaustion", {"free_mib": -1}), ("gpu_lost", {}),
]


def _service_accepts(fault: str, spec: dict[str, Any]) -> bool:
    try:
        SERVICE_BUILDERS[fault](spec, FaultContext(service="backend"))
    except FaultError:
        return False
    return True


@pytest.mark.parametrize(("fault", "spec"), CASES, ids=[f"{f}-{s}" for f, s in CASES])
def test_schema_agrees_with_the_service(fault: str, spec: dict[str, Any]) -> None:
    assert (fault_param_problems(fault, spec, "with") == []) == _service_accepts(fault, spec)


@pytest.mark.parametrize(("fault", "spec"), GPU_CASES, ids=[f"{f}-{s}" for f, s in GPU_CASES])
def test_schema_agrees_with_the_gpu_simulator(fault: str, spec: dict[str, Any]) -> None:
    try:
        GpuFaults().enable(FaultName(fault), spec)
        accepted = True
    except GpuFaultError:
        accepted = False
    assert (fault_param_problems(fault, {"gpu": 0, **spec}, "with") == []) == accepted


def test_platform_constants_are_the_services_ones() -> None:
    assert (QUEUE_CAPACITY, DB_POOL_SIZE) == (CAPACITY, POOL_SIZE)
    for schema in FAULT_SCHEMAS.values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_a_rate_of_7_names_the_field() -> None:
    assert fault_param_problems("http_errors", {"rate": 7}, "method[0].with") == [
        "method[0].with.rate: 7 is greater than the maximum of 1"]
