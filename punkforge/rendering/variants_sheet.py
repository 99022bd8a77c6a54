"""The comparison sheet: the sample originals, then the same punks per variant.

Rows of at most SHEET_COLS punks; a longer sample wraps into bands, each band
showing the same punks for "original" and every variant, one labelled row
each, so a punk can be compared straight down its column.
"""

from __future__ import annotations

import math

import numpy as np

from punkforge.recipe.limits import CAP_H
from punkforge.rendering.compositing import color_rgb, contrast_color, to_rgb, upscale
from punkforge.rendering.pixel_font import draw_text, text_size

SHEET_COLS = 16
SHEET_SCALE = 4  # 24 px punks -> 96 px
SHEET_CELL = 96  # other sizes: the largest whole scale keeping the longer side near this
GUTTER = 8  # px between punks (after scaling)
LABEL_SCALE = 3
LABEL_MAX_CHARS = 28


def _short(name: str) -> str:
    return name if len(name) <= LABEL_MAX_CHARS else name[: LABEL_MAX_CHARS - 1] + "\u2026"


def sheet_scale(size: tuple[int, int]) -> int:
    """Whole-number scale of the sheet for images of `size` (h, w): 4 for 24x24, at least 1."""
    return max(1, SHEET_CELL // max(int(size[0]), int(size[1])))


def make_variants_sheet(
    originals: np.ndarray,
    rows: list[tuple[str, np.ndarray]],
    background: str,
) -> np.ndarray:
    """Originals (S, h, w, C) uint8 and (label, (S, h, w, C) uint8) per variant
    -> (H, W, 3) uint8 sheet, the first row labelled "original"; images scaled by
    `sheet_scale`.
    """
    bg = color_rgb(background)
    ink = contrast_color(bg)
    labelled = [("original", originals), *rows]
    n = len(originals)
    for name, punks in rows:
        if len(punks) != n:
            raise ValueError(f"variant {name!r} has {len(punks)} punks, the originals {n}")
    cols = min(SHEET_COLS, n)
    bands = math.ceil(n / cols)
    scale = sheet_scale(originals.shape[1:3])
    cell_h, cell = originals.shape[1] * scale, originals.shape[2] * scale
    labels = [_short(name) for name, _ in labelled]
    label_w = max(text_size(label, LABEL_SCALE)[0] for label in labels)
    pad = 2 * GUTTER
    x0 = pad + label_w + 2 * GUTTER
    row_h = cell_h + GUTTER
    band_gap = 3 * GUTTER
    width = x0 + cols * cell + (cols - 1) * GUTTER + pad
    height = 2 * pad + bands * len(labelled) * row_h - GUTTER + (bands - 1) * band_gap
    sheet = np.empty((height, width, 3), np.uint8)
    sheet[...] = bg
    rgb = [(label, to_rgb(p, bg)) for label, (_, p) in zip(labels, labelled, strict=True)]
    y = pad
    for band in range(bands):
        for label, punks in rgb:
            draw_text(sheet, label, pad, y + (cell_h - CAP_H * LABEL_SCALE) // 2, LABEL_SCALE, ink)
            for c, k in enumerate(range(band * cols, min(n, (band + 1) * cols))):
                x = x0 + c * (cell + GUTTER)
                sheet[y : y + cell_h, x : x + cell] = upscale(punks[k], scale)
            y += row_h
        y += band_gap
    return sheet
