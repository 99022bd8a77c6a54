"""Loss-per-epoch charts as data for `macros.html.j2`'s `chart` (which draws the SVG).

Coordinates are in the SVG's viewBox; the SVG scales to its box's width, and the
stylesheet enlarges tick labels when a chart is narrow (phones), so the margins
here leave room for the larger labels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from punkforge.gallery.formatting import finite, fmt_loss
from punkforge.rendering.loss_plot import nice_ticks

# line colours of the variants, chosen to read on the dark page
PALETTE = (
    "#f2c14e", "#4ecdc4", "#ff6b6b", "#a78bfa", "#7bd389",
    "#f78c40", "#5aa9e6", "#ff8fab", "#d4e157", "#e0e0e0",
)  # fmt: skip
LEFT, RIGHT, TOP, BOTTOM = 64, 14, 12, 34  # plot margins, viewBox units
MAX_DOTS = 30  # more epochs than this: only the last one gets a dot


@dataclass(frozen=True)
class Run:
    """One variant's history on a chart: rows of epoch, loss, val_loss."""

    name: str
    colour: str
    history: list[dict[str, float]]


@dataclass
class Chart:
    """Everything the template needs to draw one SVG chart."""

    width: int
    height: int
    svg_id: str
    y_ticks: list[tuple[float, str]] = field(default_factory=list)  # (y, label)
    x_ticks: list[tuple[float, str]] = field(default_factory=list)  # (x, label)
    lines: list[dict[str, object]] = field(default_factory=list)  # polylines
    dots: list[dict[str, object]] = field(default_factory=list)  # circles with a tooltip
    left: int = LEFT
    right: int = 0
    base: int = 0  # y of the epoch labels


def _tick_label(t: float, step: float) -> str:
    """`t` with as many decimals as the step needs (0.025 steps: 3), so labels differ."""
    digits = next((d for d in range(7) if math.isclose(round(step, d), step, rel_tol=1e-9)), 6)
    return f"{t:.{digits}f}"


def make_chart(
    runs: Sequence[Run], width: int, height: int, svg_id: str = "", dashed_loss: bool = False
) -> Chart | None:
    """val_loss per epoch of every run on shared axes (and loss dashed); None without data."""
    keys = ("val_loss", "loss") if dashed_loss else ("val_loss",)
    points = [(h["epoch"], h[k]) for r in runs for h in r.history for k in keys]
    ys = finite(y for _, y in points)
    if not ys:
        return None
    max_ep = max(int(x) for x, _ in points)
    # about 6 round ticks (rendering's one tick rule); a flat curve gets one line at its value
    ticks = nice_ticks(min(ys), max(ys), 6) if max(ys) > min(ys) else [min(ys)]
    lo, hi = ticks[0], ticks[-1] if len(ticks) > 1 else ticks[0] + 1
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1
    pw, ph = width - LEFT - RIGHT, height - TOP - BOTTOM

    def x(ep: float) -> float:
        return round(LEFT + (pw * (ep - 1) / (max_ep - 1) if max_ep > 1 else pw / 2), 1)

    def y(v: float) -> float:
        return round(TOP + ph * (1 - (v - lo) / (hi - lo)), 1)

    chart = Chart(width, height, svg_id, right=width - RIGHT, base=height - 8)
    chart.y_ticks = [(y(t), _tick_label(t, step)) for t in ticks]
    ep_ticks = {1, max_ep} | set(nice_ticks(1, max_ep, 6) if max_ep > 6 else range(1, max_ep + 1))
    chart.x_ticks = [
        (x(t), str(int(t))) for t in sorted(ep_ticks) if 1 <= t <= max_ep and float(t).is_integer()
    ]
    for r in runs:
        for key in keys:
            pts = [(h["epoch"], h[key]) for h in r.history if math.isfinite(h[key])]
            if not pts:
                continue
            chart.lines.append(
                {
                    "name": r.name,
                    "key": key,
                    "cls": "run" if key == "val_loss" else "loss",
                    "colour": r.colour if key == "val_loss" else "",
                    "points": " ".join(f"{x(a)},{y(b)}" for a, b in pts),
                }
            )
            if key == "val_loss":
                chart.dots += [
                    {
                        "x": x(a),
                        "y": y(b),
                        "colour": r.colour,
                        "title": f"{r.name}: epoch {int(a)}, val_loss {fmt_loss(b)}",
                    }
                    for a, b in (pts if len(pts) <= MAX_DOTS else pts[-1:])
                ]
    return chart
