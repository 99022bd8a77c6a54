"""The latent space, drawn: the map poster and four-punk grids (numpy, Pillow, SciPy).

The devolve step (`punkforge.training.latent`) stores in art.npz each test
punk's 2-D point (``map_xy``) and, for ``[art] grid``, the decoded N x N
mix (``grid``, ``grid_ids``). This module turns them into pictures without
TensorFlow, so `punkforge render` redraws them:

- map.png (and .tiff, .pdf per render.poster.formats): the poster machinery
  (`punkforge.rendering.poster`: paper, dpi, bleed, margins, caption, ICC)
  with the test punks placed by their latent codes. The points, normalized
  to the unit square, are snapped to the poster's full cols x rows grid by
  an optimal assignment (`assign_cells`): the sum of squared distances
  between points and the centres of their cells is the smallest possible,
  every punk gets exactly one cell, and the cells left over stay
  background. Same arrays, same paper: same map.
- grid-<a>-<b>-<c>-<d>.png: the decoded mix at a whole-number scale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from punkforge.errors import RunError
from punkforge.recipe.art_section import map_options
from punkforge.recipe.limits import gap_for, grid_scale, poster_geometry
from punkforge.recipe.sections import PosterConfig, Recipe, Variant
from punkforge.rendering.art_images import load_art, paletted
from punkforge.rendering.compositing import color_rgb, to_rgb, upscale
from punkforge.rendering.palette import image_colors, snap
from punkforge.rendering.png_codec import save_png
from punkforge.rendering.poster import make_poster, poster_caption, save_poster
from punkforge.rendering.provenance import ImageProvenance

GRID_GAP = 1  # source px between the grid's cells at 24x24 (it scales with the tile)


# ---------------------------------------------------------------- the assignment


def normalized(xy: np.ndarray) -> np.ndarray:
    """Points (N, 2) -> each axis stretched to [0, 1] (an axis that does not vary: 0.5)."""
    xy = np.asarray(xy, np.float64)
    lo, span = xy.min(axis=0), np.ptp(xy, axis=0)
    safe = np.where(span > 0, span, 1.0)
    return np.where(span > 0, (xy - lo) / safe, 0.5)


def cell_centres(cols: int, rows: int) -> np.ndarray:
    """(cols * rows, 2) centres (x, y) of a grid's cells in the unit square, row-major."""
    r, c = np.divmod(np.arange(cols * rows), cols)
    return np.stack([(c + 0.5) / cols, (r + 0.5) / rows], axis=1)


def assign_cells(xy: np.ndarray, cols: int, rows: int) -> np.ndarray:
    """Points (N, 2) -> (N,) int, each point's cell (row-major) in a cols x rows grid.

    An optimal assignment (scipy.optimize.linear_sum_assignment, exact): no
    two points share a cell, and the total squared distance between the
    normalized points and their cells' centres is the least possible.
    Needs N <= cols * rows. Deterministic: the same points give the same cells.
    """
    n = len(xy)
    if n > cols * rows:
        raise ValueError(f"{n} points do not fit in {cols} x {rows} cells")
    if n == 0:
        return np.zeros(0, np.int64)
    # SciPy is imported here: only drawing a map needs it, and it takes a while to load
    from scipy.optimize import linear_sum_assignment

    diff = normalized(xy)[:, None, :] - cell_centres(cols, rows)[None, :, :]
    rows_i, cells = linear_sum_assignment(np.einsum("ncd,ncd->nc", diff, diff))
    out = np.empty(n, np.int64)
    out[rows_i] = cells
    return out


# ---------------------------------------------------------------- the map poster


def map_config(cfg: PosterConfig, tiles: str) -> PosterConfig:
    """The poster's settings for a map of single `tiles` ("devolved" or "original").

    The map is always a PNG too (what the gallery card shows), with a TIFF
    and a PDF when render.poster.formats asks for them.
    """
    formats = ("png", *(f for f in cfg.formats if f != "png"))
    return cfg.model_copy(update={"layout": tiles, "formats": formats})


