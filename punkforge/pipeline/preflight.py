"""Pre-flight: what this install must have for a recipe, checked before anything is written.

Recipe validation (`punkforge.recipe`) judges a recipe on its own and never
asks what is installed, so a recipe stays valid on every machine. What a
run or a render needs from this machine is checked here instead, before the
run lock is taken or a file is written: today, FFmpeg (the imageio-ffmpeg
package) for `render.gif.formats = ["mp4"]`. `punkforge run`, `render` and
`validate` and the API's `run` and `render` all reach it through `punkforge.api`.
"""

from __future__ import annotations

from collections.abc import Iterable

from punkforge.errors import RecipeError
from punkforge.recipe.sections import Variant
from punkforge.rendering.animation import can_write_mp4


def preflight(variants: Iterable[Variant]) -> None:
    """Raise RecipeError (exit 2) when this install cannot make what a variant asks for.

    The message names the recipe file, the variants, the key and the fix.
    """
    wants_mp4: dict[str, list[str]] = {}  # recipe file -> the variants asking for mp4
    for v in variants:
        if "mp4" in v.recipe.render.gif.formats:
            wants_mp4.setdefault(v.source, []).append(v.name)
    if not wants_mp4 or can_write_mp4():
        return
    source, names = next(iter(wants_mp4.items()))
    which = ", ".join(f"'{n}'" for n in names)
    raise RecipeError(
        f'{source}: render.gif.formats asks for "mp4" (variant{"s" if len(names) > 1 else ""} '
        f"{which}), which needs FFmpeg, and the imageio-ffmpeg package is not installed. "
        "Fix: pip install imageio-ffmpeg (or pip install 'punkforge[video]'), or drop "
        '"mp4" from render.gif.formats.'
    )
