"""Images: recipes (data in stack/images/), an offline builder, and the resolver that picks upstream or local."""

from harness.images.recipe import Recipe, load_recipes
from harness.images.resolve import ImageChoice, resolve_images

__all__ = ["ImageChoice", "Recipe", "load_recipes", "resolve_images"]
