"""punkforge: turn a tiny autoencoder's training into printable generative art.

The Python API, for notebooks and scripts::

    import punkforge
    recipe = punkforge.load_recipe("recipes/devolved-punks.toml", sets={"train.epochs": 2})
    result = punkforge.run(recipe, out="outputs")      # quiet; progress=True shows bars
    result.variants["base"].poster                     # Path to poster.png
    punkforge.render("outputs/devolved-punks", sets={"render.poster.layout": "pairs"})

Packages are nouns and the API's verbs are plain functions of `punkforge.api`
(`run`, `render`, `load_recipe`). Imports flow one way, from `cli` and `api`
down through `pipeline`, `gallery`, `rendering`, `training`, `data` and
`recipe` to the shared helpers (docs/architecture.md). The names below are
imported on first use, so `import punkforge` stays fast and never imports
TensorFlow (only training does).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from punkforge.version import __version__

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
    from punkforge.api import (
        RunResult,
        VariantResult,
        VariantsFailed,
        load_recipe,
        render,
        run,
    )
    from punkforge.errors import PunkforgeError, RecipeError, RunError
    from punkforge.recipe.starter import examples

_HOMES = {
    "load_recipe": "punkforge.api",
    "run": "punkforge.api",
    "render": "punkforge.api",
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
    # No subpackage is called `run` or `render`, so importing one never replaces a verb.
    if name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'punkforge' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
