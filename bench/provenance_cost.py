"""What carrying the recipe costs the PNG writer: a 5400 x 7200 poster and 200 series PNGs.

Each writes the same pixels with and without an `ImageProvenance` (a real
resolved recipe, about 3.6 KB of TOML), alternating A B B A ... in one
process; medians and file sizes are printed. docs/performance.md quotes it:

    .venv/bin/python bench/provenance_cost.py [--reps 5]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from punkforge.pipeline.output_folder import image_provenance  # noqa: E402
from punkforge.recipe.loader import read_recipe_file  # noqa: E402
from punkforge.rendering.compositing import upscale  # noqa: E402
from punkforge.rendering.png_codec import palettize, write_png  # noqa: E402
from punkforge.rendering.provenance import ImageProvenance  # noqa: E402


def _punks(n: int) -> np.ndarray:
    """Punk-like art: (n, 24, 24, 3) uint8 of a few flat greys."""
    grey = np.random.default_rng(0).integers(0, 6, (n, 24, 24)).astype(np.uint8) * 40
    return np.repeat(grey[..., None], 3, axis=3)


def _poster(punks: np.ndarray) -> np.ndarray:
    """18x24in at 300 dpi: 30 x 22 punks at scale 9 on white."""
    page = np.full((7200, 5400, 3), 255, np.uint8)
    for i in range(30 * 22):
        y, x = 300 + (i // 22) * 216, 150 + (i % 22) * 230
        page[y : y + 216, x : x + 216] = upscale(punks[i], 9)
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    variant = read_recipe_file(ROOT / "recipes" / "devolved-punks.toml").variants[0]
    made = image_provenance(variant)
    punks = _punks(1000)
    page = _poster(punks)

    def poster(prov: ImageProvenance | None) -> int:
        buf = io.BytesIO()
        write_png(buf, page, dpi=300, icc=True, provenance=prov)
        return buf.tell()

    def series(prov: ImageProvenance | None) -> int:
        size = 0
        for punk in punks[:200]:
            index, palette = palettize(punk)  # type: ignore[misc]
            buf = io.BytesIO()
            write_png(buf, upscale(index, 20), palette=palette, strategy=zlib.Z_RLE,
                      provenance=prov)  # fmt: skip
            size += buf.tell()
        return size

    pieces: dict[str, Callable[[ImageProvenance | None], int]] = {
        "poster 5400x7200 write_png": poster,
        "200 series PNGs at scale 20": series,
    }
    print(f"recipe: {len(made.recipe_toml)} characters of TOML")
    for name, fn in pieces.items():
        times: dict[str, list[float]] = {"without": [], "with": []}
        sizes: dict[str, int] = {}
        for rep in range(args.reps):
            for label in ("without", "with") if rep % 2 == 0 else ("with", "without"):
                t0 = time.perf_counter()
                sizes[label] = fn(made if label == "with" else None)
                times[label].append(time.perf_counter() - t0)
        a, b = (statistics.median(times[k]) for k in ("without", "with"))
        print(f"{name}: without {a:.3f} s, {sizes['without']:,} B; "
              f"with {b:.3f} s, {sizes['with']:,} B ({b / a:.2f}x)")  # fmt: skip


if __name__ == "__main__":
    main()
