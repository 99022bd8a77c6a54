"""The HTML galleries, on a fake finished run (synthetic arrays, no training).

Never imports TensorFlow and needs no browser: the pages are parsed with the
standard library's HTMLParser and every link is checked against the disk.
"""

from __future__ import annotations

import json
import math
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import numpy as np
import pytest
from conftest import ROOT

from punkforge import files
from punkforge.gallery.figures import extra_figures
from punkforge.gallery.formatting import fmt_loss, fmt_seconds
from punkforge.gallery.pages import SHEET_UNIT, root_title, write_recipe_index, write_root_index
from punkforge.gallery.thumbnails import THUMB, thumb_factor, write_poster_thumb
from punkforge.pipeline import runner
from punkforge.pipeline import variant_folder as variant
from punkforge.pipeline.progress import NullUI
from punkforge.recipe.loader import loads_recipe
from punkforge.rendering.loss_plot import nice_ticks
from punkforge.rendering.png_codec import read_image

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
    for v in rf.variants:
        variant.record_arrays(v, out / v.name)  # what devolving records for `render`
    report = runner.render_only(rf, out, NullUI())
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
    assert sheet["data-u"] == str(SHEET_UNIT)
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
            "val_loss": fmt_loss(row["val_loss"]),
            "loss": fmt_loss(row["loss"]),
            "params": f"{row['params']:,}",
            "epochs": str(row["epochs"]),
            "seconds": fmt_seconds(row["seconds"]),
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
    poster, thumb = read_image(folder / "poster.png"), read_image(folder / THUMB)
    assert thumb.shape[1] <= poster.shape[1]
    assert THUMB in json.loads((folder / "manifest.json").read_text())["files"]
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
    assert thumb_factor(width, scale) == expected


def test_thumb_keeps_punk_pixels_whole(tmp_path: Path) -> None:
    """Tiles off the factor's grid still shrink to exactly one thumbnail pixel per punk pixel."""
    scale, x0, y0 = 4, 6, 10
    punk = np.random.default_rng(0).integers(0, 256, (24, 24, 3), dtype=np.uint8)
    poster = np.full((200, 2406, 3), 255, np.uint8)
    poster[y0 : y0 + 24 * scale, x0 : x0 + 24 * scale] = punk.repeat(scale, 0).repeat(scale, 1)
    assert thumb_factor(poster.shape[1], scale) == (4, True)
    write_poster_thumb(poster, (x0, y0), scale, tmp_path / "t.png")
    thumb = read_image(tmp_path / "t.png")
    assert thumb.shape[1] == (2406 - x0 % 4) // 4
    gx, gy = x0 // 4, y0 // 4
    assert np.array_equal(thumb[gy : gy + 24, gx : gx + 24, :3], punk)


def test_nice_ticks_cover_the_range() -> None:
    # rendering's one tick rule: about `count` ticks (here 7), used by both charts
    ticks = nice_ticks(0.1525, 0.69, 7)
    assert ticks[0] <= 0.1525 and ticks[-1] >= 0.69
    assert ticks == [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]


