"""The HTML galleries, on a fake finished run (synthetic arrays, no training).

Never imports TensorFlow and needs no browser: the pages are parsed with the
standard library's HTMLParser and every link is checked against the disk.
"""

from __future__ import annotations

import json
import math
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest

from punkforge import files, gallery
from punkforge.recipe.load import loads_recipe
from punkforge.render.encode import read_image
from punkforge.run import runner

HOSTILE = "<script>alert(1)</script>"
RECIPE = f"""
name = "fake-run"
title = "{HOSTILE}"

[data]
test_limit = 6

[train]
epochs = 3

[render]
sample = 4

[render.poster]
paper = "A5"
dpi = 72
margin = "0.25in"

[render.series]
scale = 2

[render.gif]
scale = 1

[variants.short]
train.epochs = 2

[variants.wide]
model.encoder = [ {{ filters = 8, kernel = 5 }} ]
model.decoder = [ {{ filters = 8, kernel = 5 }} ]
"""
VAL_LOSS = {"base": 0.25, "short": 0.3125, "wide": 0.1875}


class QuietUI:
    """RunUI that says nothing."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


class Page(HTMLParser):
    """Every tag's attributes, in order, plus the text of elements with data-f."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.figures: list[tuple[str, str]] = []  # (data-f, text), in document order
        self._field: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if "data-f" in a:
            self._field = a["data-f"]
            self.figures.append((self._field, ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "dd":
            self._field = None

    def handle_data(self, data: str) -> None:
        if self._field is not None:
            field, text = self.figures[-1]
            self.figures[-1] = (field, text + data)

    def all(self, tag: str | None = None, **attrs: str) -> list[dict[str, str]]:
        return [
            a
            for t, a in self.tags
            if (tag is None or t == tag) and all(a.get(k) == v for k, v in attrs.items())
        ]

    def links(self) -> list[str]:
        return [a[k] for _, a in self.tags for k in ("href", "src") if k in a]


def _fake_variant(folder: Path, epochs: int, val: float, seed: int) -> None:
    """What training and devolving leave behind: devolved.npz, snapshots.npz, history.csv."""
    rng = np.random.default_rng(seed)
    originals = rng.integers(0, 256, (6, 24, 24, 1), dtype=np.uint8)
    devolved = (originals // 2 + 40).astype(np.uint8)
    files.save_npz(
        folder / "devolved.npz",
        devolved=devolved,
        ids=np.arange(9000, 9006),
        originals=originals,
    )
    snaps = np.stack([devolved[:4] // (epochs - e + 1) for e in range(1, epochs + 1)])
    files.save_npz(folder / "snapshots.npz", epochs=np.arange(1, epochs + 1), images=snaps)
    rows = ["epoch,loss,val_loss,seconds"]
    for e in range(1, epochs + 1):
        v = val * (1 + (epochs - e) * 0.5)
        rows.append(f"{e},{v + 0.01:.6f},{v:.6f},0.500")
    files.write_text(folder / "history.csv", "\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """outputs/fake-run/ rendered from synthetic arrays, as `punkforge render` would."""
    root = tmp_path_factory.mktemp("outputs")
    rf = loads_recipe(RECIPE, "recipes/fake-run.toml")
    out = root / rf.name
    for i, v in enumerate(rf.variants):
        (out / v.name).mkdir(parents=True)
        _fake_variant(out / v.name, v.recipe.train.epochs, VAL_LOSS[v.name], i)
    (out / "base" / "model.keras").write_bytes(b"not really a model")
    report = runner.render_only(rf, out, QuietUI())
    assert not report.failures
    return out


def _pages(out: Path) -> list[Path]:
    return [
        out / "index.html",
        out.parent / "index.html",
        *sorted(out.glob("*/series/index.html")),
    ]


def test_every_link_is_relative_and_resolves(run: Path) -> None:
    pages = _pages(run)
    assert len(pages) == 2 + len(VAL_LOSS)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text, page
        p = Page(text)
        assert not p.all("link") and not [a for a in p.all("script") if "src" in a]
        ids = {a["id"] for _, a in p.tags if "id" in a}
        links = p.links()
        assert links, page
        for link in links:
            parts = urlsplit(link)
            assert not parts.scheme and not parts.netloc, link
            if not parts.path:
                assert parts.fragment in ids, f"{page}: dangling anchor {link}"
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{page}: {link} -> {target} is missing"
            if parts.fragment:
                assert f'id="{parts.fragment}"' in target.read_text(encoding="utf-8")


def test_recipe_page_shows_every_variant_with_its_files(run: Path) -> None:
    p = Page((run / "index.html").read_text(encoding="utf-8"))
    cards = p.all("article")
    assert [c["data-name"] for c in cards] == list(VAL_LOSS)
    links = set(p.links())
    assert "variants.png" in links and "summary.json" in links
    for name in VAL_LOSS:
        for f in ("poster-thumb.png", "poster.png", "progress.gif", "recipe.toml", "history.csv"):
            assert f"{name}/{f}" in links, (name, f)
        assert f"{name}/series/index.html" in links
    assert "base/model.keras" in links  # only base has one; the others are not linked
    assert "short/model.keras" not in links
    # pixel art is marked for whole-pixel scaling, the poster thumbnail is not
    gif = p.all("img", src="base/progress.gif")[0]
    assert "px" in gif["class"] and gif["data-u"] == "1"
    sheet = p.all("img", src="variants.png")[0]
    assert sheet["data-u"] == str(gallery.SHEET_UNIT)
    assert "data-u" not in p.all("img", src="base/poster-thumb.png")[0]


def test_sort_controls_exist(run: Path) -> None:
    text = (run / "index.html").read_text(encoding="utf-8")
    p = Page(text)
    keys = {a["data-sort"] for a in p.all("button") if "data-sort" in a}
    assert {"val_loss", "params", "epochs", "name", "order"} <= keys
    assert "function sortBy" in text
    for card in p.all("article"):
        for key in ("val_loss", "loss", "params", "epochs", "seconds", "order"):
            assert f"data-{key}" in card


def test_figures_match_summary(run: Path) -> None:
    summary = json.loads((run / "summary.json").read_text())
    p = Page((run / "index.html").read_text(encoding="utf-8"))
    rows = summary["variants"]
    assert set(rows) == set(VAL_LOSS)
    for card in p.all("article"):
        row = rows[card["data-name"]]
        assert math.isclose(float(card["data-val_loss"]), row["val_loss"])
        assert math.isclose(float(card["data-val_loss"]), VAL_LOSS[card["data-name"]])
        assert math.isclose(float(card["data-loss"]), row["loss"])
        assert int(card["data-params"]) == row["params"]
        assert int(card["data-epochs"]) == row["epochs"]
        assert math.isclose(float(card["data-seconds"]), row["seconds"])
    shown = p.figures
    assert len(shown) == 5 * len(rows)
    for name, i in zip(rows, range(0, len(shown), 5), strict=True):
        row = rows[name]
        assert dict(shown[i : i + 5]) == {
            "val_loss": gallery.fmt_loss(row["val_loss"]),
            "loss": gallery.fmt_loss(row["loss"]),
            "params": f"{row['params']:,}",
            "epochs": str(row["epochs"]),
            "seconds": gallery.fmt_seconds(row["seconds"]),
        }
    assert rows["short"]["epochs"] == 2 and rows["base"]["epochs"] == 3
    # the leaderboard ranks by val_loss: wide is best
    text = (run / "index.html").read_text(encoding="utf-8")
    assert '<tr class="top1" data-name="wide"' in text


def test_hostile_title_is_escaped(run: Path) -> None:
    for page in _pages(run):
        text = page.read_text(encoding="utf-8")
        assert HOSTILE not in text, page
        assert "alert(1)" not in text or "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (run / "index.html").read_text()
    root = (run.parent / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in root
    assert 'href="fake-run/index.html"' in root


def test_root_index_lists_recipes(run: Path) -> None:
    p = Page((run.parent / "index.html").read_text(encoding="utf-8"))
    assert len(p.all("article")) == 1
    assert "fake-run/variants.png" in p.links()


def test_poster_thumb_is_small_crisp_and_in_the_manifest(run: Path) -> None:
    folder = run / "base"
    poster, thumb = read_image(folder / "poster.png"), read_image(folder / gallery.THUMB)
    assert thumb.shape[1] <= poster.shape[1]
    assert gallery.THUMB in json.loads((folder / "manifest.json").read_text())["files"]
    series = (folder / "series" / "index.html").read_text(encoding="utf-8")
    assert series.count("<img") == 6 and 'href="punk-9005.png"' in series


@pytest.mark.parametrize(
    ("width", "scale", "expected"),
    [
        (5400, 7, (7, True)),  # 18x24in at 300 dpi: one thumbnail pixel per punk pixel
        (2400, 12, (4, True)),  # largest divisor of the scale that keeps it >= 600 px
        (4961, 5, (5, True)),
        (500, 6, (1, True)),  # already small: untouched
        (20000, 1, (23, False)),  # tiny punks on a huge page: plain box filter
    ],
)
def test_thumb_factor(width: int, scale: int, expected: tuple[int, bool]) -> None:
    assert gallery.thumb_factor(width, scale) == expected


def test_thumb_keeps_punk_pixels_whole(tmp_path: Path) -> None:
    """Tiles off the factor's grid still shrink to exactly one thumbnail pixel per punk pixel."""
    scale, x0, y0 = 4, 6, 10
    punk = np.random.default_rng(0).integers(0, 256, (24, 24, 3), dtype=np.uint8)
    poster = np.full((200, 2406, 3), 255, np.uint8)
    poster[y0 : y0 + 24 * scale, x0 : x0 + 24 * scale] = punk.repeat(scale, 0).repeat(scale, 1)
    assert gallery.thumb_factor(poster.shape[1], scale) == (4, True)
    gallery.write_poster_thumb(poster, (x0, y0), scale, tmp_path / "t.png")
    thumb = read_image(tmp_path / "t.png")
    assert thumb.shape[1] == (2406 - x0 % 4) // 4
    gx, gy = x0 // 4, y0 // 4
    assert np.array_equal(thumb[gy : gy + 24, gx : gx + 24, :3], punk)


def test_nice_ticks_cover_the_range() -> None:
    ticks = gallery.nice_ticks(0.1525, 0.69, 6)
    assert ticks[0] <= 0.1525 and ticks[-1] >= 0.69
    assert ticks == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]


def test_no_tensorflow(run: Path) -> None:
    import sys

    assert "tensorflow" not in sys.modules and "keras" not in sys.modules


def test_caption_ink_reads_short_hex_backgrounds() -> None:
    from punkforge.gallery.pages import _contrast

    assert _contrast("#fff") == _contrast("#ffffff") == "#111111"
    assert _contrast("#000") == _contrast("#000000") == "#f0f0f0"
