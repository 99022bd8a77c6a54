"""punkforge: turn a tiny autoencoder's training into printable generative art.

The Python API, for notebooks and scripts::

    import punkforge
    recipe = punkforge.load_recipe("recipes/devolved-punks.toml", sets={"train.epochs": 2})
    result = punkforge.run(recipe, out="outputs")      # quiet; progress=True shows bars
    result.variants["base"].poster                     # Path to poster.png
    punkforge.render("outputs/devolved-punks", sets={"render.poster.layout": "pairs"})

The package is split by stage, imports flowing one way: recipe -> train ->
render -> gallery -> run, with `api` and `cli` on top. The API names below are
imported on first use (`punkforge.run` and `punkforge.render` are also the
stage packages of those names, which, called, are `punkforge.api.run` and
`punkforge.api.render`), so `import punkforge` stays fast and never imports
TensorFlow (only training does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.2.0"

__all__ = [
    "PunkforgeError",
    "RecipeError",
    "RunError",
    "RunResult",
    "VariantResult",
    "VariantsFailed",
    "__version__",
    "examples",
    "load_recipe",
    "render",
    "run",
]

if TYPE_CHECKING:
    from punkforge.api import RunResult, VariantResult, VariantsFailed, load_recipe, render, run
    from punkforge.errors import PunkforgeError, RecipeError, RunError
    from punkforge.recipe.starter import examples

_HOMES = {
    "load_recipe": "punkforge.api",
    "RunResult": "punkforge.api",
    "VariantResult": "punkforge.api",
    "VariantsFailed": "punkforge.api",
    "examples": "punkforge.recipe.starter",
    "PunkforgeError": "punkforge.errors",
    "RecipeError": "punkforge.errors",
    "RunError": "punkforge.errors",
}


def __getattr__(name: str) -> Any:
    # PEP 562: the API is imported when first touched, not by `import punkforge`.
    import importlib

    if name in ("run", "render"):
        # the stage packages of these names forward calls to punkforge.api (see _alias)
        return importlib.import_module(f"punkforge.{name}")
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'punkforge' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
