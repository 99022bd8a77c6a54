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

import math
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from punkforge.errors import PunkforgeError
from punkforge.files import atomic_path
from punkforge.recipe import PosterConfig
from punkforge.recipe.paper import inches_to_px, parse_length, trim_size_in
from punkforge.render.compose import (
    color_rgb,
    contrast_color,
    gap_for,
    pair_gap,
    pair_tiles,
    to_rgb,
    upscale,
)
from punkforge.render.encode import deflate_rows, write_png
from punkforge.render.font import CAP_H, LINE_H, draw_text, fit_text, text_size
from punkforge.render.pdf import write_pdf
from punkforge.render.tiff import write_tiff

PUNK = 24  # CPUNKS' side in source pixels; gutters are given for it and scale with the tile
GUTTER = 4  # source px between 24 px tiles
GUTTER_PAIRS = 6  # wider, so pairs read as pairs (pair_gap inside a pair)
MAX_PIXELS = 400_000_000  # about 1.2 GB of RGB: beyond it, refuse rather than swap
CAPTION_CAP_IN = 0.18  # capital height of the caption, inches (at least ~0.15 to read)
CROP_MARK_PT = 0.25  # crop-mark line weight, points


@dataclass(frozen=True)
class PosterGeometry:
    """Where everything goes on the page; all numbers are pixels unless named otherwise.

    Page (width, height) includes the bleed; the trim starts at (bleed, bleed).
    Tile (tile_width, tile_height) is one punk or pair after scaling by `scale`;
    tiles are `gap` apart, row-major from (grid_x, grid_y), `cols` per row.
    caption_box is (x, y, width, height), or None without a caption.
    """

    dpi: int
    width: int
    height: int
    trim_width: int
    trim_height: int
    bleed: int
    margin: int
    cols: int
    rows: int
    scale: int
    tile_width: int
    tile_height: int
    gap: int
    pair_gap: int
    grid_x: int
    grid_y: int
    grid_width: int
    grid_height: int
    caption_box: tuple[int, int, int, int] | None
    caption_scale: int

    def tile_origin(self, i: int) -> tuple[int, int]:
        """(x, y) of tile i's top-left pixel."""
        r, c = divmod(i, self.cols)
        return (
            self.grid_x + c * (self.tile_width + self.gap),
            self.grid_y + r * (self.tile_height + self.gap),
        )


def _length(cfg: PosterConfig, key: str) -> float:
    text = getattr(cfg, key)
    try:
        return parse_length(text)
    except ValueError as err:
        raise PunkforgeError(f"render.poster.{key} = {text!r}: expected {err}.") from None


def caption_scale(dpi: int) -> int:
    """Font scale giving capitals at least CAPTION_CAP_IN inches tall at `dpi`."""
    return max(1, math.ceil(CAPTION_CAP_IN * dpi / CAP_H))


