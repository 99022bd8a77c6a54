"""A variant's own page, `<variant>/index.html`: the epoch scrubber.

The page shows the sample grid at one recorded epoch (0..N when the training
store recorded epoch 0) with a slider, arrow keys and play/pause, and one
sample image across every epoch as a strip. Its pictures come from one sprite
sheet, `epochs.png` (`rendering.epoch_sprite`), cut and scaled by whole
numbers in the browser (`templates/scrubber.js`); the view lives in the URL
fragment (`#epoch=3&punk=9005`), so a link opens the same view. The CSS and JS
are inlined like every page's; nothing is fetched from the network.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from punkforge.gallery.templating import href, write_page
from punkforge.recipe.limits import grid_shape
from punkforge.recipe.paper import color_rgb
from punkforge.recipe.sections import Recipe
from punkforge.rendering.compositing import contrast_color
from punkforge.rendering.epoch_sprite import SPRITE
from punkforge.rendering.series import series_name

PAGE = "index.html"  # inside the variant's folder


def sample_labels(ids: Sequence[Any]) -> list[str]:
    """What the page and its fragment call each sample image: '9005' or a file stem."""
    return [series_name(i)[:-4].removeprefix("punk-") for i in ids]


def write_variant_page(
    folder: Path,
    r: Recipe,
    variant: str,
    epochs: Sequence[int],
    ids: Sequence[Any],
    size: tuple[int, int],
) -> Path:
    """folder/index.html: the scrubber over `epochs` for the sample `ids` (h, w = size).

    `epochs` are the rows of folder/epochs.png, in order; `ids` its columns.
    """
    cfg = r.render.gif
    bg = color_rgb(r.render.poster.background)
    hex_bg = "#{:02x}{:02x}{:02x}".format(*bg)
    labels = sample_labels(ids)
    h, w = int(size[0]), int(size[1])
    links = [
        (label, name)
        for label, name in (
            ("poster", "poster.png"),
            ("progress", "progress.gif"),
            ("series", "series/index.html"),
            ("loss", "loss.png"),
            ("recipe", "recipe.toml"),
        )
        if (folder / name).is_file()
    ]
    data = {
        "sprite": SPRITE,
        "epochs": [int(e) for e in epochs],
        "total": r.train.epochs,
        "ids": labels,
        "noun": "image" if r.data.is_folder else "punk",
        "tile": [h, w],
        "cols": grid_shape(len(labels), h / w)[0],  # the progress animation's grid
        "scale": cfg.scale,
        "background": hex_bg,
        "frame_ms": cfg.frame_ms,
        "hold_ms": cfg.hold_ms,
    }
    return write_page(
        folder / PAGE,
        "variant.html.j2",
        title=r.display_title,
        variant=variant,
        data=data,
        background=hex_bg,
        ink="#{:02x}{:02x}{:02x}".format(*contrast_color(bg)),
        links=[{"label": label, "href": href(*name.split("/"))} for label, name in links],
    )
