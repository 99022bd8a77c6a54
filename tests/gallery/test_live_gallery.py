"""The live page (`pipeline/live_gallery.py`, `gallery/live.py`), driven by its hooks.

No training and no TensorFlow: the progress hooks are called as the driver calls
them, and the page is read back after each. The real runs observed from outside
are in `test_live_gallery_runs.py`.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from punkforge import tree_guard
from punkforge.pipeline import live_gallery
from punkforge.pipeline.live_gallery import LiveGallery, live_page
from punkforge.pipeline.progress import NullUI, ProgressUI, RichUI
from punkforge.recipe.loader import loads_recipe
from punkforge.training.store import training_key

RECIPE = """
name = "live"
title = "Live <b>punks</b>"
[train]
epochs = 3
[render]
sample = 4
[variants.short]
train.epochs = 2
[variants.wide]
model.encoder = [ { filters = 8, kernel = 5 } ]
model.decoder = [ { filters = 8, kernel = 5 } ]
"""


class Recorder(NullUI):
    """The null display, remembering which hooks reached it."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.pages: list[Path] = []

    def step(self, text: str) -> None:
        self.calls.append(f"step {text}")

    def group_epoch(self, key: str, epoch: int, row: dict[str, float]) -> None:
        self.calls.append(f"epoch {epoch}")

    def gallery_started(self, recipe: str, page: Path) -> None:
        self.pages.append(page)


def _page(out: Path) -> str:
    return (out / "index.html").read_text(encoding="utf-8")


def _states(html: str) -> dict[str, str]:
    return dict(re.findall(r'<article class="card" id="v-([^"]+)" data-state="([a-z]+)"', html))


@pytest.fixture
def started(tmp_path: Path) -> Any:
    rf = loads_recipe(RECIPE, "recipes/live.toml")
    out = tmp_path / rf.name
    out.mkdir()
    plans = {"base": "train", "short": "train", "wide": "train"}
    inner = Recorder()
    with tree_guard.output_tree(out):
        live = LiveGallery(inner, rf, out, list(rf.variants), plans)
        live.start()
        yield SimpleNamespace(rf=rf, out=out, live=live, inner=inner)


def test_the_page_exists_at_once_and_reloads_itself(started: Any) -> None:
    out, inner = started.out, started.inner
    html = _page(out)
    assert inner.pages == [out / "index.html"]
    assert _states(html) == {"base": "queued", "short": "queued", "wide": "queued"}
    assert '<meta http-equiv="refresh" content="4">' in html
    assert "running" in html and "last updated" in html
    assert "<b>punks</b>" not in html  # the title is user text: escaped
    assert re.search(r'data-updated="\d{13}"', html)  # the script compares it with the clock


def test_epochs_arrive_and_the_page_follows(started: Any) -> None:
    rf, out, live, inner = started.rf, started.out, started.live, started.inner
    base, short, _ = rf.variants
    key = training_key(base.recipe)
    assert training_key(short.recipe) == key  # they share a store: one group
    live.group_start(key, "base, short", 0, 3)
    assert _states(_page(out))["base"] == "queued"  # held back by the pool until a batch runs
    live.group_progress(key, 1, 3, 10, 0.5)
    live.group_sample(key, 1, np.full((4, 24, 24, 1), 200, np.uint8))
    (out / "base").mkdir()
    live.group_epoch(key, 1, {"epoch": 1, "loss": 0.5, "val_loss": 0.4, "seconds": 2.0})
    html = _page(out)
    assert _states(html) == {"base": "training", "short": "training", "wide": "queued"}
    assert '<b class="epoch">1/3</b>' in html and '<b class="epoch">1/2</b>' in html
    assert html.count("data:image/png;base64,") == 2  # base's and short's sample grid
    assert "sample, epoch 1" in html and "time left" in html
    assert inner.calls.count("epoch 1") == 1  # every hook reaches the terminal display too
    for epoch in (2, 3):
        live.group_sample(key, epoch, np.full((4, 24, 24, 1), 100, np.uint8))
        live.group_epoch(key, epoch, {"epoch": epoch, "loss": 0.3, "val_loss": 0.3, "seconds": 2})
    html = _page(out)
    assert '<b class="epoch">3/3</b>' in html and '<b class="epoch">2/2</b>' in html
    assert "sample, epoch 3" in html and "sample, epoch 2" in html  # short keeps its own last
    live.group_end(key)
    assert _states(_page(out))["base"] == "rendering"
    for name in ("poster-thumb.png", "poster.png"):
        (out / "base" / name).write_bytes(b"\x89PNG fake")
    live.variant_done("live", "base", {})
    live.variant_failed("live", "wide", "NaN loss <in> epoch 2")
    html = _page(out)
    assert '<a href="base/poster.png">poster</a>' in html  # beside its last sample grid
    assert _states(html) == {"base": "done", "short": "rendering", "wide": "failed"}
    assert "NaN loss &lt;in&gt; epoch 2" in html