def _best_grid(n: int, tw: int, th: int, gutter: int, aw: int, ah: int) -> tuple[int, int, int]:
    """(scale, cols, rows) putting n tiles of tw x th source px into aw x ah px, largest first.

    Ties go to fewer empty cells, then to the grid whose shape best matches the area.
    """
    best: tuple[tuple[int, int, float], int, int, int] | None = None
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        if cols > 1 and math.ceil(n / (cols - 1)) == rows:
            continue  # same rows with fewer columns is never worse
        gw, gh = cols * tw + (cols - 1) * gutter, rows * th + (rows - 1) * gutter
        scale = min(aw // gw, ah // gh)
        key = (scale, -(cols * rows - n), -abs(math.log((gw * ah) / (gh * aw))))
        if best is None or key > best[0]:
            best = (key, scale, cols, rows)
    assert best is not None
    return best[1], best[2], best[3]


def poster_geometry(
    n_tiles: int, cfg: PosterConfig, size: tuple[int, int] = (PUNK, PUNK)
) -> PosterGeometry:
    """Lay out `n_tiles` images (or pairs) of `size` (h, w) source px on the page of `cfg`.

    Gutters scale with the shorter side of the image (`compose.gap_for`): 4 px
    (6 between pairs) at 24x24.

    Raises PunkforgeError (exit 2) when the request is impossible: unreadable
    sizes, margins that leave no room, a page over MAX_PIXELS, tiles that do
    not fit even at scale 1, or crop marks without bleed.
    """
    try:
        paper_w, paper_h = trim_size_in(cfg.paper, cfg.orientation)
    except ValueError as err:
        raise PunkforgeError(f"render.poster.paper = {cfg.paper!r}: expected {err}.") from None
    bleed_in, margin_in = _length(cfg, "bleed"), _length(cfg, "margin")
    color_rgb(cfg.background)
    if n_tiles < 1:
        raise PunkforgeError("A poster needs at least one punk.")
    if cfg.crop_marks and bleed_in <= 0:
        raise PunkforgeError(
            "render.poster.crop_marks = true needs a bleed to draw them in, but "
            f"render.poster.bleed = {cfg.bleed!r}. Set a bleed such as '0.125in' or '3mm', "
            "or crop_marks = false."
        )
    dpi = cfg.dpi
    trim_w, trim_h = inches_to_px(paper_w, dpi), inches_to_px(paper_h, dpi)
    bleed, margin = inches_to_px(bleed_in, dpi), inches_to_px(margin_in, dpi)
    width, height = trim_w + 2 * bleed, trim_h + 2 * bleed
    if width * height > MAX_PIXELS:
        raise PunkforgeError(
            f"A {cfg.paper} {cfg.orientation} poster at {dpi} dpi is {width} x {height} px "
            f"({width * height / 1e6:.0f} megapixels), over the {MAX_PIXELS // 1_000_000}-"
            "megapixel limit. Lower render.poster.dpi or choose a smaller paper."
        )
    aw, ah = trim_w - 2 * margin, trim_h - 2 * margin
    cap_scale, band, box = caption_scale(dpi), 0, None
    if cfg.caption:
        need = LINE_H * cap_scale + 4 * cap_scale  # the text with 2 font px above and below
        band = max(0, need - margin)
        ah -= band
        box = (bleed + margin, bleed + trim_h - margin - band, aw, margin + band)
    if aw <= 0 or ah <= 0:
        what = "margins and caption" if cfg.caption else "margins"
        raise PunkforgeError(
            f"render.poster.margin = {cfg.margin!r} leaves no room for punks on a "
            f"{paper_w:.3g} x {paper_h:.3g} in page (the {what} take it all). "
            "Use a smaller margin or a larger paper."
        )
    pairs = cfg.layout == "pairs"
    ph, pw = int(size[0]), int(size[1])
    inner = pair_gap((ph, pw))
    tw = 2 * pw + inner if pairs else pw
    gutter = gap_for((ph, pw), GUTTER_PAIRS if pairs else GUTTER)
    scale, cols, rows = _best_grid(n_tiles, tw, ph, gutter, aw, ah)
    if scale < 1:
        raise PunkforgeError(
            f"{n_tiles} {'pairs' if pairs else 'punks'} do not fit on a {cfg.paper} "
            f"{cfg.orientation} poster at {dpi} dpi with margin {cfg.margin}, even at one "
            "pixel per punk pixel. Raise render.poster.dpi, choose a larger paper, "
            "reduce the margin or data.test_limit."
        )
    tile_w, tile_h, gap = tw * scale, ph * scale, gutter * scale
    grid_w, grid_h = cols * tile_w + (cols - 1) * gap, rows * tile_h + (rows - 1) * gap
    return PosterGeometry(
        dpi=dpi, width=width, height=height, trim_width=trim_w, trim_height=trim_h,
        bleed=bleed, margin=margin, cols=cols, rows=rows, scale=scale,
        tile_width=tile_w, tile_height=tile_h, gap=gap,
        pair_gap=inner * scale if pairs else 0,
        grid_x=bleed + margin + (aw - grid_w) // 2, grid_y=bleed + margin + (ah - grid_h) // 2,
        grid_width=grid_w, grid_height=grid_h, caption_box=box, caption_scale=cap_scale,
    )  # fmt: skip


def check_poster(
    cfg: PosterConfig, n_tiles: int, size: tuple[int, int] = (PUNK, PUNK)
) -> PosterGeometry:
    """Raise PunkforgeError if the poster cannot be made; cheap, so call it before training."""
    return poster_geometry(n_tiles, cfg, size)


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
    devolved: np.ndarray, originals: np.ndarray, cfg: PosterConfig, caption: str
) -> np.ndarray:
    """Render the poster: (N, h, w, C) uint8 twice -> (H, W, 3) uint8, H x W from the geometry.

    `originals` is used by the "pairs" and "original" layouts. The page array
    is allocated once; each tile is upscaled on its own and pasted in.
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
        x, y = g.tile_origin(i)
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


def save_poster(image: np.ndarray, stem: Path, cfg: PosterConfig, title: str = "") -> list[Path]:
    """Write `image` (H, W, 3) uint8 as stem.png / .tiff / .pdf per `cfg.formats`.

    Each file carries cfg.dpi and the sRGB ICC profile, and is lossless: PNG
    (encode.py), TIFF (tiff.py, deflate) and PDF (the PNG stream, pdf.py).
    The PNG stream is deflated in a thread while the TIFF strips deflate in others.
    """
    paths = _formats_paths(stem, cfg.formats)
    pixels = np.ascontiguousarray(image)
    h, w = pixels.shape[:2]
    idat: list[bytes] = []
    worker = None
    if "png" in paths or "pdf" in paths:
        worker = threading.Thread(target=lambda: idat.extend(deflate_rows(pixels)))
        worker.start()
    try:
        if "tiff" in paths:
            with atomic_path(paths["tiff"]) as tmp, open(tmp, "wb") as fh:
                write_tiff(fh, pixels, cfg.dpi)
    finally:
        if worker is not None:
            worker.join()
    if "png" in paths:
        with atomic_path(paths["png"]) as tmp, open(tmp, "wb") as fh:
            write_png(fh, pixels, dpi=cfg.dpi, icc=True, idat=idat)
    if "pdf" in paths:
        bleed = inches_to_px(_length(cfg, "bleed"), cfg.dpi)
        with atomic_path(paths["pdf"]) as tmp, open(tmp, "wb") as fh:
            write_pdf(fh, w, h, cfg.dpi, idat, bleed=bleed, title=title)
    return list(paths.values())
