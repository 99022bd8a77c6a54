"""The latent map and grid from a real (tiny) network: devolved, stored, redrawn (slow).

One tiny training run (module fixture) with `[art] map` and `grid`; then the
grid's corners are the four devolved punks, the map's points are the same
for the same recipe, an `[art]`-only change re-devolves without training,
and `punkforge render` redraws both pictures without TensorFlow.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli
from PIL import Image

from punkforge.pipeline.output_folder import TRAIN_DIR

RECIPE = """
name = "latent"
[data]
color = "rgb"
train_limit = 300
test_limit = 40
[train]
epochs = 2
[render]
sample = 8
[render.poster]
dpi = 40
formats = ["png", "tiff"]
[render.series]
scale = 2
[art]
map = true
grid = [9003, 9001, 9030, 9039]
grid_size = 4
"""
GRID = "grid-9003-9001-9030-9039.png"


punkforge = functools.partial(run_cli, timeout=600)  # `punkforge ARGS`


def store_times(out: Path) -> dict[Path, int]:
    return {p: p.stat().st_mtime_ns for p in (out / TRAIN_DIR).rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def latent_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("latent")
    path = tmp / "latent.toml"
    path.write_text(RECIPE)
    res = punkforge("run", path, "--out", tmp / "out")
    assert res.returncode == 0, res.stderr
    return path, tmp / "out" / "latent"


@pytest.mark.slow
def test_map_and_grid_are_devolved_drawn_and_listed(latent_run: tuple[Path, Path]) -> None:
    _, out = latent_run
    v = out / "base"
    dev = np.load(v / "devolved.npz")
    art = np.load(v / "art.npz")
    assert art["map_xy"].shape == (40, 2) and np.isfinite(art["map_xy"]).all()
    grid = art["grid"]
    assert grid.shape == (16, 24, 24, 3)
    assert list(art["grid_ids"]) == ["9003", "9001", "9030", "9039"]
    ids = list(dev["ids"])
    for cell, punk in zip((0, 3, 12, 15), (9003, 9001, 9030, 9039), strict=True):
        assert np.array_equal(grid[cell], dev["devolved"][ids.index(punk)])
    assert not np.array_equal(grid[5], grid[0])
    listed = set(json.loads((v / "manifest.json").read_text())["files"])
    assert {"map.png", "map.tiff", GRID, "art.npz"} <= listed
    page = (out / "index.html").read_text()
    assert "map.png" in page and GRID in page


@pytest.mark.slow
def test_an_art_only_change_never_retrains_and_the_same_recipe_gives_the_same_map(
    latent_run: tuple[Path, Path],
) -> None:
    path, out = latent_run
    before = store_times(out)
    assert before
    xy = np.load(out / "base" / "art.npz")["map_xy"]
    res = punkforge("run", path, "--out", out.parent, "--set", "art.map={ seed = 5 }")
    assert res.returncode == 0, res.stderr
    assert "training 2 epochs" not in res.stderr and "devolving" in res.stderr
    assert store_times(out) == before
    assert not np.array_equal(np.load(out / "base" / "art.npz")["map_xy"], xy)
    res = punkforge("run", path, "--out", out.parent)  # back to the recipe's own [art]
    assert res.returncode == 0, res.stderr
    assert store_times(out) == before
    assert np.array_equal(np.load(out / "base" / "art.npz")["map_xy"], xy)


@pytest.mark.slow
def test_render_redraws_map_and_grid_without_tensorflow(latent_run: tuple[Path, Path]) -> None:
    _, out = latent_run
    v = out / "base"
    before = np.asarray(Image.open(v / "map.png"))
    (v / "map.png").unlink()
    (v / GRID).unlink()
    res = run_cli("render", out, timeout=300, block=("tensorflow", "keras"))
    assert res.returncode == 0, res.stderr + res.stdout
    # same arrays, same paper: the same map (pixels: the ICC profile carries a date)
    assert np.array_equal(np.asarray(Image.open(v / "map.png")), before)
    assert (v / GRID).is_file()
