"""Faults on the stack's own components (issue 13.2), as method steps like the services' faults but naming a
component: ``{fault: restart, service: alertmanager}`` (or prometheus) stops the container and starts it again (what
it keeps on tmpfs is gone: Alertmanager's alerts, notification log and silences, Prometheus's TSDB and so its
`for` state; scenarios/alertmanager-restart.yaml shows the page surviving on Prometheus's resends); ``{fault:
receiver_errors, service: sink, with: {status: 503}, duration: 30s}`` makes the receiver answer 5xx so
Alertmanager retries (alertmanager_notifications_failed_total counts the failures); ``{fault: stop, service:
postgres}`` (or redis) stops the data tier's server until rollback starts it again (empty: its data is on
tmpfs, and the services recreate their tables). Data; the schedule
(harness/scenario/method.py) applies them through the stack (harness/stack.py ``stack_fault``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

STACK_FAULTS: dict[str, tuple[str, ...]] = {
    "alertmanager": ("restart",),
    "prometheus": ("restart",),
    "sink": ("receiver_errors",),
    "postgres": ("restart", "stop"),  # the data tier (harness/components/datatier.py): stopped until rollback
    "redis": ("restart", "stop"),
}
STACK_FAULT_SCHEMAS: dict[str, dict[str, object]] = {
    "restart": {"type": "object", "properties": {}, "additionalProperties": False},
    "stop": {"type": "object", "properties": {}, "additionalProperties": False},
    "receiver_errors": {"type": "object", "additionalProperties": False,
                        "properties": {"status": {"type": "integer", "minimum": 500, "maximum": 599}}},
}
# restart happens at once: there is nothing to clear afterwards
INSTANT = frozenset({"restart"})
STOPPABLE = tuple(name for name, faults in STACK_FAULTS.items() if "stop" in faults)


def is_stack_fault(fault: str) -> bool:
    return fault in STACK_FAULT_SCHEMAS


def receiver_errors(sink: Callable[[], Any], component: str, fault: str,
                    spec: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Inject (``spec`` given) or clear (None) the receiver_errors fault through the harness's sink; None when
    ``fault`` on ``component`` is not that one."""
    if fault != "receiver_errors" or component != "sink":
        return None
    return dict(sink().fail(int(spec.get("status", 503)))) if spec is not None else dict(sink().stop_failing())