@pytest.mark.parametrize(
    ("status", "says"), [("finished", "the run has ended"), ("interrupted", "Run the same")]
)
def test_the_end_stops_the_reload_and_hands_the_page_over(
    started: Any, status: str, says: str
) -> None:
    out, live = started.out, started.live
    live.end(status)
    html = _page(out)
    assert 'http-equiv="refresh"' not in html and 'id="stale"' not in html
    assert f'data-status="{status}"' in html and says in html
    (out / "index.html").write_text("the final gallery")  # write_recipe_level, next
    live.step("cleaning up")  # a later hook never brings the live page back
    live.variant_done("live", "base", {})
    assert _page(out) == "the final gallery"


def test_live_page_ends_as_the_run_ends(tmp_path: Path) -> None:
    rf = loads_recipe(RECIPE, "recipes/live.toml")
    out = tmp_path / rf.name
    out.mkdir()
    plans = {"base": "train", "short": "skip", "wide": "render"}
    with tree_guard.output_tree(out):
        with (
            pytest.raises(KeyboardInterrupt),
            live_page(NullUI(), rf, out, rf.variants, plans) as ui,
        ):
            assert isinstance(ui, LiveGallery)
            assert _states(_page(out)) == {"base": "queued", "short": "done", "wide": "queued"}
            raise KeyboardInterrupt
        assert 'data-status="interrupted"' in _page(out)
        with pytest.raises(RuntimeError), live_page(NullUI(), rf, out, rf.variants, plans):
            raise RuntimeError("boom")
        assert 'data-status="stopped"' in _page(out)
        with live_page(NullUI(), rf, out, rf.variants, plans):
            pass
        assert 'data-status="finished"' in _page(out)
        # nothing to do, nothing to watch: no page, the display itself
        (out / "index.html").unlink()
        skip = dict.fromkeys(plans, "skip")
        with live_page(ui := NullUI(), rf, out, rf.variants, skip) as shown:
            assert shown is ui
        assert not (out / "index.html").exists()


def test_a_broken_page_never_stops_the_run(started: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    live, inner = started.live, started.inner

    def broken(*args: Any) -> None:
        raise ValueError("template trouble")

    monkeypatch.setattr(live_gallery, "write_live_page", broken)
    live.variant_failed("live", "wide", "x")
    live.variant_failed("live", "base", "y")
    assert [c for c in inner.calls if "live page" in c] == [
        "step the live page stopped updating: template trouble"
    ]


def test_every_hook_is_written_out() -> None:
    hooks = {name for name in vars(ProgressUI) if not name.startswith("_")}
    assert {"group_sample", "gallery_started"} <= hooks
    for cls in (NullUI, RichUI, LiveGallery):
        assert all(name in vars(cls) for name in hooks), cls


def test_run_open_opens_the_live_page_once(tmp_path: Path) -> None:
    import io

    from rich.console import Console

    opened: list[Path] = []
    ui = RichUI(Console(file=io.StringIO()), on_gallery=opened.append)
    ui.gallery_started("a", tmp_path / "a" / "index.html")
    ui.gallery_started("b", tmp_path / "b" / "index.html")
    assert opened == [tmp_path / "a" / "index.html"] and ui.opened == opened[0]


def test_the_outputs_index_lists_a_first_run_while_it_lives(started: Any) -> None:
    out, live = started.out, started.live
    root = (out.parent / "index.html").read_text(encoding="utf-8")
    assert 'href="live/index.html"' in root and "first run" in root  # no summary.json yet
    assert "Nothing rendered yet" not in root
    live.end("interrupted")  # nothing finished: the root page no longer promises it
    root = (out.parent / "index.html").read_text(encoding="utf-8")
    assert 'href="live/index.html"' not in root and "Nothing rendered yet" in root


def test_a_finished_recipe_is_listed_once_from_its_summary(tmp_path: Path) -> None:
    from punkforge import files
    from punkforge.gallery.pages import write_root_index

    (tmp_path / "live").mkdir()
    files.write_json(tmp_path / "live" / "summary.json", {"recipe": "live", "variants": {}})
    text = write_root_index(tmp_path, {"live": "Live", "other": "Other"}).read_text()
    assert text.count('href="live/index.html"') == 2  # title and "Open gallery": one entry
    assert "first run" in text and 'href="other/index.html"' in text
