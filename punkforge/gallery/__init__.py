"""Stage 4, the gallery: HTML pages over finished variants, and the poster thumbnail.

Pages are self-contained (inline CSS, SVG and a little JavaScript, relative
links only). Never imports TensorFlow.
"""

from punkforge.gallery.pages import (
    SERIES_PAGE,
    SHEET_UNIT,
    THUMB,
    fmt_loss,
    fmt_seconds,
    nice_ticks,
    thumb_factor,
    write_poster_thumb,
    write_recipe_index,
    write_root_index,
    write_series_page,
)

__all__ = [
    "SERIES_PAGE",
    "SHEET_UNIT",
    "THUMB",
    "fmt_loss",
    "fmt_seconds",
    "nice_ticks",
    "thumb_factor",
    "write_poster_thumb",
    "write_recipe_index",
    "write_root_index",
    "write_series_page",
]
