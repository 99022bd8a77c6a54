"""poster-thumb.png: the poster shrunk for the gallery, keeping punk pixels whole."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from punkforge.rendering.provenance import ImageProvenance

THUMB = "poster-thumb.png"  # beside poster.png
THUMB_MIN, THUMB_MAX, THUMB_BOX = 600, 1600, 900  # thumbnail widths, px


def thumb_factor(width: int, scale: int) -> tuple[int, bool]:
    """(shrink factor, aligned) for a poster `width` px wide with punks scaled by `scale`.

    Aligned: the factor divides the tile scale, so (cropped to the tile grid's
    phase) every punk pixel becomes whole thumbnail pixels: the thumbnail is
    as crisp as the poster. The largest such factor that keeps the thumbnail
    at least THUMB_MIN wide wins; when even that leaves it wider than
    THUMB_MAX (tiny punks on a huge page), a plain box filter to THUMB_BOX.
    """
    f = next((d for d in range(scale, 0, -1) if scale % d == 0 and width // d >= THUMB_MIN), 1)
    if width // f > THUMB_MAX:
        return max(1, math.ceil(width / THUMB_BOX)), False
    return f, True


def write_poster_thumb(
    poster: Any,
    grid_xy: tuple[int, int],
    scale: int,
    path: Path,
    provenance: ImageProvenance | None = None,
) -> Path:
    """poster-thumb.png: the (H, W, 3) uint8 poster shrunk by a box filter (see thumb_factor).

    It carries the poster's `provenance` too, so a saved thumbnail still names its recipe.
    """
    import numpy as np
    from PIL import Image

    from punkforge.rendering.png_codec import save_png

    h, w = poster.shape[:2]
    f, aligned = thumb_factor(w, scale)
    x0, y0 = (grid_xy[0] % f, grid_xy[1] % f) if aligned else (0, 0)
    w2, h2 = (w - x0) // f * f, (h - y0) // f * f
    img = Image.fromarray(np.ascontiguousarray(poster[y0 : y0 + h2, x0 : x0 + w2]))
    if f > 1:
        img = img.reduce(f)
    return save_png(np.asarray(img), path, provenance=provenance)
