"""Make docs/recipe-book.md: what each shipped art recipe makes, from real runs.

    python scripts/recipe_book.py [--epochs 5] [--train 3000] [--only NAME] [--keep DIR]

Runs every shipped recipe that makes art (recipes/*.toml with an [art] table
that asks for something, or a render.palette) through the Python API at tiny,
fast settings (BOOK_SETS, via --set: a few thousand training punks, a few
epochs, 16 sample punks, a small poster), in a temporary outputs folder, and
keeps small pictures of what each variant made in docs/img/book/:

- <recipe>-<variant>-poster.png: a corner of the poster at its own pixels;
- <recipe>-progress.gif: the base variant's progress animation, as written;
- every extra figure of the gallery card (morphs, feedback, animated bends,
  and whatever else `gallery.figures.EXTRA_ART` shows): the GIF as written, a
  PNG halved when wide (every other pixel) and cropped to its top when tall.

It then writes docs/recipe-book.md: per recipe its header comment, the keys
that make its art, and the pictures. The pictures come from the tiny settings,
so they are rougher than a full run's; the book says so. All of docs/img/book
must stay under BUDGET bytes (checked here and by tests/test_recipe_book.py).
A whole book takes a few minutes on two cores.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops

import punkforge
from punkforge.gallery.figures import extra_figures
from punkforge.recipe.art_section import ArtConfig

ROOT = Path(__file__).resolve().parent.parent
RECIPES = ROOT / "recipes"
BOOK = ROOT / "docs" / "recipe-book.md"
IMG = ROOT / "docs" / "img" / "book"
BUDGET = 6_000_000  # bytes, every picture of the book together
CROP = (320, 220)  # the poster corner, px
WIDE = 480  # a PNG figure wider than this is halved (every other pixel: still crisp) ...
TALL = 220  # ... and then, if taller than this, cropped to its top

BOOK_SETS = {
    "data.test_limit": 64,
    "render.sample": 16,
    "render.poster.paper": "A5",
    "render.poster.dpi": 150,
    "render.poster.formats": ["png"],
    "render.series.scale": 2,
    "render.gif.scale": 2,
    "render.gif.formats": ["gif"],
}


def makes_art(path: Path) -> bool:
    """True when some variant of the recipe asks for [art] or a palette."""
    loaded = punkforge.load_recipe(path)
    return any(
        v.recipe.art != ArtConfig() or v.recipe.render.palette != "none" for v in loaded.variants
    )


def header(path: Path) -> tuple[str, str]:
    """The recipe's opening comment: (its first line, the rest as one paragraph)."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.removeprefix("#").strip())
    first, rest = (lines[0], lines[1:]) if lines else (path.stem, [])
    return first, " ".join(x for x in rest if x).strip()


def uncommented(line: str) -> str:
    """A TOML line without its comment (a # inside a string is not one)."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i].rstrip()
    return line.rstrip()


def art_lines(path: Path) -> list[str]:
    """The lines that make the art, comments dropped: [art], palette, loop, a variant's art."""
    tables: dict[str, list[str]] = {}
    table = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            table = line.split("]", 1)[0] + "]"
            continue
        text = uncommented(line)
        key = text.split("=", 1)[0].strip()
        if text and (table == "[art]" or key in ("palette", "loop") or key.startswith("art.")):
            tables.setdefault(table, []).append(text)
    return [x for t, lines in tables.items() for x in ([t] if t else []) + lines]


def caption(name: str) -> str:
    """What a book picture shows, from its file name."""
    stem = Path(name).stem
    if stem.endswith("-poster"):
        return "poster (a corner)"
    if stem.endswith("-progress"):
        return "training"
    piece = stem.split("-base-", 1)[-1] if "-base-" in stem else stem.rsplit("-", 2)[-1]
    for word in ("morph", "bend", "feedback"):
        if f"-{word}" in stem or stem.startswith(word):
            piece = stem[stem.index(word) :]
            break
    kind, _, rest = piece.partition("-")
    return f"{kind} {rest.replace('-', ' > ')}".strip()


def poster_corner(poster: Path, out: Path) -> None:
    """The poster's first tiles at their own pixels (every punk pixel a crisp square)."""
    with Image.open(poster) as im:
        page = im.convert("RGB")
    bg = Image.new("RGB", page.size, page.getpixel((0, 0)))
    left, top, _, _ = ImageChops.difference(page, bg).getbbox() or (0, 0, 0, 0)
    x, y = max(0, left - 12), max(0, top - 12)
    box = (x, y, min(page.width, x + CROP[0]), min(page.height, y + CROP[1]))
    page.crop(box).save(out, optimize=True)


