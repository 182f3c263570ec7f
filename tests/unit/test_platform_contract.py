"""harness/platform.py against the services it describes: the service list and call graph are
synthetic_services' own (pure data: the harness imports only such modules of that package); the faults and their
spec fields are copies, proved here equal both ways to what each synthetic service and gpu_sim accept."""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterable
from types import ModuleType
from typing import Any

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import synthetic_services.envvars as service_env
import synthetic_services.platform as service_platform
from gpu_sim.faults import ALLOWED_PARAMS, FaultName
from gpu_sim.server import pop_gpu
from harness import platform, topology
from synthetic_services.__main__ import parse
from synthetic_services.catalog import CATALOG, build_app
from synthetic_services.faults.spec import Spec


class _Probed(Exception):
    """Raised by the recording Spec: the fault's fields are known, nothing was started."""


def _accepted_fields(service: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[str, ...]]:
    """Each fault ``service`` offers -> the spec fields its builder accepts (recorded from its Spec)."""
    seen: dict[str, tuple[str, ...]] = {}

    def record(self: Spec, fault: str, raw: Any, fields: Iterable[str]) -> None:
        seen[fault] = tuple(fields)
        raise _Probed

    app = build_app(service, log_stdout=False, span_exporter=InMemorySpanExporter(), env={})
    try:
        monkeypatch.setattr(Spec, "__init__", record)
        for fault in app.faults.offered:
            with pytest.raises(_Probed):
                app.faults.set(fault, {})
        assert sorted(seen) == app.faults.offered, f"{service}: a fault's Spec names another fault"
    finally:
        monkeypatch.undo()
        app.close()
    return seen


def test_the_service_list_and_call_graph_are_the_services_own() -> None:
    assert platform.SERVICES is service_platform.SERVICES
    assert topology.SERVICES is service_platform.SERVICES
    assert platform.DOWNSTREAMS is service_platform.DOWNSTREAMS
    assert tuple(CATALOG) == service_platform.SERVICES
    assert set(service_platform.DOWNSTREAMS) <= set(service_platform.SERVICES)
    assert {s for calls in service_platform.DOWNSTREAMS.values() for s in calls} <= set(service_platform.SERVICES)
    for name in (*service_platform.SERVICES, service_platform.SINK):
        assert parse([name]).service == name
    assert tuple(platform.SERVICE_FAULTS) == (*service_platform.SERVICES, platform.GPU_SIM)


@pytest.mark.parametrize("module", [service_platform, service_env], ids=lambda m: m.__name__)
def test_the_modules_the_harness_imports_are_pure_data(module: ModuleType) -> None:
    tree = ast.parse(inspect.getsource(module))
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]
    assert all(isinstance(node, ast.Assign | ast.AnnAssign | ast.Expr) for node in tree.body)


@pytest.mark.parametrize("service", service_platform.SERVICES)
def test_each_service_offers_exactly_the_faults_and_fields_the_harness_checks(
        service: str, monkeypatch: pytest.MonkeyPatch) -> None:
    accepted = _accepted_fields(service, monkeypatch)
    assert sorted(accepted) == sorted(platform.SERVICE_FAULTS[service])
    assert {fault: platform.FAULT_PARAMS[fault] for fault in accepted} == accepted


def test_gpu_sim_offers_exactly_the_faults_and_fields_the_harness_checks() -> None:
    assert {name.value for name in FaultName} == set(platform.SERVICE_FAULTS[platform.GPU_SIM])
    for name in FaultName:
        target, *params = platform.FAULT_PARAMS[name.value]
        assert target == "gpu" and set(params) == ALLOWED_PARAMS[name], name
    assert pop_gpu({"gpu": 1}, {}) == 1  # the target every GPU fault takes


def test_every_fault_the_harness_knows_is_offered_somewhere() -> None:
    offered = {fault for faults in platform.SERVICE_FAULTS.values() for fault in faults}
    assert offered == set(platform.ALL_FAULTS)
    assert offered >= platform.RESTART_FAULTS
