"""Rendering at sizes other than 24x24 (own-image folders): poster, series, GIF, sheet.

Synthetic RGBA sprites (conftest.sprite); nothing here trains or imports TensorFlow.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import sprite
from PIL import Image

from punkforge.recipe.limits import grid_shape, pair_gap, poster_geometry
from punkforge.recipe.sections import GifConfig, PosterConfig, SeriesConfig
from punkforge.rendering.animation import make_gif_frames
from punkforge.rendering.compositing import to_rgb
from punkforge.rendering.poster import make_poster
from punkforge.rendering.series import make_series_image, save_series, series_name
from punkforge.rendering.variants_sheet import make_variants_sheet, sheet_scale


@pytest.mark.parametrize("size", [(13, 17), (8, 8), (256, 40)])
def test_poster_series_gif_sheet_at_other_sizes(tmp_path: Path, size: tuple[int, int]) -> None:
    h, w = size
    dev = np.stack([sprite(h, w, i) for i in range(7)])
    orig = dev[::-1].copy()
    for layout in ("devolved", "pairs"):
        pc = PosterConfig(paper="A5", dpi=150, layout=layout, caption=True)
        g = poster_geometry(7, pc, size)
        page = make_poster(dev, orig, pc, "caption")
        assert page.shape == (g.height, g.width, 3)
        tw = (2 * w + pair_gap(size) if layout == "pairs" else w) * g.scale
        assert (g.tile_width, g.tile_height) == (tw, h * g.scale)
        x, y = g.tile_origin(6)
        assert x + g.tile_width <= g.width - g.margin and y + g.tile_height <= g.height
        if layout == "devolved":  # tile 0 is devolved[0], scaled exactly
            x0, y0 = g.tile_origin(0)
            tile = page[y0 : y0 + g.tile_height : g.scale, x0 : x0 + g.tile_width : g.scale]
            assert np.array_equal(tile, to_rgb(dev[0], (255, 255, 255)))
    img = make_series_image(dev[0], orig[0], SeriesConfig(scale=3, layout="pairs"), "#000")
    assert img.shape == (3 * h, 3 * (2 * w + pair_gap(size)), 3)
    ids = np.array([f"s{i}" for i in range(7)])
    paths = save_series(dev, None, ids, tmp_path / "series", SeriesConfig(scale=2), "#000")
    assert paths[0].name == "s0.png" and Image.open(paths[0]).size == (2 * w, 2 * h)
    frames = make_gif_frames(dev[None], [1], 1, GifConfig(scale=1), "#000")
    assert frames[0].shape[1] >= w and frames[0].ndim == 3
    sheet = make_variants_sheet(orig[:3], [("v", dev[:3])], "#fff")
    s = sheet_scale(size)
    assert sheet.shape[0] >= 2 * h * s and sheet.shape[1] >= 3 * w * s


def test_gif_grid_keeps_tall_tiles_near_square() -> None:
    assert grid_shape(64) == (8, 8)
    cols, rows = grid_shape(48, 28 / 20)
    assert cols > rows and abs(cols * 20 / (rows * 28) - 1) < 0.4
    assert grid_shape(10, 40 / 256)[0] <= 2  # wide tiles: few columns


def test_series_names() -> None:
    assert series_name(9000) == "punk-9000.png"
    assert series_name(np.int64(9001)) == "punk-9001.png"
    assert series_name(np.array(["cat"])[0]) == "cat.png"
