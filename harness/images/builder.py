"""Offline image builder: debootstrap a Debian rootfs from the machine's own apt mirror (or start from an
empty one: ``base: scratch``), add pip wheels and project files, run the recipe's host-side build script,
then import it into the engine as one image tagged by the recipe hash."""

from __future__ import annotations

import fcntl
import json
import os
import platform
import re
import shutil
import sys
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import docker

from harness import progress
from harness.errors import ImageError
from harness.images.recipe import Recipe
from harness.progress import Log
from harness.settings import OWNER_LABEL, project_root
from harness.system import apt_install, debian_mirror, is_root, run, run_streaming

APP_DIR = "opt/obsdrill/app"
SITE_DIR = "opt/obsdrill/site"


class ImageBuilder:
    def __init__(self, client: docker.DockerClient, cache_dir: Path, log: Log = progress.say) -> None:
        self.client = client
        self.cache_dir = cache_dir
        self.log = log

    def exists(self, recipe: Recipe) -> bool:
        try:
            self.client.images.get(recipe.tag)
        except docker.errors.ImageNotFound:
            return False
        return True

    def ensure(self, recipe: Recipe) -> str:
        """The recipe's image tag, building it first only if no image with that hash exists."""
        if self.exists(recipe):
            return recipe.tag
        with self._lock(recipe):
            if not self.exists(recipe):
                self.build(recipe)
        return recipe.tag

    def build(self, recipe: Recipe) -> str:
        if not is_root():
            raise ImageError(f"image {recipe.name}: building local images needs root (debootstrap, chroot)")
        if recipe.base == "debian":
            apt_install(["debootstrap"], f"image {recipe.name}", ImageError)
        work = self.cache_dir / "build" / f"{recipe.name}-{recipe.digest()}"
        shutil.rmtree(work, ignore_errors=True)
        rootfs = work / "rootfs"
        started = time.monotonic()
        self.log(f"building image {recipe.tag} ({recipe.path.name})")
        try:
            if recipe.base == "debian":
                self._step(recipe, "debootstrap", lambda: self._debootstrap(recipe, rootfs))
            else:
                rootfs.mkdir(parents=True)
            if recipe.pip:
                self._step(recipe, "pip wheels", lambda: self._pip(recipe, rootfs))
            if recipe.copy:
                self._step(recipe, "copy project files", lambda: self._copy(recipe, rootfs))
            if recipe.build:
                self._step(recipe, f"build script {recipe.build}", lambda: self.run_script(recipe, rootfs, work))
            for command in recipe.post:
                self._step(recipe, f"post: {command}", lambda c=command: self._chroot(recipe, rootfs, c))
            self._slim(rootfs)
            self._step(recipe, "import", lambda: self._import(recipe, rootfs, work / "rootfs.tar"))
        finally:
            shutil.rmtree(work, ignore_errors=True)
        self.log(f"built {recipe.tag} in {time.monotonic() - started:.1f}s")
        return recipe.tag

    def _step(self, recipe: Recipe, name: str, action) -> None:  # type: ignore[no-untyped-def]
        started = time.monotonic()
        self.log(f"  {recipe.name}: {name} ...")
        action()
        self.log(f"  {recipe.name}: {name} done in {time.monotonic() - started:.1f}s")

    def _debootstrap(self, recipe: Recipe, rootfs: Path) -> None:
        debs = self.cache_dir / "debs" / recipe.suite
        debs.mkdir(parents=True, exist_ok=True)
        cmd = ["debootstrap", "--variant=minbase", f"--cache-dir={debs}"]
        if recipe.packages:
            cmd.append("--include=" + ",".join(recipe.packages))
        cmd += [recipe.suite, str(rootfs), debian_mirror()]
        run(cmd, f"image {recipe.name} ({recipe.path}): debootstrap", ImageError)

    def _pip(self, recipe: Recipe, rootfs: Path) -> None:
        arch = {"x86_64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}[platform.machine()]
        plats = [f"--platform=manylinux{v}_{arch}" for v in ("2014", "_2_17", "_2_28")]
        cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
               f"--target={rootfs / SITE_DIR}", f"--python-version={recipe.python}", "--implementation=cp",
               "--only-binary=:all:", *plats, f"--cache-dir={self.cache_dir / 'pip'}", *recipe.pip]
        run(cmd, f"image {recipe.name} ({recipe.path}): pip install", ImageError)

    def _copy(self, recipe: Recipe, rootfs: Path) -> None:
        for rel in recipe.copy:
            src, dest = project_root() / rel, rootfs / APP_DIR / rel
            if src.is_dir():
                shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dest)

    def run_script(self, recipe: Recipe, rootfs: Path, work: Path) -> None:
        """The recipe's host-side build step: ``bash <script>`` in the recipe's directory, output streamed."""
        script = recipe.build_script
        assert script is not None
        scratch = work / "work"
        scratch.mkdir(parents=True, exist_ok=True)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "ROOTFS": str(rootfs), "CACHE": str(self.cache_dir), "WORK": str(scratch),
               "RECIPE_DIR": str(recipe.directory), "IMAGE_TAG": recipe.tag, **dict(recipe.build_env)}
        run_streaming(["bash", str(script)], f"image {recipe.name} ({recipe.path}): build script {recipe.build}",
                      ImageError, self.log, prefix=f"  {recipe.name}| ", env=env, cwd=recipe.directory)

    def _chroot(self, recipe: Recipe, rootfs: Path, command: str) -> None:
        run(["chroot", str(rootfs), "/bin/sh", "-c", command], f"image {recipe.name}: post {command!r}",
            ImageError)

    @staticmethod
    def _slim(rootfs: Path) -> None:
        for rel in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man",
                    "usr/share/info", "usr/share/locale"):
            target = rootfs / rel
            if target.is_dir():
                for child in target.iterdir():
                    if child.is_dir() and not child.is_symlink():
                        shutil.rmtree(child, ignore_errors=True)
                    elif child.name != "lock":
                        child.unlink(missing_ok=True)

    def _import(self, recipe: Recipe, rootfs: Path, tar_path: Path) -> None:
        with tarfile.open(tar_path, "w") as tar:
            tar.add(rootfs, arcname=".")
        changes = image_changes(recipe)
        try:
            answer = self.client.api.import_image_from_file(
                str(tar_path), repository=recipe.repository, tag=recipe.digest(), changes=changes)
        except docker.errors.APIError as exc:
            raise ImageError(f"image {recipe.name}: import into the engine failed: {exc}") from exc
        image_id = _imported_id(str(answer), recipe)
        image = self.client.images.get(image_id)
        image.tag(recipe.repository, recipe.digest())
        if f"{recipe.repository}:latest" in image.tags:  # Podman's compat import ignores the tag argument
            self.client.images.remove(f"{recipe.repository}:latest", noprune=True)

    @contextmanager
    def _lock(self, recipe: Recipe) -> Iterator[None]:
        locks = self.cache_dir / "locks"
        locks.mkdir(parents=True, exist_ok=True)
        with (locks / f"{recipe.name}.lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield


def image_changes(recipe: Recipe) -> list[str]:
    """Dockerfile instructions applied at import: entrypoint, cmd, env, user, workdir, exposed ports, labels."""
    changes = [f"ENTRYPOINT {json.dumps(list(recipe.entrypoint))}",
               f"LABEL {OWNER_LABEL}=obsdrill", f"LABEL io.obsdrill.recipe={recipe.digest()}"]
    if recipe.cmd:
        changes.append(f"CMD {json.dumps(list(recipe.cmd))}")
    changes += [f"ENV {k}={_env_value(v)}" for k, v in recipe.env]
    if recipe.user:
        changes.append(f"USER {recipe.user}")
    if recipe.workdir:
        changes.append(f"WORKDIR {recipe.workdir}")
    changes += [f"EXPOSE {port}" for port in recipe.expose]
    return changes


def _env_value(value: str) -> str:
    """Quoted (Dockerfile syntax) only when it has to be, e.g. ``-Xms512m -Xmx512m``."""
    return json.dumps(value) if re.search(r'[\s"\'\\$]', value) else value


def _imported_id(answer: str, recipe: Recipe) -> str:
    found = re.findall(r"sha256:[0-9a-f]{64}", answer)
    if not found:
        raise ImageError(f"image {recipe.name}: the engine's import answer names no image id: {answer[:300]}")
    return found[-1]
