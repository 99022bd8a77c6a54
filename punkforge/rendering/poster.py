"""The print-ready poster: page geometry, the tiled image and its files.

Pixel sizes: the trim (paper after orientation) and the bleed are each
rounded half-up to whole pixels with `paper.inches_to_px`, and the page is
trim + 2 * bleed, so the trim lines fall exactly on pixel edges (18x24in at
300 dpi is 5400 x 7200 px; A4 portrait is 2480 x 3508). Punks are scaled by
the largest whole number that fits every tile inside the trim less the
margins (and less a caption band when the bottom margin cannot hold the
caption); the grid is centred in that area.
"""

from __future__ import annotations

import contextvars
import threading
from pathlib import Path

import numpy as np

from punkforge.files import atomic_path
from punkforge.recipe.limits import CAP_H, PosterGeometry, pair_gap, poster_geometry, poster_length
from punkforge.recipe.paper import inches_to_px
from punkforge.recipe.sections import PosterConfig
from punkforge.rendering.compositing import color_rgb, contrast_color, pair_tiles, to_rgb, upscale
from punkforge.rendering.pdf_writer import write_pdf
from punkforge.rendering.pixel_font import draw_text, fit_text, text_size
from punkforge.rendering.png_codec import deflate_rows, write_png
from punkforge.rendering.provenance import ImageProvenance
from punkforge.rendering.tiff_writer import write_tiff

CROP_MARK_PT = 0.25  # crop-mark line weight, points


def poster_caption(title: str, variant: str, epochs: int) -> str:
    """The caption line, e.g. 'Devolved Punks — base — 10 epochs'."""
    return f"{title} \u2014 {variant} \u2014 {epochs} epoch{'s' if epochs != 1 else ''}"


def _crop_marks(page: np.ndarray, g: PosterGeometry, color: tuple[int, int, int]) -> None:
    """Thin lines continuing the trim edges into the bleed, stopping short of the trim.

    `color` is black, or white on a dark background where black would vanish.
    """
    t = max(1, round(CROP_MARK_PT / 72 * g.dpi))
    off = max(1, g.bleed // 4)  # keep a little clear of the trim corner
    length = g.bleed - off
    if length <= 0:
        return
    left, top = g.bleed, g.bleed
    right, bottom = g.bleed + g.trim_width, g.bleed + g.trim_height
    for ex in (left, right):  # vertical marks, above and below the trim
        x0 = ex - t // 2 if ex == left else ex - (t + 1) // 2
        page[0:length, x0 : x0 + t] = color
        page[g.height - length :, x0 : x0 + t] = color
    for ey in (top, bottom):  # horizontal marks, left and right of the trim
        y0 = ey - t // 2 if ey == top else ey - (t + 1) // 2
        page[y0 : y0 + t, 0:length] = color
        page[y0 : y0 + t, g.width - length :] = color


def make_poster(
    devolved: np.ndarray,
    originals: np.ndarray,
    cfg: PosterConfig,
    caption: str,
    cells: np.ndarray | None = None,
) -> np.ndarray:
    """Render the poster: (N, h, w, C) uint8 twice -> (H, W, 3) uint8, H x W from the geometry.

    `originals` is used by the "pairs" and "original" layouts. The page array
    is allocated once; each tile is upscaled on its own and pasted in. Tile i
    goes to grid cell i (row-major), or to cells[i] when given (the latent map).
    """
    punks = originals if cfg.layout == "original" else devolved
    size = punks.shape[1:3]
    g = poster_geometry(len(punks), cfg, size)
    bg = color_rgb(cfg.background)
    ink = contrast_color(bg)
    tiles = to_rgb(punks, bg)
    if cfg.layout == "pairs":
        tiles = pair_tiles(to_rgb(originals, bg), tiles, pair_gap(size), bg)
    page = np.empty((g.height, g.width, 3), np.uint8)
    # one background row, then whole-row copies: much faster than broadcasting 3 bytes
    page[0] = bg
    page[1:] = page[0]
    for i in range(len(tiles)):
        x, y = g.tile_origin(i if cells is None else int(cells[i]))
        page[y : y + g.tile_height, x : x + g.tile_width] = upscale(tiles[i], g.scale)
    if cfg.crop_marks and g.bleed > 0:
        _crop_marks(page, g, ink)
    if g.caption_box is not None and caption:
        bx, by, bw, bh = g.caption_box
        scale = g.caption_scale
        while scale > 1 and text_size(caption, scale)[0] > bw:
            scale -= 1  # a long title gets smaller letters before it gets cut
        text = fit_text(caption, bw, scale)
        tw, _ = text_size(text, scale)
        # centre the capitals (not the descenders) in the band
        draw_text(page, text, bx + (bw - tw) // 2, by + (bh - CAP_H * scale) // 2, scale, ink)
    return page


def _formats_paths(stem: Path, formats: tuple[str, ...] | list[str]) -> dict[str, Path]:
    return {fmt: stem.parent / f"{stem.name}.{fmt}" for fmt in dict.fromkeys(formats)}


def save_poster(
    image: np.ndarray,
    stem: Path,
    cfg: PosterConfig,
    title: str = "",
    provenance: ImageProvenance | None = None,
) -> list[Path]:
    """Write `image` (H, W, 3) uint8 as stem.png / .tiff / .pdf per `cfg.formats`.

    Each file carries cfg.dpi, the sRGB ICC profile and `provenance` (the recipe
    that made it, in each format's metadata), and is lossless: PNG
    (encode.py), TIFF (tiff.py, deflate) and PDF (the PNG stream, pdf.py).
    The PNG stream is deflated in a thread while the TIFF strips deflate in others.
    """
    paths = _formats_paths(stem, cfg.formats)
    pixels = np.ascontiguousarray(image)
    h, w = pixels.shape[:2]
    idat: list[bytes] = []
    worker = None
    if "png" in paths or "pdf" in paths:
        # a copy of this context, as for every punkforge thread: a write from it stays guarded
        ctx = contextvars.copy_context()
        worker = threading.Thread(target=ctx.run, args=(lambda: idat.extend(deflate_rows(pixels)),))
        worker.start()
    try:
        if "tiff" in paths:
            with atomic_path(paths["tiff"]) as tmp, open(tmp, "wb") as fh:
                write_tiff(fh, pixels, cfg.dpi, provenance=provenance)
    finally:
        if worker is not None:
            worker.join()
    if "png" in paths:
        with atomic_path(paths["png"]) as tmp, open(tmp, "wb") as fh:
            write_png(fh, pixels, dpi=cfg.dpi, icc=True, idat=idat, provenance=provenance)
    if "pdf" in paths:
        bleed = inches_to_px(poster_length(cfg, "bleed"), cfg.dpi)
        with atomic_path(paths["pdf"]) as tmp, open(tmp, "wb") as fh:
            write_pdf(fh, w, h, cfg.dpi, idat, bleed=bleed, title=title, provenance=provenance)
    return list(paths.values())
