"""Draw the shipped example folder: recipes/sprites/<kind>/<kind>-NNN.png.

Tiny 20x28 (w x h) pixel-art sprites on a transparent background, drawn
procedurally from a seeded RNG: mushrooms, little creatures, houses and
trees, each outlined in a dark ink and coloured from a PICO-8-like palette.
They are saved as palette PNGs with a transparent index, like most pixel art,
so the example also exercises that path of the loader.

    python scripts/make_sprites.py            # rewrites recipes/sprites/
    python scripts/make_sprites.py --count 80 --out /tmp/sprites
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

H, W = 28, 20
PALETTE = {
    "ink": (29, 43, 83),
    "red": (255, 0, 77),
    "orange": (255, 163, 0),
    "yellow": (255, 236, 39),
    "green": (0, 228, 54),
    "dark_green": (0, 135, 81),
    "blue": (41, 173, 255),
    "lavender": (131, 118, 156),
    "pink": (255, 119, 168),
    "peach": (255, 204, 170),
    "brown": (171, 82, 54),
    "dark_brown": (95, 87, 79),
    "light": (194, 195, 199),
    "white": (255, 241, 232),
    "purple": (126, 37, 83),
}
NAMES = list(PALETTE)
Canvas = np.ndarray  # (H, W) int: -1 transparent, else an index into NAMES


def ellipse(c: Canvas, cy: float, cx: float, ry: float, rx: float, color: str) -> None:
    y, x = np.mgrid[0:H, 0:W]
    c[((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2 <= 1.0] = NAMES.index(color)


def rect(c: Canvas, y0: int, x0: int, y1: int, x1: int, color: str) -> None:
    c[max(0, y0) : min(H, y1), max(0, x0) : min(W, x1)] = NAMES.index(color)


def outline(c: Canvas) -> None:
    """Transparent pixels touching a drawn one (4-neighbours) become ink."""
    filled = c >= 0
    edge = np.zeros_like(filled)
    edge[1:] |= filled[:-1]
    edge[:-1] |= filled[1:]
    edge[:, 1:] |= filled[:, :-1]
    edge[:, :-1] |= filled[:, 1:]
    c[edge & ~filled] = NAMES.index("ink")


def pick(rng: np.random.Generator, *colors: str) -> str:
    return str(rng.choice(colors))


def mushroom(rng: np.random.Generator) -> Canvas:
    c = np.full((H, W), -1)
    cap = pick(rng, "red", "orange", "purple", "blue", "pink", "brown")
    stem_w = int(rng.integers(4, 8))
    stem_top = int(rng.integers(13, 17))
    rect(c, stem_top, W // 2 - stem_w // 2, H - 2, W // 2 - stem_w // 2 + stem_w, "white")
    rect(c, H - 4, W // 2 - stem_w // 2, H - 2, W // 2 - stem_w // 2 + stem_w, "peach")
    ry, rx = float(rng.uniform(6, 10)), float(rng.uniform(6.5, 8.5))
    ellipse(c, stem_top, W / 2 - 0.5, ry, rx, cap)
    c[int(stem_top) + 1 :, :][c[int(stem_top) + 1 :, :] == NAMES.index(cap)] = -1
    rect(c, stem_top + 1, W // 2 - stem_w // 2, H - 2, W // 2 - stem_w // 2 + stem_w, "white")
    rect(c, H - 4, W // 2 - stem_w // 2, H - 2, W // 2 - stem_w // 2 + stem_w, "peach")
    for _ in range(int(rng.integers(2, 6))):
        y = int(rng.integers(int(stem_top - ry + 2), stem_top))
        x = int(rng.integers(3, W - 4))
        if c[y, x] == NAMES.index(cap):
            rect(c, y, x, y + 2, x + 2, "white")
    outline(c)
    return c


def creature(rng: np.random.Generator) -> Canvas:
    c = np.full((H, W), -1)
    body = pick(rng, "green", "blue", "pink", "orange", "lavender", "yellow")
    ry, rx = float(rng.uniform(6, 8.5)), float(rng.uniform(5.5, 8.5))
    cy = H - 4 - ry
    for dx in (-3, 2):  # feet
        rect(c, H - 4, W // 2 + dx - 1, H - 2, W // 2 + dx + 2, "dark_brown")
    ellipse(c, cy, W / 2 - 0.5, ry, rx, body)
    ellipse(c, cy + ry * 0.35, W / 2 - 0.5, ry * 0.45, rx * 0.55, "white")  # belly
    if rng.random() < 0.6:  # antennae or ears
        top = int(cy - ry)
        for x in (W // 2 - 3, W // 2 + 2):
            rect(c, top - 4, x, top + 1, x + 1, body)
            rect(c, top - 5, x - (1 if x < W // 2 else 0), top - 3, x + 1 + (x > W // 2), "red")
    ey = int(cy - ry * 0.25)
    gap = int(rng.integers(2, 4))
    for ex in (W // 2 - gap - 2, W // 2 + gap):
        rect(c, ey, ex, ey + 3, ex + 2, "white")
        rect(
            c, ey + 1, ex + int(rng.integers(0, 2)), ey + 3, ex + 1 + int(rng.integers(0, 2)), "ink"
        )
    if rng.random() < 0.5:
        rect(c, ey + 4, W // 2 - 2, ey + 5, W // 2 + 2, "ink")  # mouth
    outline(c)
    return c


def house(rng: np.random.Generator) -> Canvas:
    c = np.full((H, W), -1)
    wall = pick(rng, "peach", "light", "white", "yellow", "pink")
    roof = pick(rng, "red", "brown", "blue", "dark_green", "purple")
    bw = int(rng.integers(12, 17))
    x0 = (W - bw) // 2
    top = int(rng.integers(13, 17))
    rect(c, top, x0, H - 2, x0 + bw, wall)
    roof_h = int(rng.integers(6, 10))
    for k in range(roof_h):  # roof: a triangle widening down to the eaves
        half = 1 + (bw / 2) * (k + 1) / roof_h
        y = top - roof_h + k
        rect(c, y, int(W / 2 - half), y + 1, int(np.ceil(W / 2 + half)), roof)
    rect(c, top - 1, x0 - 1, top + 1, x0 + bw + 1, roof)
    if rng.random() < 0.6:
        cx = x0 + bw - 4
        rect(c, top - roof_h, cx, top - 2, cx + 2, "dark_brown")  # chimney
    dx = int(rng.integers(x0 + 2, x0 + bw - 5))
    rect(c, H - 8, dx, H - 2, dx + 3, "brown")
    wx = x0 + 2 if dx > W // 2 else x0 + bw - 5
    rect(c, top + 3, wx, top + 6, wx + 3, pick(rng, "yellow", "blue"))
    outline(c)
    return c


def tree(rng: np.random.Generator) -> Canvas:
    c = np.full((H, W), -1)
    leaves = pick(rng, "green", "dark_green", "orange", "pink")
    rect(c, 16, W // 2 - 2, H - 2, W // 2 + 2, "brown")
    for _ in range(int(rng.integers(3, 6))):
        ellipse(c, float(rng.uniform(7, 14)), float(rng.uniform(6, 13)),
                float(rng.uniform(3.5, 6)), float(rng.uniform(3.5, 6)), leaves)  # fmt: skip
    if rng.random() < 0.5:
        for _ in range(int(rng.integers(2, 5))):  # fruit
            y, x = int(rng.integers(5, 15)), int(rng.integers(4, 16))
            if c[y, x] == NAMES.index(leaves):
                c[y, x] = NAMES.index(pick(rng, "red", "yellow", "white"))
    outline(c)
    return c


KINDS: dict[str, Callable[[np.random.Generator], Canvas]] = {
    "mushroom": mushroom,
    "creature": creature,
    "house": house,
    "tree": tree,
}


def save(c: Canvas, path: Path) -> None:
    """A palette PNG: index 0 transparent, then the palette in NAMES order."""
    index = (c + 1).astype(np.uint8)
    im = Image.fromarray(index, mode="P")
    im.putpalette([0, 0, 0] + [v for name in NAMES for v in PALETTE[name]])
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, transparency=0, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=75, help="sprites per kind")
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).parent.parent / "recipes" / "sprites"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)
    rng = np.random.default_rng(args.seed)
    for kind, draw in KINDS.items():
        for i in range(args.count):
            save(draw(rng), args.out / kind / f"{kind}-{i:03d}.png")
    total = sum(p.stat().st_size for p in args.out.rglob("*.png"))
    print(f"wrote {args.count * len(KINDS)} sprites ({total / 1000:.0f} kB) to {args.out}")


if __name__ == "__main__":
    main()
