"""The live page: `outputs/<name>/index.html` while `punkforge run` works.

The pipeline (`pipeline/live_gallery.py`) keeps a `LiveRun` up to date from
the progress hooks and calls `write_live_page` when something changed; this
module turns it into one self-contained HTML file. While the run lives the
page reloads itself every `REFRESH_S` seconds with `<meta http-equiv="refresh">`
(a page opened from `file://` may not fetch anything, but it may reload
itself) and keeps its scroll position in `sessionStorage`. It says when it was
written; a page older than `STALE_S` says that the run may have stopped (a run
killed with `kill -9` cannot say so itself). When the run ends, the final
gallery (`pages.write_recipe_index`) replaces it; a run that ends with nothing
finished, or is interrupted, leaves this page saying so, without the reload.

Each training variant shows its latest sample grid, drawn small by the
rendering package's grid code and embedded as a PNG `data:` URI, so the page
adds no file to the output folder.
"""

from __future__ import annotations

import base64
import io
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from punkforge.gallery import figures
from punkforge.gallery.charts import PALETTE, Run, make_chart
from punkforge.gallery.templating import href, write_page
from punkforge.gallery.thumbnails import THUMB
from punkforge.recipe.limits import grid_shape
from punkforge.rendering.compositing import color_rgb, tile_grid, to_rgb
from punkforge.rendering.png_codec import write_png

REFRESH_S = 4  # the live page reloads itself this often
STALE_S = 90  # older than this while "running": the run may have stopped
GRID_PUNKS = 16  # the sample grid shows at most this many images
GRID_GAP = 2  # image px between images and around the grid
GRID_SHOWN = 2  # screen px per image px (CSS, pixelated: the PNG stays tiny)

STATES = ("queued", "training", "rendering", "done", "failed")


@dataclass
class LiveVariant:
    """What the live page shows of one variant."""

    name: str
    epochs: int  # the variant's train.epochs
    state: str = "queued"  # one of STATES
    epoch: int = 0  # the last finished epoch
    batch: tuple[int, int] | None = None  # (batch, batches) of the epoch in progress
    seconds: list[float] = field(default_factory=list)  # per finished epoch, this run
    history: list[dict[str, float]] = field(default_factory=list)
    grid: dict[str, Any] | None = None  # the latest sample grid (`sample_grid`)
    message: str = ""  # why it failed


@dataclass
class LiveRun:
    """The whole live page: the recipe, its variants and whether the run still works."""

    name: str
    title: str
    source: str
    variants: list[LiveVariant]
    status: str = "running"  # "running" | "finished" | "interrupted"
    started: float = field(default_factory=time.time)


def sample_grid(snapshot: np.ndarray, background: str, epoch: int) -> dict[str, Any]:
    """The sample grid of one epoch, small: an <img>'s attributes with a PNG `data:` URI.

    snapshot: (S, h, w, C) uint8 as a worker sends it; at most GRID_PUNKS
    images, one image px per px (the page scales it up, pixelated).
    """
    punks = snapshot[:GRID_PUNKS]
    bg = color_rgb(background)
    cols, _ = grid_shape(len(punks), punks.shape[1] / punks.shape[2])
    grid = tile_grid(to_rgb(punks, bg), cols, 1, GRID_GAP, GRID_GAP, bg)
    buf = io.BytesIO()
    write_png(buf, np.ascontiguousarray(grid))
    h, w = grid.shape[:2]
    return {
        "src": "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii"),
        "width": w * GRID_SHOWN,
        "height": h * GRID_SHOWN,
        "epoch": epoch,
    }


def _within(v: LiveVariant) -> float:
    """How far into the epoch in progress (0..1)."""
    return v.batch[0] / v.batch[1] if v.batch and v.batch[1] else 0.0


def eta(v: LiveVariant) -> float | None:
    """Seconds until the variant's last epoch, from this run's epochs so far (None: unknown)."""
    if v.state != "training" or not v.seconds or v.epoch >= v.epochs:
        return None
    per_epoch = sum(v.seconds[-5:]) / len(v.seconds[-5:])  # recent epochs: the pool may speed up
    left = max(0, v.epochs - v.epoch) - _within(v)
    return max(0.0, left * per_epoch)


def _variant(v: LiveVariant, i: int, out: Path) -> dict[str, Any]:
    colour = PALETTE[i % len(PALETTE)]
    folder = out / v.name
    thumb = folder / THUMB
    poster = None
    if v.state == "done" and thumb.is_file():  # a finished variant shows its poster
        poster = figures.picture(out, thumb, f"poster of {v.name}")
        big = folder / "poster.png"
        poster["href"] = href(v.name, big.name) if big.is_file() else poster["src"]
    return {
        "name": v.name,
        "state": v.state,
        "epoch": v.epoch,
        "epochs": v.epochs,
        "percent": 100 * min(1.0, (v.epoch + _within(v)) / max(1, v.epochs)),
        "batch": v.batch,
        "eta": eta(v),
        "waiting": v.state == "training" and v.epoch >= v.epochs,
        "grid": v.grid,
        "poster": poster,
        "message": v.message,
        "history": v.history,
        "curve": make_chart([Run(v.name, colour, v.history)], 300, 200, dashed_loss=True),
        "colour": colour,
    }


def write_live_page(out: Path, run: LiveRun, now: float | None = None) -> Path:
    """Write `out/index.html` for `run` as it stands (atomically, through files)."""
    now = time.time() if now is None else now
    counts = {s: sum(v.state == s for v in run.variants) for s in STATES}
    return write_page(
        out / "index.html",
        "live.html.j2",
        title=run.title,
        name=run.name,
        source=run.source,
        status=run.status,
        live=run.status == "running",
        refresh=REFRESH_S,
        stale=STALE_S,
        updated=time.strftime("%H:%M:%S", time.localtime(now)),
        updated_ms=int(now * 1000),
        elapsed=now - run.started,
        counts=[(s, n) for s, n in counts.items() if n],
        variants=[_variant(v, i, out) for i, v in enumerate(run.variants)],
    )
