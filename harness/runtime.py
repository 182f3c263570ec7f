"""Container runtime bootstrap: use a Docker engine if one answers, else set up Podman (runc, lowered
ulimits, Docker-compatible socket) and point Testcontainers at it. Idempotent."""

from __future__ import annotations

import os
import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import docker

from harness import progress
from harness.errors import RuntimeUnavailableError
from harness.system import apt_install, is_root

PODMAN_SOCKET = "/run/podman/podman.sock"
PODMAN_PACKAGES = ("podman", "runc", "iptables", "netavark", "aardvark-dns", "catatonit")
CONF_DROPIN = Path("/etc/containers/containers.conf.d/50-obsdrill.conf")


@dataclass(frozen=True)
class Runtime:
    kind: str  # "docker" or "podman"
    docker_host: str
    version: str

    def client(self) -> docker.DockerClient:
        return docker.DockerClient(base_url=self.docker_host, timeout=300)

    def describe(self) -> str:
        return f"{self.kind} {self.version} at {self.docker_host}"


def ensure_runtime(cache_dir: Path, install: bool = True) -> Runtime:
    """Find or set up a container engine and export the Testcontainers settings for it."""
    for host in _candidate_hosts():
        found = _probe(host)
        if found:
            return _export(found)
    if not install:
        raise RuntimeUnavailableError(
            "no container engine answers (tried DOCKER_HOST, /var/run/docker.sock, "
            f"{PODMAN_SOCKET}); run `obsdrill runtime setup` as root to install Podman"
        )
    if not is_root():
        raise RuntimeUnavailableError(
            "no Docker engine answers and setting up Podman needs root (apt-get, /etc/containers, "
            f"{PODMAN_SOCKET}). Start a Docker engine, set DOCKER_HOST, or run as root."
        )
    apt_install(PODMAN_PACKAGES, "container runtime", RuntimeUnavailableError)
    _write_podman_conf()
    _start_podman_service(cache_dir)
    found = _wait_for(f"unix://{PODMAN_SOCKET}", cache_dir)
    return _export(found)


def _candidate_hosts() -> list[str]:
    hosts = []
    if os.environ.get("DOCKER_HOST"):
        hosts.append(os.environ["DOCKER_HOST"])
    hosts += ["unix:///var/run/docker.sock", f"unix://{PODMAN_SOCKET}"]
    return hosts


def _probe(host: str) -> Runtime | None:
    if host.startswith("unix://") and not Path(host[len("unix://"):]).exists():
        return None
    try:
        client = docker.DockerClient(base_url=host, timeout=5)
        info = client.version()
        client.close()
    except Exception:
        return None
    names = " ".join(c.get("Name", "") for c in info.get("Components", []))
    kind = "podman" if "Podman" in names else "docker"
    return Runtime(kind=kind, docker_host=host, version=str(info.get("Version", "?")))


def _export(runtime: Runtime) -> Runtime:
    os.environ["DOCKER_HOST"] = runtime.docker_host
    if runtime.kind == "podman":
        # Ryuk needs a privileged socket mount Podman does not give; our own reaper (labels) replaces it.
        os.environ["TESTCONTAINERS_RYUK_DISABLED"] = "true"
        os.environ["TESTCONTAINERS_CONNECTION_MODE"] = "docker_host"
    return runtime


def podman_conf_text() -> str:
    """runc (crun fails on hybrid cgroups) and ulimits no higher than this host allows."""
    nofile = _cap(resource.RLIMIT_NOFILE, 65536)
    nproc = _cap(resource.RLIMIT_NPROC, 32768)
    return (
        "# written by obsdrill (harness/runtime.py)\n"
        "[containers]\n"
        f'default_ulimits = ["nofile={nofile}:{nofile}", "nproc={nproc}:{nproc}"]\n'
        "[engine]\n"
        'runtime = "runc"\n'
        'cgroup_manager = "cgroupfs"\n'
        'events_logger = "file"\n'
    )


def _cap(limit: int, ceiling: int) -> int:
    _, hard = resource.getrlimit(limit)
    return ceiling if hard == resource.RLIM_INFINITY else min(hard, ceiling)


def _write_podman_conf() -> None:
    text = podman_conf_text()
    if CONF_DROPIN.exists() and CONF_DROPIN.read_text() == text:
        return
    CONF_DROPIN.parent.mkdir(parents=True, exist_ok=True)
    CONF_DROPIN.write_text(text)


def _start_podman_service(cache_dir: Path) -> None:
    Path(PODMAN_SOCKET).parent.mkdir(parents=True, exist_ok=True)
    cache_dir.mkdir(parents=True, exist_ok=True)
    log = (cache_dir / "podman-service.log").open("ab")
    progress.say(f"starting Podman's Docker-compatible socket at {PODMAN_SOCKET}")
    subprocess.Popen(
        ["podman", "system", "service", "--time=0", f"unix://{PODMAN_SOCKET}"],
        stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True,
    )


def _wait_for(host: str, cache_dir: Path, timeout: float = 30.0) -> Runtime:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _probe(host)
        if found:
            return found
        time.sleep(0.5)
    log = cache_dir / "podman-service.log"
    tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:]) if log.exists() else "(no log)"
    raise RuntimeUnavailableError(
        f"Podman socket {host} did not answer within {timeout:.0f}s. Service log tail:\n{tail}\n"
        "hint: run `podman info` to see what Podman itself reports"
    )
