"""How far a finished run's devolved punks are from their originals.

    python bench/devolution_distance.py outputs/<recipe>[/<variant>] ...

For each variant folder (one holding devolved.npz) prints the mean absolute
difference over every pixel and channel, as a share of 255, and the share
of pixel values off by more than 32 (of 255), over the whole devolved test
set. With `--palette`, the devolved punks are first snapped to the
variant's render.palette and dithered by its render.dither (read from its
recipe.toml), as the posters show them. Pure numpy: no TensorFlow.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

import numpy as np


def distance(devolved: np.ndarray, originals: np.ndarray) -> tuple[float, float]:
    """(mean |d - o| / 255, share of values with |d - o| > 32) for (N, H, W, C) uint8."""
    diff = np.abs(devolved.astype(np.int16) - originals.astype(np.int16))
    return float(diff.mean() / 255), float((diff > 32).mean())


def variant_folders(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if (p / "devolved.npz").is_file():
            out.append(p)
        else:
            out.extend(sorted(q.parent for q in p.glob("*/devolved.npz")))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("paths", nargs="+", help="run folders or variant folders")
    ap.add_argument("--palette", action="store_true", help="apply render.palette first")
    args = ap.parse_args(argv)
    folders = variant_folders(args.paths)
    if not folders:
        print("no devolved.npz found under " + ", ".join(args.paths), file=sys.stderr)
        return 1
    print(f"{'variant':<40} {'punks':>6} {'mean |diff|':>12} {'off > 32':>9}")
    for folder in folders:
        z = np.load(folder / "devolved.npz")
        devolved, originals = z["devolved"], z["originals"]
        if args.palette:
            from punkforge.rendering.art_images import paletted_devolved

            recipe = tomllib.loads((folder / "recipe.toml").read_text())
            render = recipe["render"]
            devolved = paletted_devolved(
                render["palette"], folder, devolved, originals, render.get("dither", "none")
            )
        mad, off = distance(devolved, originals)
        name = f"{folder.parent.name}/{folder.name}"
        print(f"{name:<40} {len(devolved):>6} {mad * 255:>8.1f}/255 {off:>8.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
