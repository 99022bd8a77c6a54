"""The loss curve: loss and val_loss per epoch, drawn with Pillow (no matplotlib).

A plain line chart with axes, numbered ticks, light grid lines and a legend;
the two series differ in colour and in marker (circle vs square), so they
stay apart in greyscale print too.

Kept rather than matplotlib, which is not a dependency: `bench/render_speed.py
--parts --mpl-python PY` draws a similar chart with matplotlib in a fresh
process, 5.8 s to import plus 0.9 s to plot on a busy 2-core machine, against
0.006-0.06 s here; and the chart keeps the pixel font of the posters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from punkforge.recipe.limits import CAP_H
from punkforge.rendering.pixel_font import draw_text, text_mask, text_size

WIDTH, HEIGHT = 1200, 800
LEFT, RIGHT, TOP, BOTTOM = 130, 40, 80, 100
TEXT = 2  # font scale of ticks, legend and axis names
TITLE = 3
MARK = 5  # marker radius, px
BG = (255, 255, 255)
INK = (40, 40, 40)
GRID = (225, 225, 225)
SERIES = (("loss", "loss", (31, 119, 180)), ("val_loss", "val_loss", (230, 110, 0)))


def nice_step(span: float, parts: int) -> float:
    """The round step (1, 2, 2.5 or 5 times a power of ten) cutting `span` into <= `parts`."""
    raw = span / parts
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def cover_ticks(lo: float, hi: float, step: float) -> list[float]:
    """Multiples of `step` from the last at or below `lo` to the first at or above `hi`."""
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [round(k * step, 10) for k in range(first, last + 1)]


def nice_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """About `count` round tick values covering [lo, hi] (a flat range is widened by 0.5).

    punkforge's one tick rule: this loss plot and the gallery's charts both use it.
    """
    if not hi > lo:
        lo, hi = lo - 0.5, hi + 0.5
    return cover_ticks(lo, hi, nice_step(hi - lo, max(1, count - 1)))


def _fmt(value: float, step: float) -> str:
    """`value` with as many decimals as the tick step needs (0.025 -> 3, 0.5 -> 1, 2 -> 0)."""
    decimals = next((d for d in range(10) if abs(round(step, d) - step) <= 1e-9 * step), 10)
    return f"{value:.{decimals}f}"


def _clean(values: Sequence[Any]) -> list[float | None]:
    out: list[float | None] = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            f = math.nan
        out.append(f if math.isfinite(f) else None)
    return out


def _draw_vertical(img: np.ndarray, text: str, x: int, y_center: int, scale: int) -> None:
    mask = np.rot90(text_mask(text))
    mask = np.repeat(np.repeat(mask, scale, 0), scale, 1)
    h, w = mask.shape
    y = y_center - h // 2
    img[y : y + h, x : x + w][mask] = INK


def make_loss_plot(history: list[dict[str, Any]], title: str) -> np.ndarray:
    """Loss and val_loss against epoch: history rows {"epoch", "loss", "val_loss", ...}
    -> (800, 1200, 3) uint8. Missing or non-finite values are left out.
    """
    epochs = [int(row["epoch"]) for row in history]
    series = [(label, _clean([row.get(key) for row in history]), col) for key, label, col in SERIES]
    series = [s for s in series if any(v is not None for v in s[1])]
    values = [v for _, vals, _ in series for v in vals if v is not None]
    axes = _Axes.fit(epochs, values)
    im = Image.new("RGB", (WIDTH, HEIGHT), BG)
    draw = ImageDraw.Draw(im)
    x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM
    for t in axes.yticks:
        y = axes.px(axes.left, t)[1]
        draw.line([(x0, y), (x1, y)], fill=GRID, width=1)
    for t in axes.xticks:
        x = axes.px(t, axes.lo)[0]
        draw.line([(x, y0), (x, y1)], fill=GRID, width=1)
    draw.rectangle([x0, y0, x1, y1], outline=INK, width=2)
    legend_w = max((text_size(label, TEXT)[0] for label, _, _ in series), default=0)
    lx, ly = x1 - 20 - 72 - legend_w, y0 + 20
    for k, (_, vals, color) in enumerate(series):
        points = [axes.px(e, v) for e, v in zip(epochs, vals, strict=True) if v is not None]
        if len(points) > 1:
            draw.line(points, fill=color, width=3, joint="curve")
        legend_y = ly + 30 * k + CAP_H * TEXT // 2
        draw.line([(lx, legend_y), (lx + 60, legend_y)], fill=color, width=3)
        for x, y in [*points, (lx + 30, legend_y)]:
            box = [x - MARK, y - MARK, x + MARK, y + MARK]
            (draw.ellipse if k == 0 else draw.rectangle)(box, fill=color)
    img = np.array(im)
    _draw_tick_labels(img, axes)
    w, _ = text_size("epoch", TEXT)
    draw_text(img, "epoch", (x0 + x1 - w) // 2, y1 + 52, TEXT, INK)
    _draw_vertical(img, "loss", 24, (y0 + y1) // 2, TEXT)
    w, _ = text_size(title, TITLE)
    draw_text(img, title, (WIDTH - w) // 2, (TOP - CAP_H * TITLE) // 2, TITLE, INK)
    for k, (label, _, _) in enumerate(series):
        draw_text(img, label, lx + 72, ly + 30 * k, TEXT, INK)
    return img


@dataclass(frozen=True)
class _Axes:
    """The ticks and the data range of the plot, and where a data point lands in pixels."""

    xticks: list[float]
    yticks: list[float]
    left: float  # the epoch at the frame's left edge
    right: float

    @property
    def lo(self) -> float:
        return self.yticks[0]

    @property
    def hi(self) -> float:
        return self.yticks[-1]

    @classmethod
    def fit(cls, epochs: list[int], values: list[float]) -> _Axes:
        first, last = (min(epochs), max(epochs)) if epochs else (1, 1)
        if last - first <= 12:
            xticks = [float(e) for e in range(first, last + 1)]
        else:
            xticks = [t for t in nice_ticks(first, last, 8) if first <= t <= last and t == int(t)]
        yticks = nice_ticks(min(values), max(values)) if values else [0.0, 1.0]
        # a little room left and right, so the first and last points clear the frame
        xpad = max(0.5, 0.03 * (last - first))
        return cls(xticks, yticks, first - xpad, last + xpad)

    def px(self, epoch: float, value: float) -> tuple[float, float]:
        x0, x1, y0, y1 = LEFT, WIDTH - RIGHT, TOP, HEIGHT - BOTTOM
        return (
            x0 + (epoch - self.left) / (self.right - self.left) * (x1 - x0),
            y1 - (value - self.lo) / (self.hi - self.lo) * (y1 - y0),
        )


def _draw_tick_labels(img: np.ndarray, axes: _Axes) -> None:
    """Tick marks and their numbers on the left (loss) and bottom (epoch) axes."""
    x0, y1 = LEFT, HEIGHT - BOTTOM
    ystep = axes.yticks[1] - axes.yticks[0]
    for t in axes.yticks:
        text = _fmt(t, ystep)
        w, _ = text_size(text, TEXT)
        y = int(axes.px(axes.left, t)[1])
        img[y - 1 : y + 1, x0 - 8 : x0] = INK
        draw_text(img, text, x0 - 14 - w, y - CAP_H * TEXT // 2, TEXT, INK)
    for t in axes.xticks:
        text = f"{int(t)}"
        w, _ = text_size(text, TEXT)
        x = int(axes.px(t, axes.lo)[0])
        img[y1 : y1 + 8, x - 1 : x + 1] = INK
        draw_text(img, text, x - w // 2, y1 + 16, TEXT, INK)
