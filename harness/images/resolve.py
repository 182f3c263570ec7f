"""Pick the image for each component: an override, the official upstream image, or the local build."""

from __future__ import annotations

from dataclasses import dataclass

import docker

from harness import envvars, progress
from harness.errors import ImageError
from harness.images.builder import ImageBuilder
from harness.images.recipe import Recipe
from harness.progress import Log
from harness.settings import Settings


@dataclass(frozen=True)
class ImageChoice:
    component: str
    image: str
    source: str  # "override", "upstream", "local" or "unavailable" (no image: the component is left out)
    reason: str

    @property
    def available(self) -> bool:
        return self.source != "unavailable"

    def describe(self) -> str:
        if not self.available:
            return f"{self.component}: unavailable (no image): {self.reason}"
        return f"{self.component}: {self.image} ({self.source}: {self.reason})"


def resolve_images(client: docker.DockerClient, settings: Settings, recipes: dict[str, Recipe],
                   components: tuple[str, ...], log: Log = progress.say) -> dict[str, ImageChoice]:
    builder = ImageBuilder(client, settings.cache_dir, log)
    choices = {}
    for component in components:
        if component not in recipes:
            raise ImageError(f"{component}: no image recipe in {settings.config_dir / 'images'}")
        choice = _choose(client, builder, settings, recipes[component])
        log(f"image {choice.describe()}")
        choices[component] = choice
    return choices


def _choose(client: docker.DockerClient, builder: ImageBuilder, settings: Settings, recipe: Recipe) -> ImageChoice:
    name = recipe.name
    override = settings.image_overrides.get(name)
    if override:
        env_name = envvars.image_override(name)
        problem = _present_or_pull(client, override)
        if problem:
            raise ImageError(f"{env_name}={override}: image is not present and could not be pulled: {problem}")
        return ImageChoice(name, override, "override", f"set by {env_name}")
    if settings.image_policy != "local" and recipe.upstream:
        problem = _present_or_pull(client, recipe.upstream)
        if problem is None:
            return ImageChoice(name, recipe.upstream, "upstream", "official image")
        if settings.image_policy == "upstream":
            raise ImageError(f"{name}: upstream image {recipe.upstream} could not be pulled "
                             f"({envvars.IMAGES}=upstream): {problem}")
        reason = f"upstream {recipe.upstream} could not be pulled: {problem}"
    else:
        reason = "no upstream image" if not recipe.upstream else f"{envvars.IMAGES}=local"
    if recipe.base == "none":
        return ImageChoice(name, "", "unavailable", f"{reason}; no offline build is known for it")
    built = builder.exists(recipe)
    tag = builder.ensure(recipe)
    return ImageChoice(name, tag, "local", ("cached build; " if built else "built now; ") + reason)


def _present_or_pull(client: docker.DockerClient, ref: str) -> str | None:
    try:
        client.images.get(ref)
        return None
    except docker.errors.ImageNotFound:
        pass
    except docker.errors.APIError as exc:
        return _short(exc)
    repo, _, tag = ref.rpartition(":") if ":" in ref.split("/")[-1] else (ref, "", "latest")
    try:
        client.images.pull(repo, tag=tag)
        return None
    except docker.errors.APIError as exc:
        return _short(exc)


def _short(exc: docker.errors.APIError) -> str:
    text = str(exc.explanation or exc)
    return text.splitlines()[0][:200] if text else "unknown error"