def test_no_tensorflow(run: Path) -> None:
    # In a fresh interpreter: earlier tests of the whole suite may have imported
    # TensorFlow into this one. (`punkforge render` with TensorFlow blocked is
    # tested end to end in test_e2e.)
    import subprocess
    import sys

    code = (
        "import sys, punkforge.gallery, punkforge.rendering, punkforge.pipeline.runner, "
        "punkforge.pipeline.variant_folder; "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr


def test_caption_ink_reads_short_hex_backgrounds() -> None:
    from punkforge.gallery.pages import _contrast

    assert _contrast("#fff") == _contrast("#ffffff") == "#111111"
    assert _contrast("#000") == _contrast("#000000") == "#f0f0f0"


# ---------------------------------------------------------------- templates and art


SOLO = """
name = "solo-run"
title = "Solo & <b>Punks</b>"

[data]
test_limit = 6

[train]
epochs = 2

[render]
sample = 4

[render.poster]
paper = "A5"
dpi = 72

[render.gif]
scale = 2
"""


def _links_resolve(page: Path) -> list[str]:
    """Every href/src of `page` that is a file link, after checking it exists."""
    p = Page(page.read_text(encoding="utf-8"))
    found = []
    for link in p.links():
        parts = urlsplit(link)
        assert not parts.scheme and not parts.netloc, link
        if parts.path:
            target = page.parent / unquote(parts.path)
            assert target.is_file(), f"{page}: {link} is missing"
            found.append(parts.path)
    return found


@pytest.fixture(scope="module")
def solo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-variant run: its card is the page's hero."""
    root = tmp_path_factory.mktemp("solo")
    rf = loads_recipe(SOLO, "recipes/solo-run.toml")
    out = root / rf.name
    (out / "base").mkdir(parents=True)
    _fake_variant(out / "base", 2, 0.25, 7)
    variant.record_arrays(rf.variants[0], out / "base")  # what devolving records for `render`
    assert not runner.render_only(rf, out, NullUI()).failures
    return out


def test_one_variant_is_the_hero(solo: Path) -> None:
    text = (solo / "index.html").read_text(encoding="utf-8")
    p = Page(text)
    assert [c["data-name"] for c in p.all("article")] == ["base"]
    assert 'class="cards solo"' in text
    assert not p.all("button")  # nothing to sort or compare
    assert "Solo &amp; &lt;b&gt;Punks&lt;/b&gt;" in text and "<b>Punks</b>" not in text
    links = _links_resolve(solo / "index.html")
    assert "base/poster-thumb.png" in links and "base/progress.gif" in links
    gif = p.all("img", src="base/progress.gif")[0]
    assert gif["data-u"] == "2" and "px" in gif["class"]


def test_root_title_comes_from_the_recipes(run: Path, solo: Path) -> None:
    text = (run.parent / "index.html").read_text(encoding="utf-8")
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert f"<title>{escaped} - punkforge</title>" in text
    assert f"<h1>{escaped}</h1>" in text
    assert "Devolved punks" not in text
    solo_root = (solo.parent / "index.html").read_text(encoding="utf-8")
    assert "<h1>Solo &amp; &lt;b&gt;Punks&lt;/b&gt;</h1>" in solo_root
    assert root_title([]) == "punkforge"
    assert root_title(["A", "B"]) == "A \u00b7 B"
    assert root_title(list("ABCDE")) == "A \u00b7 B \u00b7 C + 2 more"


def test_root_title_joins_every_recipe(tmp_path: Path) -> None:
    for name, title in (("one", "First Light"), ("two", "Second <Wind>")):
        files.write_json(tmp_path / name / "summary.json", {"title": title, "variants": {}})
    files.write_json(tmp_path / "three" / "summary.json", {"variants": {}})  # no title: its name
    text = write_root_index(tmp_path).read_text(encoding="utf-8")
    assert "<h1>First Light \u00b7 three \u00b7 Second &lt;Wind&gt;</h1>" in text


def _gif(path: Path, frames: int = 2) -> None:
    from PIL import Image

    imgs = [Image.new("P", (48, 48), i * 40) for i in range(frames)]
    imgs[0].save(path, save_all=True, append_images=imgs[1:], duration=100)


def test_extra_art_from_the_manifest_appears_on_its_card(run: Path, tmp_path: Path) -> None:
    """morph-*.gif/webp and feedback.png listed in manifest.json become figures; others not."""
    import shutil

    from PIL import Image

    out = tmp_path / run.name
    shutil.copytree(run, out)
    base = out / "base"
    hostile = 'morph-9000-"><i>x.gif'
    _gif(base / "morph-9000-9001.gif")
    Image.new("RGB", (48, 48), "red").save(base / "morph-9000-9001.webp")
    Image.new("RGB", (96, 48), "blue").save(base / "feedback.png")
    _gif(base / hostile)
    _gif(base / "morph-mine.gif")  # the user's own file, not in the manifest
    manifest = json.loads((base / "manifest.json").read_text())
    for name in ("morph-9000-9001.gif", "morph-9000-9001.webp", "feedback.png", hostile):
        manifest["files"][name] = {"size": (base / name).stat().st_size, "sha256": ""}
    manifest["files"]["morph-gone.gif"] = {"size": 1, "sha256": ""}  # listed but deleted
    files.write_json(base / "manifest.json", manifest)

    assert [f.path for f in extra_figures(base)] == [
        hostile,
        "morph-9000-9001.gif",
        "feedback.png",
    ]
    rf = loads_recipe(RECIPE, "recipes/fake-run.toml")
    summary = json.loads((out / "summary.json").read_text())
    page = write_recipe_index(rf, out, list(rf.variants), summary)
    write_root_index(tmp_path)
    text = page.read_text(encoding="utf-8")
    links = _links_resolve(page)
    assert "base/morph-9000-9001.gif" in links and "base/feedback.png" in links
    assert "base/morph-9000-9001.webp" in links  # the same art in another format, linked
    assert not any("morph-mine" in x or "morph-gone" in x for x in links)
    assert "<i>x" not in text and "&lt;i&gt;x" in text
    p = Page(text)
    morph = p.all("img", src="base/morph-9000-9001.gif")[0]
    assert "px" in morph["class"] and morph["width"] == "48" and morph["data-u"] == "1"
    assert p.all("img", src="base/feedback.png")[0]["width"] == "96"
    assert not [a for a in p.tags if a[1].get("src", "").startswith("short/morph")]


def test_every_template_autoescapes() -> None:
    from punkforge.gallery import templating as jinja

    env = jinja.environment()
    names = [n for n in env.list_templates() if n.endswith(".html.j2")]
    assert {"frame.html.j2", "recipe.html.j2", "root.html.j2", "series.html.j2"} <= set(names)
    for name in names:
        assert env.get_template(name).environment.autoescape is True
    macros = env.get_template("macros.html.j2").module
    html = str(macros.img({"src": "a.png", "alt": HOSTILE, "width": 1, "height": 1,
                           "unit": 0, "zoom": 1}))  # fmt: skip
    assert HOSTILE not in html and "&lt;script&gt;" in html


def test_templates_are_package_data() -> None:
    """The templates ship inside the package, and pyproject's package-data covers each."""
    import fnmatch
    import tomllib
    from importlib.resources import files as resources

    folder = resources("punkforge.gallery") / "templates"
    names = sorted(t.name for t in folder.iterdir() if t.is_file())
    for needed in ("frame.html.j2", "layout.css", "content.css", "theme.css", "fit.js", "sort.js"):
        assert needed in names
    pyproject = ROOT / "pyproject.toml"
    globs = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-data"][
        "punkforge.gallery"
    ]
    for name in names:
        assert any(fnmatch.fnmatch(f"templates/{name}", g) for g in globs), name


def test_pages_fetch_nothing_and_inline_their_styles(run: Path) -> None:
    for page in _pages(run):
        text = page.read_text(encoding="utf-8")
        assert "{%" not in text and "{{" not in text  # every template tag was rendered
        assert "<style>" in text and "image-rendering: pixelated" in text
        assert "function fitPixels" in text
        assert "@import" not in text and "url(" not in text


def test_charts_scale_to_their_box(run: Path) -> None:
    p = Page((run / "index.html").read_text(encoding="utf-8"))
    svgs = p.all("svg")
    assert len(svgs) == 1 + len(VAL_LOSS)  # the compare chart and one per card
    for svg in svgs:
        assert "chart" in svg["class"] and svg["viewbox"].startswith("0 0 ")
        assert "width" not in svg and "height" not in svg  # the stylesheet sizes them


def test_tick_labels_differ() -> None:
    from punkforge.gallery.charts import _tick_label

    assert [_tick_label(t, 0.025) for t in (0.6, 0.625, 0.65)] == ["0.600", "0.625", "0.650"]
    assert _tick_label(0.3, 0.1) == "0.3"
    assert _tick_label(4.0, 2.0) == "4"
