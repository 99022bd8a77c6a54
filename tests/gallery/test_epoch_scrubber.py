"""Epoch 0 and the epoch scrubber (issue 19, items 1 and 3).

The training store records the untrained network's sample as epoch 0 beside
the trained epochs; a store made without it still reads from epoch 1; the
progress animation starts at epoch 0 unless `render.gif.epoch0 = false`;
`epochs.png` holds every recorded epoch's sample and `<variant>/index.html`
steps through them, its view in the URL fragment. The slow tests train for
real (epoch 0 leaves the trained weights byte-identical; a store made before
epoch 0 existed renders from epoch 1 and is not retrained) and open a page in
headless Chromium when it is installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli, write_recipe
from PIL import Image

from punkforge import files
from punkforge.gallery.variant_page import write_variant_page
from punkforge.recipe.loader import read_recipe_file
from punkforge.recipe.sections import GifConfig, Recipe
from punkforge.rendering.animation import make_gif_frames, select_epochs
from punkforge.rendering.compositing import to_rgb
from punkforge.rendering.epoch_sprite import make_epoch_sprite, save_epoch_sprite
from punkforge.training.store import (
    EPOCH0,
    EpochResult,
    StoreState,
    commit_epoch,
    has_epoch0,
    heal_store,
    read_snapshots,
    read_state,
)

TINY = """
name = "tiny"
[data]
train_limit = 256
test_limit = 16
[train]
epochs = 3
[render]
sample = 9
[render.poster]
paper = "A5"
dpi = 60
[render.series]
scale = 1
"""


def snaps(epochs: int, sample: int = 4, channels: int = 1, seed: int = 0) -> np.ndarray:
    """(epochs, sample, 24, 24, channels) uint8, different for every epoch."""
    return np.random.default_rng(seed).integers(0, 256, (epochs, sample, 24, 24, channels),
                                                dtype=np.uint8)  # fmt: skip


def result(epoch: int, snapshot: np.ndarray) -> EpochResult:
    if epoch == 0:
        return EpochResult(0, [], [], snapshot, {"epoch": 0})
    w = [np.full((3,), epoch, np.float32)]
    row = {"epoch": epoch, "loss": 1.0 / epoch, "val_loss": 1.0 / epoch, "seconds": 0.1}
    return EpochResult(epoch, w, [np.zeros(2, np.float32)], snapshot, row)


def fill_store(store: Path, images: np.ndarray, epoch0: bool) -> StoreState:
    """Commit images[0] as epoch 0 (when epoch0) and images[1:] as epochs 1..N."""
    store.mkdir(parents=True, exist_ok=True)
    state = StoreState()
    for e in range(0 if epoch0 else 1, len(images)):
        state = commit_epoch(store, state, result(e, images[e]), images.shape[1])
    return state


# ---------------------------------------------------------------- the store


def test_the_store_records_epoch_0_beside_the_trained_epochs(tmp_path: Path) -> None:
    images = snaps(4)
    state = fill_store(tmp_path, images, epoch0=True)
    assert state.epoch == 3 and has_epoch0(state)
    assert [h["epoch"] for h in state.history] == [1, 2, 3]  # epoch 0 has no history row
    recorded = json.loads((tmp_path / "state.json").read_text())
    assert EPOCH0 == "snapshot-0000.npz" and EPOCH0 in recorded["files"]
    assert not (tmp_path / "weights-0000.npz").exists()  # only a picture
    epochs, got = read_snapshots(tmp_path, 3)
    assert epochs.tolist() == [0, 1, 2, 3]
    assert np.array_equal(got, images)
    assert heal_store(tmp_path) == (read_state(tmp_path), None)


def test_a_store_made_without_epoch_0_reads_from_epoch_1(tmp_path: Path) -> None:
    images = snaps(4)
    state = fill_store(tmp_path, images, epoch0=False)
    assert not has_epoch0(state)
    assert heal_store(tmp_path)[1] is None  # nothing is missing: no note, no rollback
    epochs, got = read_snapshots(tmp_path, 3)
    assert epochs.tolist() == [1, 2, 3]
    assert np.array_equal(got, images[1:])


def test_a_damaged_epoch_0_alone_is_dropped(tmp_path: Path) -> None:
    fill_store(tmp_path, snaps(3), epoch0=True)
    (tmp_path / EPOCH0).write_bytes(b"not an npz")
    state, note = heal_store(tmp_path)
    assert note is not None and EPOCH0 in note and "epoch 2" in note
    assert state.epoch == 2 and not has_epoch0(state)  # the trained epochs stay
    assert not (tmp_path / EPOCH0).exists()
    assert read_snapshots(tmp_path, 2)[0].tolist() == [1, 2]


def test_a_store_killed_after_epoch_0_keeps_it_and_its_sample(tmp_path: Path) -> None:
    state = fill_store(tmp_path, snaps(1, sample=5), epoch0=True)
    again = read_state(tmp_path)
    assert (again.epoch, again.sample, has_epoch0(again)) == (0, 5, True) == (
        state.epoch, state.sample, has_epoch0(state))  # fmt: skip


# ---------------------------------------------------------------- the animation


def test_select_epochs_takes_epoch_0_unless_told_not_to() -> None:
    assert select_epochs([0, 1, 2, 3], 3, 1) == [0, 1, 2, 3]
    assert select_epochs([0, 1, 2, 3], 3, 1, epoch0=False) == [1, 2, 3]
    assert select_epochs([0, 2, 4, 5], 5, 2) == [0, 1, 2, 3]
    assert select_epochs([1, 2, 3], 3, 1) == [0, 1, 2]  # a store without epoch 0


def test_the_progress_animation_starts_at_epoch_0(tmp_path: Path) -> None:
    images = snaps(3, sample=9)
    on = make_gif_frames(images, [0, 1, 2], 2, GifConfig(scale=2), "#ffffff")
    off = make_gif_frames(images, [0, 1, 2], 2, GifConfig(scale=2, epoch0=False), "#ffffff")
    assert (len(on), len(off)) == (3, 2)
    assert np.array_equal(on[1], off[0]) and np.array_equal(on[2], off[1])
    # the first frame's grid is epoch 0's sample, scaled by 2, inside a 2-pixel gutter
    g = 2 * 2
    assert np.array_equal(on[0][g : g + 48 : 2, g : g + 48 : 2], to_rgb(images[0, 0], "#ffffff"))
    # with the same pictures, frames 0 and 1 differ only in their labels: "epoch 0/2"
    same = np.stack([images[1], images[1]])
    a, b = make_gif_frames(same, [0, 1], 1, GifConfig(scale=2), "#ffffff")
    assert a.shape == b.shape and not np.array_equal(a, b)
    rows = np.flatnonzero((a != b).any(axis=(1, 2)))
    assert rows.min() >= g + 3 * 48 + 2 * g  # below the grid: the label band


# ---------------------------------------------------------------- the sprite and page


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_the_sprite_has_a_row_per_epoch_and_a_column_per_image(
    tmp_path: Path, channels: int
) -> None:
    images = snaps(5, sample=3, channels=channels)
    sprite = make_epoch_sprite(images, "#102030")
    assert sprite.shape == (5 * 24, 3 * 24, 3)
    for e in range(5):
        for i in range(3):
            tile = sprite[e * 24 : (e + 1) * 24, i * 24 : (i + 1) * 24]
            assert np.array_equal(tile, to_rgb(images[e, i], "#102030"))
    path = save_epoch_sprite(images, "#102030", tmp_path)
    with Image.open(path) as im:
        assert im.mode == ("L" if channels == 1 else "RGB")
        assert np.array_equal(np.asarray(im.convert("RGB")), sprite)


def a_recipe(tmp_path: Path, text: str = TINY) -> Recipe:
    return read_recipe_file(write_recipe(tmp_path, text), []).variants[0].recipe


def page_data(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="scrub-data">(.*?)</script>', html, re.S)
    assert m, "the page lost its data block"
    return json.loads(m.group(1))


def write_page(folder: Path, r: Recipe, epochs: list[int], ids: list[int]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    images = snaps(len(epochs), sample=len(ids))
    save_epoch_sprite(images, r.render.poster.background, folder)
    path = write_variant_page(folder, r, "base", epochs, ids, (24, 24))
    return path.read_text(encoding="utf-8")


def test_the_scrubber_page_holds_every_epoch_and_reads_the_fragment(tmp_path: Path) -> None:
    r = a_recipe(tmp_path)
    html = write_page(tmp_path / "base", r, [0, 1, 2, 3], [9000, 9001, 9005])
    data = page_data(html)
    assert data["epochs"] == [0, 1, 2, 3] and data["total"] == 3
    assert data["ids"] == ["9000", "9001", "9005"]
    assert data["sprite"] == "epochs.png" and data["tile"] == [24, 24]
    assert 'max="3"' in html and "epoch 3/3" in html  # the slider spans 0..3, opens at 3
    assert "from the untrained network (epoch 0)" in html
    # the JavaScript reads and writes the fragment, and follows it when it changes
    for needle in ("location.hash", "URLSearchParams", "p.get('epoch')", "p.get('punk')",
                   "'#epoch='", "'&punk='", "hashchange", "ArrowRight", "ArrowLeft"):  # fmt: skip
        assert needle in html, needle
    assert "image-rendering: pixelated" in html and "imageSmoothingEnabled = false" in html
    # self-contained: nothing from the network
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "@import" not in html and "<link" not in html


def test_a_page_without_epoch_0_and_a_folder_of_images(tmp_path: Path) -> None:
    r = a_recipe(tmp_path)
    html = write_page(tmp_path / "base", r, [1, 2, 3], [9000, 9001])
    assert page_data(html)["epochs"] == [1, 2, 3]
    assert "untrained network" not in html
    data = page_data(write_page(tmp_path / "b", r, [0, 3], ["cat", "dog"]))  # file stems
    assert data["ids"] == ["cat", "dog"]


# ---------------------------------------------------------------- for real (slow)


@pytest.mark.slow
def test_epoch_0_leaves_the_trained_weights_byte_identical(tmp_path: Path) -> None:
    from punkforge.training.worker import GroupJob, TrainData, run_group

    r = a_recipe(tmp_path)
    rng = np.random.default_rng(1)
    x = rng.random((80, 24, 24, 1), dtype=np.float32)
    data = TrainData(x[:64], x[64:72], x[72:])

    def train(epoch0: bool) -> list:
        job = GroupJob("k", ["base"], r, 2, 8, epoch0=epoch0)
        return [i for i in run_group(job, data) if isinstance(i, EpochResult)]

    with_0, without = train(True), train(False)
    assert [i.epoch for i in with_0] == [0, 1, 2] and [i.epoch for i in without] == [1, 2]
    assert with_0[0].snapshot.shape == (8, 24, 24, 1) and with_0[0].weights == []
    for a, b in zip(with_0[1:], without, strict=True):
        assert all(x.tobytes() == y.tobytes() for x, y in zip(a.weights, b.weights, strict=True))
        assert a.snapshot.tobytes() == b.snapshot.tobytes()
    assert not np.array_equal(with_0[0].snapshot, with_0[1].snapshot)


def gif_frames(path: Path) -> int:
    with Image.open(path) as im:
        return im.n_frames


@pytest.mark.slow
def test_a_run_shows_epoch_0_and_an_old_store_renders_from_epoch_1(tmp_path: Path) -> None:
    recipe, out = write_recipe(tmp_path, TINY), tmp_path / "out"
    res = run_cli("run", recipe, "--out", out, timeout=600)
    assert res.returncode == 0, res.stderr
    folder = out / "tiny" / "base"
    (store,) = (out / "tiny" / ".train").iterdir()
    assert (store / EPOCH0).is_file()
    assert files.load_npz(folder / "snapshots.npz")["epochs"].tolist() == [0, 1, 2, 3]
    assert gif_frames(folder / "progress.gif") == 4
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {"epochs.png", "index.html"} <= set(manifest["files"])
    assert page_data((folder / "index.html").read_text())["epochs"] == [0, 1, 2, 3]
    with Image.open(folder / "epochs.png") as im:
        assert im.size == (9 * 24, 4 * 24)

    # the render-only key leaves epoch 0 out of the animation and the page, not the store
    res = run_cli("render", out / "tiny", "--set", "render.gif.epoch0=false")
    assert res.returncode == 0, res.stderr
    assert gif_frames(folder / "progress.gif") == 3
    assert page_data((folder / "index.html").read_text())["epochs"] == [1, 2, 3]
    assert files.load_npz(folder / "snapshots.npz")["epochs"].tolist() == [0, 1, 2, 3]
    assert (store / EPOCH0).is_file()

    # a store as punkforge wrote it before epoch 0: no snapshot-0000, not in state.json
    state = json.loads((store / "state.json").read_text())
    del state["files"][EPOCH0]
    (store / "state.json").write_text(json.dumps(state))
    (store / EPOCH0).unlink()
    before = {p.name: p.read_bytes() for p in store.iterdir()}

    res = run_cli("render", out / "tiny", "--set", "render.gif.epoch0=true",
                  "--set", "render.gif.frame_ms=150")  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert files.load_npz(folder / "snapshots.npz")["epochs"].tolist() == [1, 2, 3]
    assert gif_frames(folder / "progress.gif") == 3
    assert page_data((folder / "index.html").read_text())["epochs"] == [1, 2, 3]
    assert "epoch0 = true" in (folder / "recipe.toml").read_text()  # shown from 1: no epoch 0

    res = run_cli("run", recipe, "--out", out, timeout=600)  # no retraining for epoch 0
    assert res.returncode == 0, res.stderr
    assert {p.name: p.read_bytes() for p in store.iterdir()} == before
    assert gif_frames(folder / "progress.gif") == 3
    assert page_data((folder / "index.html").read_text())["epochs"] == [1, 2, 3]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(url: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         "--window-size=900,900", "--virtual-time-budget=3000", *args, url],
        capture_output=True, timeout=120,
    )  # fmt: skip


@pytest.mark.slow
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_chromium_opens_the_epoch_and_punk_the_fragment_names(tmp_path: Path) -> None:
    r = a_recipe(tmp_path)
    folder = tmp_path / "base"
    write_page(folder, r, [0, 1, 2, 3], [9000, 9001, 9005, 9007])
    url = (folder / "index.html").as_uri()
    dom = chromium(url + "#epoch=2&punk=9005", "--dump-dom").stdout.decode()
    assert re.search(r'<output id="scrub-label"[^>]*>epoch 2/3</output>', dom), dom[-2000:]
    assert "punk 9005 across 4 epochs" in dom
    now = re.findall(r'<figure[^>]*class="now"[^>]*>.*?<figcaption>(\d+)</figcaption>', dom)
    assert now == ["2"]  # the strip marks the epoch shown
    shots = {}
    for e in (0, 2):
        shot = tmp_path / f"epoch-{e}.png"
        res = chromium(f"{url}#epoch={e}&punk=9005", f"--screenshot={shot}")
        assert shot.is_file(), res.stderr.decode()[-2000:]
        shots[e] = np.asarray(Image.open(shot).convert("RGB"))
    assert len(np.unique(shots[2].reshape(-1, 3), axis=0)) > 50  # the punks are drawn
    assert not np.array_equal(shots[0], shots[2])  # another epoch, other pixels and label


@pytest.mark.parametrize("channels", [1, 3])
def test_the_epoch_sprite_remembers_its_recipe(tmp_path: Path, channels: int) -> None:
    from punkforge.rendering.epoch_sprite import save_epoch_sprite
    from punkforge.rendering.provenance import ImageProvenance, read_provenance

    made_by = ImageProvenance('name = "t"\n', "0.2.0", "cpunks10k", "base")
    rng = np.random.default_rng(channels)
    snaps = rng.integers(0, 256, (3, 4, 6, 5, channels), dtype=np.uint8)
    path = save_epoch_sprite(snaps, "#ffffff", tmp_path, made_by)
    assert read_provenance(path) == made_by
