"""The PNG series: one nearest-neighbour upscaled PNG per devolved test punk.

1000 files are written per variant, so each is made the cheap way: punks
have few colours, so a punk is stored as a palette PNG (one byte per pixel)
whenever it has at most 256 colours, upscaled as palette indices.
"""

from __future__ import annotations

import contextvars
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from punkforge.files import atomic_path
from punkforge.recipe.limits import pair_gap
from punkforge.recipe.sections import SeriesConfig
from punkforge.rendering.compositing import RGB, color_rgb, pair_tiles, to_rgb, upscale
from punkforge.rendering.png_codec import palettize, write_png
from punkforge.rendering.provenance import ImageProvenance

WORKERS = 8


def _source_tiles(
    devolved: np.ndarray, originals: np.ndarray | None, layout: str, bg: RGB
) -> np.ndarray:
    """(N, h, w, C) -> (N, h, w or 2w + gap, 3) uint8 at 1 px per punk pixel."""
    tiles = to_rgb(devolved, bg)
    if layout == "pairs":
        if originals is None:
            raise ValueError("the pairs layout needs the originals")
        tiles = pair_tiles(to_rgb(originals, bg), tiles, pair_gap(devolved.shape[1:3]), bg)
    return tiles


def make_series_image(
    devolved_one: np.ndarray,
    original_one: np.ndarray | None,
    cfg: SeriesConfig,
    background: str,
) -> np.ndarray:
    """One series image: (h, w, C) uint8 -> (h*s, w*s, 3) uint8, s = cfg.scale.

    Layout "pairs" puts the original left of the devolved punk, `pair_gap`
    punk pixels apart (2 for 24x24): (h*s, (2w + gap)*s, 3).
    """
    originals = None if original_one is None else original_one[None]
    tile = _source_tiles(devolved_one[None], originals, cfg.layout, color_rgb(background))[0]
    return upscale(tile, cfg.scale)


def series_name(punk_id: int | str) -> str:
    """File name of one image: 'punk-9000.png' for a punk id, '<stem>.png' for a file stem."""
    if isinstance(punk_id, (str, np.str_)):
        return f"{punk_id}.png"
    return f"punk-{int(punk_id)}.png"


def save_series(
    devolved: np.ndarray,
    originals: np.ndarray | None,
    ids: np.ndarray,
    folder: Path,
    cfg: SeriesConfig,
    background: str,
    provenance: ImageProvenance | None = None,
) -> list[Path]:
    """Write folder/<series_name(id)> for every punk: (N, h, w, C) uint8, ids (N,) int or str.

    Returns the paths in input order. Pixels equal `make_series_image`; every
    file carries `provenance` (its chunks are made once, not per file).
    """
    if len(ids) != len(devolved):
        raise ValueError(f"{len(ids)} ids for {len(devolved)} punks")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tiles = _source_tiles(devolved, originals, cfg.layout, color_rgb(background))

    def write_one(i: int) -> Path:
        path = folder / series_name(ids[i])
        indexed = palettize(tiles[i])
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            if indexed is None:
                write_png(
                    fh, upscale(tiles[i], cfg.scale), strategy=zlib.Z_RLE, provenance=provenance
                )
            else:
                index, palette = indexed
                write_png(
                    fh, upscale(index, cfg.scale), palette=palette, strategy=zlib.Z_RLE,
                    provenance=provenance,
                )  # fmt: skip
        return path

    # Each atomic write waits on fsync; threads let those waits (and zlib,
    # which releases the GIL) overlap, about 6x faster than one at a time.
    # Each task runs in a copy of this context, so it writes under the same
    # output tree guard (`punkforge.tree_guard`) as this thread.
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        jobs = [pool.submit(contextvars.copy_context().run, write_one, i) for i in range(len(ids))]
        return [job.result() for job in jobs]
