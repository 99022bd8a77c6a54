"""docs/recipe-book.md: every shipped art recipe shows what it makes, in small real pictures.

The book is written by `python scripts/recipe_book.py`; when a recipe that
makes art is added or changed, run it again (a few minutes) and commit
docs/recipe-book.md and docs/img/book/.
"""

from __future__ import annotations

import importlib.util
import re
from types import ModuleType

import pytest
from conftest import ROOT
from PIL import Image

from punkforge.recipe.loader import read_recipe_file

BOOK = ROOT / "docs" / "recipe-book.md"
IMG = ROOT / "docs" / "img" / "book"


def script() -> ModuleType:
    path = ROOT / "scripts" / "recipe_book.py"
    spec = importlib.util.spec_from_file_location("recipe_book", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pictures() -> list[str]:
    return re.findall(r"\]\(img/book/([^)]+)\)", BOOK.read_text(encoding="utf-8"))


def test_the_readme_links_the_book() -> None:
    assert "(docs/recipe-book.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_shipped_art_recipe_is_in_the_book() -> None:
    book = script()
    text = BOOK.read_text(encoding="utf-8")
    art = [p for p in sorted((ROOT / "recipes").glob("*.toml")) if book.makes_art(p)]
    assert {"glitch-punks", "painted-punks", "breathing-punks"} <= {p.stem for p in art}
    missing = [p.name for p in art if f"(../recipes/{p.name})" not in text]
    assert not missing, f"run python scripts/recipe_book.py: the book lacks {missing}"


def test_a_shipped_recipe_has_an_animated_bend_and_a_loop() -> None:
    r = read_recipe_file(ROOT / "recipes" / "breathing-punks.toml").variants[0].recipe
    assert any(b.keyframed for b in r.art.bend)
    assert r.render.gif.loop == "boomerang" and r.art.morph_closed


@pytest.mark.parametrize("name", pictures())
def test_book_pictures_are_real(name: str) -> None:
    path = IMG / name
    assert path.is_file(), name
    with Image.open(path) as im:
        im.verify()


def test_book_pictures_stay_small_and_all_are_shown() -> None:
    files = {p.name for p in IMG.iterdir()}
    assert files == set(pictures()), "pictures the book does not show, or shows but lacks"
    total = sum(p.stat().st_size for p in IMG.iterdir())
    assert total <= script().BUDGET, f"{total / 1e6:.1f} MB"
    assert pictures(), "an empty book"