def keep_figure(src: Path, out: Path) -> None:
    """A figure for the book: a GIF as punkforge wrote it, a PNG cropped to its top."""
    if src.suffix == ".gif":
        shutil.copyfile(src, out)
        return
    with Image.open(src) as im:
        pic = im.convert("RGB")
    if pic.width > WIDE:  # sheets are drawn at 4 px per punk pixel: 2 px is still crisp
        pic = pic.resize((pic.width // 2, pic.height // 2), Image.Resampling.NEAREST)
    pic.crop((0, 0, pic.width, min(pic.height, TALL))).save(out, optimize=True)


def book_pictures(name: str, result: Any) -> list[tuple[str, str, list[str]]]:
    """Copy each variant's pictures to docs/img/book; (variant, caption, files) per variant."""
    rows = []
    for vname, v in result.variants.items():
        shots = []
        poster = IMG / f"{name}-{vname}-poster.png"
        poster_corner(v.poster, poster)
        shots.append(poster.name)
        if vname == "base":
            shutil.copyfile(v.gif, IMG / f"{name}-progress.gif")
            shots.append(f"{name}-progress.gif")
        for fig in extra_figures(v.folder):
            if not fig.path.endswith((".gif", ".png")):
                continue
            out = IMG / f"{name}-{vname}-{Path(fig.path).name}"
            keep_figure(v.folder / fig.path, out)
            shots.append(out.name)
        rows.append((vname, v.folder.name, shots))
    return rows


def recipe_section(path: Path, rows: list[tuple[str, str, list[str]]]) -> str:
    first, rest = header(path)
    title, _, tagline = first.partition(":")
    parts = [f"## {title.strip()}", ""]
    if tagline.strip():
        tag = tagline.strip()
        parts += [f"*{tag[0].upper()}{tag[1:]}*", ""]
    if rest:
        parts += [rest, ""]
    parts += [f"[`recipes/{path.name}`](../recipes/{path.name}); the keys that make its art:", ""]
    parts += ["```toml", *art_lines(path), "```", ""]
    for vname, _, shots in rows:
        if len(rows) > 1:
            parts += [f"**{vname}**", ""]
        parts += ["| " + " | ".join(caption(s) for s in shots) + " |"]
        parts += ["|" + " --- |" * len(shots)]
        parts += ["| " + " | ".join(f"![{caption(s)}](img/book/{s})" for s in shots) + " |", ""]
    return "\n".join(parts)


INTRO = """\
# Recipe book

What each shipped recipe that makes art draws: a corner of its poster at its
own pixels, its progress animation, and every piece on its gallery card
(morphs, feedback sheets, animated bends). The pictures are real, but from
tiny runs (`python scripts/recipe_book.py`: {epochs} epochs on {train} training
punks, 16 sample punks, a small poster), so a full `punkforge run` of the
same recipe is sharper and calmer. Every key is in [recipes.md](recipes.md);
the files themselves are in [`recipes/`](../recipes/).

"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--train", type=int, default=3000, help="training punks")
    ap.add_argument("--only", action="append", default=[], help="recipe stem (repeatable)")
    ap.add_argument("--keep", type=Path, help="write the runs here (default: a temporary folder)")
    args = ap.parse_args()

    recipes = [p for p in sorted(RECIPES.glob("*.toml")) if makes_art(p)]
    work = (args.keep or Path(tempfile.mkdtemp(prefix="punkforge-book-"))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    if not args.only:
        shutil.rmtree(IMG, ignore_errors=True)
    IMG.mkdir(parents=True, exist_ok=True)
    sets = {**BOOK_SETS, "train.epochs": args.epochs, "data.train_limit": args.train}
    os.chdir(work)
    sections = []
    for path in recipes:
        if args.only and path.stem not in args.only:
            continue
        result = punkforge.run(path, out="outputs", progress=True, sets=sets)
        sections.append(recipe_section(path, book_pictures(path.stem, result)))
    if not args.only:
        BOOK.write_text(
            INTRO.format(epochs=args.epochs, train=args.train) + "\n".join(sections),
            encoding="utf-8",
        )

    sizes = {p.name: p.stat().st_size for p in IMG.iterdir()}
    total = sum(sizes.values())
    for name, size in sorted(sizes.items()):
        print(f"{name:<48} {size / 1000:8.1f} kB")
    print(f"{'total':<48} {total / 1000:8.1f} kB (budget {BUDGET / 1000:.0f} kB)")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0 if total <= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
