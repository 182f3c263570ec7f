"""memory_growth: resident memory grows in steps towards a host used% (or a fixed MiB amount), never below
``min_available_mib`` available on the host nor past the container's cgroup limit; freed on clear/expiry."""

from __future__ import annotations

import mmap
import threading
from pathlib import Path
from typing import Any

from synthetic_services.faults.base import DEFAULT_MAX_SECONDS, Expiry, FaultContext, progress
from synthetic_services.faults.spec import FaultError, Spec

MIB = 1024 * 1024
STEP_PAUSE_S = 0.05
CGROUP_MARGIN = 64 * MIB
_BLOCK = b"\x01" * MIB


def meminfo(path: Path = Path("/proc/meminfo")) -> tuple[int, int]:
    """(MemTotal, MemAvailable) in bytes."""
    values: dict[str, int] = {}
    for line in path.read_text().splitlines():
        key, _, rest = line.partition(":")
        values[key] = int(rest.split()[0]) * 1024
    return values["MemTotal"], values["MemAvailable"]


def cgroup_room(root: Path = Path("/sys/fs/cgroup")) -> int | None:
    """Bytes this cgroup (v2) may still use before its memory.max, or None when unlimited/unknown."""
    try:
        limit = (root / "memory.max").read_text().strip()
        current = int((root / "memory.current").read_text().strip())
    except (OSError, ValueError):
        return None
    return None if limit == "max" else int(limit) - current - CGROUP_MARGIN


def resident_chunk(size: int) -> mmap.mmap:
    """An anonymous mapping of ``size`` bytes with every page written, so it is resident (and unmapped on close)."""
    chunk = mmap.mmap(-1, size)
    for _ in range(size // MIB):
        chunk.write(_BLOCK)
    return chunk


class MemoryGrowth:
    def __init__(self, raw: Any, ctx: FaultContext) -> None:
        spec = Spec("memory_growth", raw,
                    ("target_used_percent", "mib", "step_mib", "min_available_mib", "max_seconds"))
        if ("target_used_percent" in spec.raw) == ("mib" in spec.raw):
            raise FaultError("memory_growth.target_used_percent: give exactly one of target_used_percent or mib")
        self.target_used_percent = spec.number("target_used_percent", None, low=0, high=100, low_open=True) \
            if "target_used_percent" in spec.raw else None
        self.mib = spec.integer("mib", None, low=1) if "mib" in spec.raw else None
        self.step_mib = spec.integer("step_mib", 256, low=1)
        self.min_available_mib = spec.integer("min_available_mib", 1024, low=0)
        self.max_seconds = spec.number("max_seconds", DEFAULT_MAX_SECONDS, low=0, low_open=True)
        self.status, self.reason = "growing", ""
        self._chunks: list[mmap.mmap] = []
        self.allocated = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._grow, name="memory_growth", daemon=True)
        self._expiry = Expiry(self.max_seconds, self.stop)

    @property
    def active(self) -> bool:
        return not self._expiry.expired

    def start(self) -> None:
        self._expiry.start()
        self._thread.start()

    def _grow(self) -> None:
        while not self._stopped.is_set():
            size, why = self.next_step(*meminfo(), cgroup_room())
            if why:
                self.status, self.reason = ("reached" if why == "reached" else "stopped"), why
                return
            try:
                chunk = resident_chunk(size)
            except (OSError, MemoryError) as exc:
                self.status, self.reason = "stopped", f"allocation failed: {exc}"
                return
            with self._lock:
                if self._stopped.is_set():
                    chunk.close()
                    return
                self._chunks.append(chunk)
                self.allocated += size
            self._stopped.wait(STEP_PAUSE_S)

    def next_step(self, total: int, available: int, cgroup: int | None) -> tuple[int, str]:
        """Bytes to add next (whole MiB), or 0 and why growth ends."""
        if self.mib is not None:
            wanted = self.mib * MIB - self.allocated
        else:
            wanted = available - int(total * (1 - (self.target_used_percent or 0) / 100))
        if wanted < MIB:
            return 0, "reached"
        headroom = available - self.min_available_mib * MIB
        if headroom < MIB:
            return 0, f"min_available_mib: host has {available // MIB} MiB available, floor {self.min_available_mib}"
        if cgroup is not None and cgroup < MIB:
            return 0, "cgroup memory limit: the container's memory.max is nearly reached"
        size = min(self.step_mib * MIB, wanted, headroom, cgroup if cgroup is not None else wanted)
        return size // MIB * MIB, ""

    def stop(self) -> None:
        self._expiry.cancel()
        self._stopped.set()
        with self._lock:
            chunks, self._chunks, self.allocated = self._chunks, [], 0
        for chunk in chunks:
            chunk.close()
        if self.status == "growing":
            self.status, self.reason = "stopped", "cleared"

    def state(self) -> dict[str, Any]:
        total, available = meminfo()
        goal = {"target_used_percent": self.target_used_percent} if self.mib is None else {"mib": self.mib}
        return {**goal, "step_mib": self.step_mib, "min_available_mib": self.min_available_mib,
                "max_seconds": self.max_seconds, "allocated_mib": self.allocated // MIB, "status": self.status,
                "reason": self.reason, "host_used_percent": round((total - available) / total * 100, 1),
                "host_available_mib": available // MIB, "expires_in_s": self._expiry.remaining()}

    def progress(self) -> dict[str, Any]:
        stopped = self.reason if self.status == "stopped" else ""
        if self.mib is not None:
            return progress(self.status == "reached", self.allocated // MIB, self.mib, "MiB", stopped)
        total, available = meminfo()
        used = round((total - available) / total * 100, 1)
        return progress(self.status == "reached", used, self.target_used_percent, "%", stopped)
