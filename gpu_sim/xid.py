"""Best-effort XID error tracking for real GPUs through NVML events.

dcgm-exporter reports the last XID code per GPU. With pynvml that information
only arrives as ``nvmlEventTypeXidCriticalError`` events, so this watcher
registers for them and drains the event set (without blocking) on every scrape.
Where events are not supported the last XID stays 0.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, cast

from gpu_sim.nvml import NvmlApi

LOG = logging.getLogger(__name__)
XID_CRITICAL_ERROR_EVENT = 0x8
MAX_EVENTS_PER_POLL = 1000


class XidWatcher:
    """Remembers the last XID code seen on each GPU (real NVML only)."""

    def __init__(self, api: NvmlApi, count: int) -> None:
        self._api: Any = cast(Any, api)
        self._lock = threading.Lock()
        self._last: dict[int, int] = {}
        self._set: object | None = None
        try:
            self._set = self._api.nvmlEventSetCreate()
        except (AttributeError, self._api.NVMLError) as exc:
            LOG.info("XID events unavailable, DCGM_FI_DEV_XID_ERRORS stays 0: %s", exc)
            return
        registered = [self._register(index) for index in range(count)]
        if not any(registered):
            self.close()

    def _register(self, index: int) -> bool:
        event_type = getattr(self._api, "nvmlEventTypeXidCriticalError", XID_CRITICAL_ERROR_EVENT)
        try:
            handle = self._api.nvmlDeviceGetHandleByIndex(index)
            self._api.nvmlDeviceRegisterEvents(handle, event_type, self._set)
        except self._api.NVMLError as exc:
            LOG.info("gpu %d: XID events unavailable: %s", index, exc)
            return False
        return True

    @property
    def enabled(self) -> bool:
        return self._set is not None

    def poll(self) -> None:
        """Drain pending XID events without waiting."""
        with self._lock:
            if self._set is None:
                return
            for _ in range(MAX_EVENTS_PER_POLL):
                try:
                    data = self._api.nvmlEventSetWait(self._set, 0)
                    index = int(self._api.nvmlDeviceGetIndex(data.device))
                except self._api.NVMLError:
                    return  # NVML_ERROR_TIMEOUT: no more events
                self._last[index] = int(data.eventData)

    def last(self, index: int) -> int:
        with self._lock:
            return self._last.get(index, 0)

    def close(self) -> None:
        with self._lock:
            if self._set is None:
                return
            try:
                self._api.nvmlEventSetFree(self._set)
            except self._api.NVMLError as exc:
                LOG.debug("nvmlEventSetFree failed: %s", exc)
            self._set = None
