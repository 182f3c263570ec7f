"""The authoritative check of the config under test, by the servers' own tools: ``promtool check rules`` in a
container of the Prometheus image, ``amtool check-config`` in one of the Alertmanager image (the images the
stack would run, chosen like the stack's), over the config as a run renders it (scaled, receivers rewritten:
what the servers would load). Without a container engine or an image it says it was skipped."""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import docker

from harness.components.spec import owner_labels
from harness.config import load_source
from harness.errors import InfrastructureError
from harness.reaper import process_labels
from harness.render import RenderedConfig, render
from harness.settings import Settings

MOUNT = "/config"


@dataclass
class ToolCheck:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _run(client: docker.DockerClient, image: str, tool: str, args: list[str], config_dir: Path) -> tuple[int, str]:
    labels = owner_labels(f"validate-{uuid.uuid4().hex[:8]}", process_labels())
    container = client.containers.run(image, args, entrypoint=tool, working_dir=MOUNT, labels=labels, detach=True,
                                      volumes={str(config_dir): {"bind": MOUNT, "mode": "ro"}})
    try:
        code = int(container.wait(timeout=120).get("StatusCode", -1))
        return code, container.logs(stdout=True, stderr=True).decode(errors="replace").strip()
    finally:
        container.remove(force=True)


def _commands(rendered: RenderedConfig) -> dict[str, tuple[str, list[str]]]:
    """component -> (tool, args), paths inside the mounted rendered config."""
    rules = [f"{MOUNT}/prometheus/{rule}" for rule in sorted({r.file for r in rendered.rules})]
    return {"prometheus": ("promtool", ["check", "rules", *rules]),
            "alertmanager": ("amtool", ["check-config", f"{MOUNT}/alertmanager/alertmanager.yml"])}


def check_with_tools(settings: Settings) -> ToolCheck:
    from harness.runtime import ensure_runtime

    out = ToolCheck()
    try:
        client = ensure_runtime(settings.cache_dir, install=False).client()
    except InfrastructureError as exc:
        out.notes.append(f"promtool/amtool checks skipped: {exc}")
        return out
    with tempfile.TemporaryDirectory(prefix="obsdrill-validate-") as work:
        rendered = render(load_source(settings.config_dir), settings.time_factor, Path(work))
        for path in (Path(work), *Path(work).rglob("*")):
            path.chmod(0o755 if path.is_dir() else 0o644)  # the tools run as nobody in their images
        _check(client, settings, rendered, out)
    return out


def _check(client: docker.DockerClient, settings: Settings, rendered: RenderedConfig, out: ToolCheck) -> None:
    from harness.images import load_recipes, resolve_images

    commands = _commands(rendered)
    try:
        choices = resolve_images(client, settings, load_recipes(settings.config_dir / "images"), tuple(commands))
    except InfrastructureError as exc:
        out.notes.append(f"promtool/amtool checks skipped: {exc}")
        return
    for component, (tool, args) in commands.items():
        choice = choices[component]
        if not choice.available:
            out.notes.append(f"{tool} check skipped: no {component} image ({choice.reason})")
            continue
        code, text = _run(client, choice.image, tool, args, rendered.directory)
        if code != 0:
            out.problems.append(f"{component}: `{tool} {' '.join(args[:2])}` rejects the config (exit {code}): "
                                f"{text[-800:]}")
        else:
            out.notes.append(f"ok  {tool} {' '.join(args[:2])} ({choice.image})")
