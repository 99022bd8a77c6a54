"""Stage 4, the gallery: HTML pages over finished variants, and the poster thumbnail.

`pages` gathers what each page shows, `templates/` (Jinja2, CSS, JS; package
data) says how it looks, `jinja` configures the one environment. Pages are
self-contained (inlined CSS, SVG and a little JavaScript, relative links only).
Never imports TensorFlow.
"""

from punkforge.gallery.charts import nice_ticks
from punkforge.gallery.figures import EXTRA_ART, Figure, extra_figures
from punkforge.gallery.fmt import fmt_loss, fmt_seconds
from punkforge.gallery.pages import (
    SERIES_PAGE,
    SHEET_UNIT,
    root_title,
    write_recipe_index,
    write_root_index,
    write_series_page,
)
from punkforge.gallery.thumbs import THUMB, thumb_factor, write_poster_thumb

__all__ = [
    "EXTRA_ART",
    "SERIES_PAGE",
    "SHEET_UNIT",
    "THUMB",
    "Figure",
    "extra_figures",
    "fmt_loss",
    "fmt_seconds",
    "nice_ticks",
    "root_title",
    "thumb_factor",
    "write_poster_thumb",
    "write_recipe_index",
    "write_root_index",
    "write_series_page",
]
