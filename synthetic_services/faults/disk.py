"""disk_fill: one file on a volume (a mount point) grows it to ``percent`` used; deleted on clear."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from synthetic_services.faults.base import FaultContext, PassiveFault, progress
from synthetic_services.faults.spec import FaultError, Spec

FILL_NAME = ".obsdrill-disk-fill"
_BLOCK = b"\0" * (1024 * 1024)
StatVfs = Callable[[str], Any]


def mount_points(mountinfo: Path = Path("/proc/self/mountinfo")) -> set[str]:
    try:
        lines = mountinfo.read_text().splitlines()
    except OSError:
        return set()
    return {line.split()[4].encode().decode("unicode_escape") for line in lines if len(line.split()) > 4}


def is_mount_point(path: str) -> bool:
    return os.path.ismount(path) or os.path.realpath(path) in mount_points()


def usage(stat: Any) -> tuple[int, int]:
    """(size, available) in bytes, as node_exporter reports them (f_blocks, f_bavail)."""
    return stat.f_blocks * stat.f_frsize, stat.f_bavail * stat.f_frsize


def used_percent(stat: Any) -> float:
    size, available = usage(stat)
    return round((size - available) / size * 100, 2) if size else 0.0


def fill(path: Path, size: int) -> int:
    """Allocates ``size`` bytes in ``path``; returns the bytes allocated (less when the volume is full)."""
    with open(path, "wb") as handle:
        try:
            os.posix_fallocate(handle.fileno(), 0, size)
            return size
        except OSError as exc:
            if exc.errno == errno.ENOSPC:
                raise
        written = 0
        while written < size:
            written += handle.write(_BLOCK[: min(len(_BLOCK), size - written)])
        return written


class DiskFill(PassiveFault):
    def __init__(self, raw: Any, ctx: FaultContext, *, require_mount: bool = True,
                 statvfs: StatVfs = os.statvfs) -> None:
        spec = Spec("disk_fill", raw, ("percent", "path"))
        self.percent = spec.number("percent", 95, low=0, high=100, low_open=True)
        self.path = spec.string("path", "/data")
        if not os.path.isdir(self.path):
            raise FaultError(f"disk_fill.path: {self.path} does not exist or is not a directory")
        if require_mount and not is_mount_point(self.path):
            raise FaultError(f"disk_fill.path: {self.path} is not a mount point (disk_fill fills a volume only)")
        self.file = Path(self.path) / FILL_NAME
        self._statvfs = statvfs
        self.written, self.status, self.stopped = 0, "pending", ""

    def start(self) -> None:
        size, available = usage(self._statvfs(self.path))
        need = available - int(size * (1 - self.percent / 100))
        if need <= 0:
            self.status = "already at or above percent"
            return
        try:
            self.written = fill(self.file, need)
            self.status = "filled"
        except OSError as exc:
            self.written = self.file.stat().st_size if self.file.exists() else 0
            self.stopped = str(exc.strerror or exc)
            self.status = f"stopped: {self.stopped}"

    def stop(self) -> None:
        super().stop()
        self.file.unlink(missing_ok=True)
        self.written = 0

    def state(self) -> dict[str, Any]:
        return {"percent": self.percent, "path": self.path, "file": str(self.file), "bytes": self.written,
                "status": self.status, "used_percent": used_percent(self._statvfs(self.path))}

    def progress(self) -> dict[str, Any]:
        reached = self.status in ("filled", "already at or above percent")
        return progress(reached, used_percent(self._statvfs(self.path)), self.percent, "%", self.stopped)