def make_map_poster(
    devolved: np.ndarray, originals: np.ndarray, xy: np.ndarray, cfg: PosterConfig, caption: str
) -> np.ndarray:
    """The map poster (H, W, 3) uint8: cfg.layout's tiles placed by `assign_cells`."""
    g = poster_geometry(len(devolved), cfg, devolved.shape[1:3])
    cells = assign_cells(xy, g.cols, g.rows)
    return make_poster(devolved, originals, cfg, caption, cells=cells)


def map_caption(r: Recipe, variant: str) -> str:
    """'Devolved Punks — latent map — base — 10 epochs'."""
    return poster_caption(f"{r.display_title} \u2014 latent map", variant, r.train.epochs)


# ---------------------------------------------------------------- the grid


def make_grid_image(images: np.ndarray, n: int, background: str, scale: int) -> np.ndarray:
    """(n*n, H, W, C) uint8 row-major -> (height, width, 3) uint8: the n x n grid.

    Cells are `scale` px per image pixel, a thin gutter apart, with a
    gutter-wide border of background all round.
    """
    bg = color_rgb(background)
    tiles = to_rgb(images, bg)
    h, w = tiles.shape[1:3]
    gap = gap_for((h, w), GRID_GAP) * scale
    ch, cw = h * scale, w * scale
    sheet = np.empty((n * ch + (n + 1) * gap, n * cw + (n + 1) * gap, 3), np.uint8)
    sheet[...] = bg
    for i, tile in enumerate(tiles):
        r, c = divmod(i, n)
        y, x = gap + r * (ch + gap), gap + c * (cw + gap)
        sheet[y : y + ch, x : x + cw] = upscale(tile, scale)
    return sheet


def _grid_palette(r: Recipe, frames: np.ndarray, corners: np.ndarray, source: Any) -> np.ndarray:
    """render.palette on the grid: "own" is the four corner punks' colours together."""
    dither = r.render.dither
    if r.render.palette == "own":
        inks = np.unique(np.concatenate([image_colors(p) for p in corners]), axis=0)
        return snap(frames, inks, dither)
    return paletted(r.render.palette, frames, corners[:0], source, dither)


# ---------------------------------------------------------------- the files


def draw_latent_art(
    v: Variant, folder: Path, dev: dict[str, Any], provenance: ImageProvenance | None = None
) -> None:
    """map.<fmt> and grid-<a>-<b>-<c>-<d>.png from art.npz, when the recipe asks.

    `dev` is devolved.npz as the poster shows it (render.palette and render.dither
    applied); `provenance` goes into every file, as into the poster.
    """
    r = v.recipe
    opts = map_options(r.art)
    if opts is None and not r.art.grid:
        return
    art = load_art(folder)
    if art is None or "map_xy" not in art or "grid" not in art:
        raise RunError(
            f"{folder}: the recipe's [art] map or grid needs an art.npz made for it, which "
            "the devolve step makes and this folder lacks; `render` never devolves. Run "
            "`punkforge run` on the recipe instead (it re-devolves from the saved weights, "
            "without training)."
        )
    devolved, originals = dev["devolved"], dev["originals"]
    if opts is not None:
        cfg = map_config(r.render.poster, opts.tiles)
        caption = map_caption(r, v.name)
        page = make_map_poster(devolved, originals, art["map_xy"], cfg, caption)
        save_poster(page, folder / "map", cfg, title=caption, provenance=provenance)
    if r.art.grid:
        ids = [str(i) for i in dev["ids"]]
        corners = originals[[ids.index(str(x)) for x in art["grid_ids"]]]
        source = art.get("source_colors")
        frames = _grid_palette(r, art["grid"], corners, source)
        scale = grid_scale(r.art.grid_size, frames.shape[1:3])
        sheet = make_grid_image(frames, r.art.grid_size, r.render.poster.background, scale)
        name = f"grid-{'-'.join(str(x) for x in art['grid_ids'])}.png"
        save_png(sheet, folder / name, provenance=provenance)
