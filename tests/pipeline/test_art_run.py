"""Art from a trained network: morphs, feedback and bends through `punkforge run` (slow).

A tiny real network trained once (module fixture); the devolve step's arrays,
an [art]-only change that re-devolves without training, and `render` drawing
the art without TensorFlow. The pixels: rendering/test_art_images.py; the
recipe keys: recipe/test_art_section.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from punkforge.pipeline.output_folder import TRAIN_DIR

SLOW_RECIPE = """
name = "art"
[data]
color = "rgba"
train_limit = 300
test_limit = 40
[train]
epochs = 2
[render]
sample = 8
palette = "own"
[render.poster]
dpi = 40
[render.series]
scale = 2
[art]
morph = [[9003, 9001]]
morph_steps = 5
feedback = 3
"""


@pytest.fixture(scope="module")
def art_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("art")
    path = tmp / "art.toml"
    path.write_text(SLOW_RECIPE)
    res = run_cli("run", path, "--out", tmp / "out", timeout=600)
    assert res.returncode == 0, res.stderr
    return path, tmp / "out" / "art"


@pytest.mark.slow
def test_morph_and_feedback_start_from_the_devolved_punks(art_run: tuple[Path, Path]) -> None:
    _, out = art_run
    v = out / "base"
    dev = np.load(v / "devolved.npz")
    art = np.load(v / "art.npz")
    ids = list(dev["ids"])
    morph = art["morph"][0]
    assert morph.shape == (5, 24, 24, 4)
    assert np.array_equal(morph[0], dev["devolved"][ids.index(9003)])
    assert np.array_equal(morph[-1], dev["devolved"][ids.index(9001)])
    assert not np.array_equal(morph[2], morph[0])
    fb = art["feedback"]
    assert fb.shape == (3, 8, 24, 24, 4)
    assert np.array_equal(fb[0], dev["devolved"][:8])
    assert not np.array_equal(fb[2], fb[0])
    for name in ("morph-9003-9001.gif", "feedback.png", "feedback.gif"):
        assert (v / name).is_file(), name
    manifest = json.loads((v / "manifest.json").read_text())
    assert {"morph-9003-9001.gif", "feedback.png", "feedback.gif", "art.npz"} <= set(
        manifest["files"]
    )


@pytest.mark.slow
def test_art_only_change_does_not_train(art_run: tuple[Path, Path]) -> None:
    path, out = art_run
    stores = out / TRAIN_DIR
    before = {p: p.stat().st_mtime_ns for p in stores.rglob("*") if p.is_file()}
    assert before
    dev = np.load(out / "base" / "devolved.npz")["devolved"]
    res = run_cli(
        "run", path, "--out", out.parent,
        "--set", 'art.bend=[{layer = "decoder.1", op = "scale", value = 1.0}]',
        "--set", "art.morph=[]", timeout=600,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "training 2 epochs" not in res.stderr and "devolving" in res.stderr
    after = {p: p.stat().st_mtime_ns for p in stores.rglob("*") if p.is_file()}
    assert after == before
    # a bend of scale 1.0 changes nothing
    assert np.array_equal(np.load(out / "base" / "devolved.npz")["devolved"], dev)
    assert not list((out / "base").glob("morph-*"))  # no longer asked for
    res = run_cli(
        "run", path, "--out", out.parent,
        "--set", 'art.bend=[{layer = "decoder.0", op = "invert"}]', "--set", "art.morph=[]",
        timeout=600,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert not np.array_equal(np.load(out / "base" / "devolved.npz")["devolved"], dev)
    assert {p: p.stat().st_mtime_ns for p in stores.rglob("*") if p.is_file()} == before


@pytest.mark.slow
def test_render_draws_art_without_tensorflow(art_run: tuple[Path, Path]) -> None:
    path, out = art_run
    res = run_cli("run", path, "--out", out.parent, timeout=600)  # back to the recipe's own [art]
    assert res.returncode == 0, res.stderr
    v = out / "base"
    gif = v / "morph-9003-9001.gif"
    gif.unlink()
    res = run_cli(
        "render", out, "--set", 'render.palette=["#000000", "#ff4400"]',
        timeout=300, block=("tensorflow", "keras"),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr + res.stdout
    assert gif.is_file()
    from PIL import Image

    # the devolved-only poster: punks black or orange on the white page, black caption
    with Image.open(v / "poster.png") as im:
        colors = {c for _, c in im.convert("RGB").getcolors(1 << 20)}
    assert colors == {(0, 0, 0), (255, 68, 0), (255, 255, 255)}
    with Image.open(gif) as im:
        assert im.n_frames == 5
