"""Make the README's pictures from a real run: docs/img/poster-crop.png, progress.gif, gallery.png.

    python scripts/readme_art.py [--epochs 6] [--keep DIR]

Trains a small two-variant recipe (RGBA punks; the seed post's network and a
stride-2 one) through the Python API in a temporary outputs folder, then:
- poster-crop.png: the top-left corner of the base variant's `pairs` poster at
  its own pixels (every punk pixel a crisp square), so the README shows the print,
  not a shrunken preview;
- progress.gif: the base variant's progress GIF as punkforge wrote it;
- gallery.png: the recipe's gallery page in headless Chromium, 1200x900,
  reduced to an exact 256-colour palette (flat page colours survive; the file
  shrinks about 4x).
The three files together must stay under 2 MB (checked here and by tests/project/test_docs.py).
Needs Chromium at /usr/bin/chromium (or $CHROMIUM) for the screenshot.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

import punkforge

ROOT = Path(__file__).resolve().parent.parent
IMG = ROOT / "docs" / "img"
BUDGET = 2_000_000  # bytes, the three images together

RECIPE = """\
name = "readme-punks"
title = "Devolved Punks"
seed = 0

[data]
color = "rgba"
train_limit = {train}
test_limit = 120

[train]
epochs = {epochs}

[render]
sample = 36

[render.poster]
paper = "8x10in"
dpi = 300
layout = "pairs"
background = "#1d1b2e"

[render.gif]
scale = 3
frame_ms = 400

[variants.strided]
model.encoder = [
  {{ filters = 32, kernel = 4, strides = 2, padding = "same" }},
  {{ filters = 64, kernel = 4, strides = 2, padding = "same" }},
  {{ filters = 4, kernel = 3, padding = "same" }},
]
model.decoder = [
  {{ filters = 64, kernel = 4, strides = 2, padding = "same" }},
  {{ filters = 32, kernel = 4, strides = 2, padding = "same" }},
]
"""


def screenshot(page: Path, png: Path, size: tuple[int, int] = (1200, 900)) -> None:
    """A headless-Chromium screenshot of a local page (no network, throwaway profile)."""
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                f"--screenshot={png}",
                f"--window-size={size[0]},{size[1]}",
                page.resolve().as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )


def poster_crop(poster: Image.Image, size: tuple[int, int] = (800, 460)) -> Image.Image:
    """The poster's first tiles at their own pixels: a window from the tile grid's corner.

    The grid is centred in the trim, so the window starts just above and left of the
    first non-background pixel rather than at the (empty) page corner.
    """
    bg = Image.new("RGB", poster.size, poster.getpixel((0, 0)))
    from PIL import ImageChops

    left, top, _, _ = ImageChops.difference(poster, bg).getbbox() or (0, 0, 0, 0)
    x, y = max(0, left - 24), max(0, top - 24)
    return poster.crop((x, y, min(poster.width, x + size[0]), min(poster.height, y + size[1])))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--train", type=int, default=3000, help="training punks")
    ap.add_argument("--keep", type=Path, help="write the run here (default: a temporary folder)")
    args = ap.parse_args()

    work = (args.keep or Path(tempfile.mkdtemp(prefix="punkforge-readme-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    (work / "readme-punks.toml").write_text(RECIPE.format(epochs=args.epochs, train=args.train))
    os.chdir(work)  # the gallery shows the recipe's path: a plain relative one, as a user has
    result = punkforge.run("readme-punks.toml", out="outputs", progress=True)
    base = result.variants["base"]
    IMG.mkdir(parents=True, exist_ok=True)

    with Image.open(base.poster) as poster:
        poster_crop(poster.convert("RGB")).save(IMG / "poster-crop.png", optimize=True)
    shutil.copyfile(base.gif, IMG / "progress.gif")
    shot = work / "gallery-full.png"
    screenshot(result.gallery, shot)
    with Image.open(shot) as im:
        im.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT).save(
            IMG / "gallery.png", optimize=True
        )

    sizes = {p.name: p.stat().st_size for p in IMG.iterdir()}
    total = sum(sizes.values())
    for name, size in sorted(sizes.items()):
        print(f"{name:<18} {size / 1000:8.1f} kB")
    print(f"{'total':<18} {total / 1000:8.1f} kB (budget {BUDGET / 1000:.0f} kB)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if total <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
