"""Size-limited data volumes for disk faults: a small ext4 image, loop-mounted on the host and bind-mounted
into the service that fills it and into node_exporter. Never the host's own disk, and not tmpfs (the seed's
DiskSpaceLow rule ignores fstype tmpfs). Needs root (mount); without it the caller falls back to tmpfs and says
that DiskSpaceLow cannot fire.

Layout: ``<cache>/volumes/<run id>/{owner.json, <name>.img, <name>/}``; a killed run's mounts are found there
and released by the next start (same owner rule as the engine's reaper)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.errors import StackError
from harness.system import is_root, missing_commands


@dataclass(frozen=True)
class DataVolume:
    name: str
    mount: Path | None  # host directory to bind-mount; None: no ext4 volume (tmpfs fallback)
    size_mib: int
    reason: str

    def describe(self) -> str:
        if self.mount is None:
            return f"data volume {self.name}: tmpfs {self.size_mib} MiB ({self.reason}); DiskSpaceLow cannot fire"
        return f"data volume {self.name}: ext4 {self.size_mib} MiB, loop-mounted at {self.mount}"


def _root(cache_dir: Path) -> Path:
    return cache_dir / "volumes"


def create(cache_dir: Path, run_id: str, name: str, size_mib: int, owner: dict[str, str]) -> DataVolume:
    """A fresh loop-mounted ext4 volume of ``size_mib``, or the tmpfs fallback with the reason."""
    missing = missing_commands(["mkfs.ext4", "mount", "umount"])
    if not is_root() or missing:
        why = "not root" if not is_root() else f"missing {', '.join(missing)}"
        return DataVolume(name, None, size_mib, why)
    run_dir = _root(cache_dir) / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "owner.json").write_text(json.dumps(owner))
    image, mount = run_dir / f"{name}.img", run_dir / name
    mount.mkdir(exist_ok=True)
    with image.open("wb") as handle:
        handle.truncate(size_mib * 1024 * 1024)
    try:
        _run(["mkfs.ext4", "-q", "-F", "-m", "0", "-L", name[:16], str(image)], f"mkfs.ext4 {image}")
        _run(["mount", "-o", "loop", str(image), str(mount)], f"mount -o loop {image}")
    except StackError as exc:
        shutil.rmtree(run_dir, ignore_errors=True)
        return DataVolume(name, None, size_mib, f"loop mount not possible here: {str(exc).splitlines()[0]}")
    mount.chmod(0o777)
    return DataVolume(name, mount, size_mib, "ext4 on a loop device")


def release_run(cache_dir: Path, run_id: str) -> list[str]:
    """Unmount and delete every volume of one run; the names of what was released."""
    run_dir = _root(cache_dir) / run_id
    if not run_dir.is_dir():
        return []
    released = []
    for mount in sorted(p for p in run_dir.iterdir() if p.is_dir()):
        if _is_mounted(mount):
            _run(["umount", "-l", str(mount)], f"umount {mount}")
        released.append(f"volume {run_id}/{mount.name}")
    shutil.rmtree(run_dir, ignore_errors=True)
    return released


def reap_volumes(cache_dir: Path, wanted: Callable[[dict[str, str]], bool]) -> list[str]:
    """Release the volumes of runs whose owner ``wanted`` says may go (dead owners, or everything)."""
    root = _root(cache_dir)
    released: list[str] = []
    for run_dir in sorted(root.iterdir()) if root.is_dir() else []:
        try:
            owner = json.loads((run_dir / "owner.json").read_text())
        except (OSError, ValueError):
            owner = {}
        if wanted(owner):
            released += release_run(cache_dir, run_dir.name)
    return released


def _is_mounted(path: Path) -> bool:
    target = str(path.resolve())
    with open("/proc/self/mounts") as mounts:
        return any(line.split()[1] == target for line in mounts if len(line.split()) > 1)


def _run(cmd: list[str], step: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise StackError(f"{step}: exited {proc.returncode}: {(proc.stdout + proc.stderr).strip()[-300:]}")
