"""Art from a trained network: palettes, morphs, feedback, bends and their recipes.

The fast tests use synthetic arrays and recipe text; the slow ones train a
tiny real network once (module fixture) and check the devolve step's arrays
and that an [art]-only change re-devolves without training.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

from punkforge.errors import RecipeError
from punkforge.pipeline.output_folder import TRAIN_DIR
from punkforge.recipe.loader import loads_recipe
from punkforge.rendering.art_images import make_feedback_sheet, paletted
from punkforge.rendering.palette import image_colors, oklab, parse_palette, snap, snap_own

rng = np.random.default_rng(0)


def colors_of(images: np.ndarray) -> set[tuple[int, ...]]:
    rgb = np.repeat(images, 3, -1) if images.shape[-1] == 1 else images[..., :3]
    return {tuple(c) for c in rgb.reshape(-1, 3).tolist()}


# ---------------------------------------------------------------- palettes


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_every_snapped_colour_is_in_the_palette(channels: int) -> None:
    images = rng.integers(0, 256, (5, 24, 24, channels), dtype=np.uint8)
    palette = parse_palette(["#ff0000", "#00ff00", "#0000ff", "#101010", "#fafafa"])
    out = snap(images, palette)
    assert out.dtype == np.uint8 and out.shape[:3] == images.shape[:3]
    assert colors_of(out) <= {tuple(c) for c in palette.tolist()}
    if channels == 4:
        assert set(np.unique(out[..., 3]).tolist()) <= {0, 255}
        assert np.array_equal(out[..., 3] == 255, images[..., 3] >= 128)


def test_snap_picks_the_perceptually_nearest_colour() -> None:
    palette = parse_palette(["#000000", "#ffffff", "#ff0000"])
    pixels = np.array([[[[250, 250, 250], [20, 10, 10], [230, 30, 20]]]], np.uint8)
    out = snap(pixels, palette)
    assert out.reshape(-1, 3).tolist() == [[255, 255, 255], [0, 0, 0], [255, 0, 0]]
    # palette colours map to themselves, and OKLab puts white at L = 1
    assert np.array_equal(snap(palette[None, None], palette), palette[None, None])
    assert oklab(np.array([255, 255, 255], np.uint8))[0] == pytest.approx(1.0, abs=1e-4)


def test_grey_stays_grey_on_a_grey_palette_and_turns_rgb_on_colours() -> None:
    grey = rng.integers(0, 256, (2, 24, 24, 1), dtype=np.uint8)
    out = snap(grey, parse_palette(["#000000", "#808080", "#ffffff"]))
    assert out.shape == grey.shape and set(np.unique(out).tolist()) <= {0, 128, 255}
    assert snap(grey, parse_palette(["#1d1a31", "#f08cae"])).shape == (2, 24, 24, 3)


def test_none_leaves_pixels_untouched() -> None:
    images = rng.integers(0, 256, (3, 24, 24, 4), dtype=np.uint8)
    out = paletted("none", images, images, None)
    assert out is images


def test_own_snaps_each_punk_to_its_own_colours() -> None:
    originals = np.zeros((2, 24, 24, 4), np.uint8)
    originals[0, ..., :3], originals[0, :12, :, 3] = (200, 40, 40), 255
    originals[1, ..., :3], originals[1, :, :12, 3] = (30, 60, 220), 255
    devolved = rng.integers(0, 256, originals.shape, dtype=np.uint8)
    out = snap_own(devolved, originals)
    assert colors_of(out[0]) == {(200, 40, 40)} and colors_of(out[1]) == {(30, 60, 220)}
    assert [len(image_colors(o)) for o in originals] == [1, 1]  # invisible pixels do not count
    # over snapshot-like arrays (E, S, ...): the same punk's colours in every epoch
    snaps = np.stack([devolved, devolved[::-1]])
    assert colors_of(paletted("own", snaps, originals, None)[1, 0]) == {(200, 40, 40)}


def test_source_uses_the_stored_training_colours() -> None:
    from punkforge.training.network_art import training_colors

    train = rng.integers(0, 4, (10, 24, 24, 3), dtype=np.uint8) * 80
    source = training_colors(train)
    assert len(source) == 64
    out = paletted("source", rng.integers(0, 256, (4, 24, 24, 3), dtype=np.uint8), train, source)
    assert colors_of(out) <= {tuple(c) for c in source.tolist()}
    many = rng.integers(0, 256, (4, 24, 24, 3), dtype=np.uint8)  # ~2300 colours: capped
    capped = training_colors(many)
    assert 200 <= len(capped) <= 256 and capped.dtype == np.uint8


def test_feedback_sheet_has_a_column_per_generation() -> None:
    originals = rng.integers(0, 256, (3, 24, 24, 1), dtype=np.uint8)
    gens = rng.integers(0, 256, (4, 3, 24, 24, 3), dtype=np.uint8)
    sheet = make_feedback_sheet(originals, gens, "#ffffff")
    assert sheet.dtype == np.uint8 and sheet.shape[2] == 3
    assert sheet.shape[1] > 5 * 96 and sheet.shape[0] > 3 * 96


# ---------------------------------------------------------------- recipes


def recipe(text: str) -> object:
    return loads_recipe('name = "t"\n' + text).variants[0].recipe


def test_art_fields_load_and_round_trip() -> None:
    r = recipe(
        '[render]\npalette = ["#ff0000", "#00ff00"]\n[art]\nmorph = [[9000, 9001]]\n'
        'feedback = 3\nbend = [{ layer = "decoder.1", op = "scale", value = 1.5 }]\n'
    )
    assert r.render.palette == ("#ff0000", "#00ff00")  # type: ignore[attr-defined]
    assert r.art.morph == ((9000, 9001),) and r.art.bend[0].value == 1.5  # type: ignore[attr-defined]


NONSQUARE = (
    "[model]\nencoder = [{ filters = 4, kernel = [3, 5] }, { filters = 4 }, { filters = 4 }]\n"
    "decoder = [{ filters = 4 }, { filters = 4 }, { filters = 4, kernel = [3, 5] }]\n"
)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[art]\nmorph = [[9000, 12000]]', ["art.morph[0]", "12000", "9000 to 9999"]),
        ('[data]\ntest_limit = 10\n[render]\nsample = 4\n[art]\nmorph = [[9000, 9010]]', ["9000 to 9009"]),  # noqa: E501
        ('[art]\nbend = [{ layer = "decoder.7", op = "invert" }]', ["decoder.7", "encoder.0 to encoder.2"]),  # noqa: E501
        ('[art]\nbend = [{ layer = "encoder.0", op = "ablate", channels = [40] }]', ["32 filters"]),
        ('[art]\nbend = [{ layer = "encoder.0", op = "scale" }]', ["needs value"]),
        ('[art]\nbend = [{ layer = "encoder.0", op = "rotate", value = 45 }]', ["90, 180 or 270"]),
        (NONSQUARE + '[art]\nbend = [{ layer = "encoder.2", op = "rotate", value = 90 }]', ["18x16", "square"]),  # noqa: E501
        ("[data]\ntest_limit = 1000\n[render]\nsample = 1000\n[art]\nfeedback = 64", ["art.feedback", "GiB", "limit"]),  # noqa: E501
        ('[render]\npalette = "sauce"', ['"source"']),
        ('[render]\npalette = ["#ff00zz"]', ["render.palette[0]"]),
    ],
)  # fmt: skip
def test_bad_art_is_refused_up_front(text: str, words: list[str]) -> None:
    with pytest.raises(RecipeError) as err:
        recipe(text)
    for w in words:
        assert w in str(err.value), str(err.value)


def test_bad_morph_id_exits_2_from_the_cli(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text('name = "t"\n[art]\nmorph = [[9000, 123]]\n')
    res = subprocess.run(
        [sys.executable, "-m", "punkforge", "run", str(path), "--out", str(tmp_path / "o")],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )  # fmt: skip
    assert res.returncode == 2 and "123" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------- real network

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


def punkforge(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "punkforge", *map(str, args)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
    )  # fmt: skip


@pytest.fixture(scope="module")
def art_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("art")
    path = tmp / "art.toml"
    path.write_text(SLOW_RECIPE)
    res = punkforge("run", path, "--out", tmp / "out")
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
    res = punkforge(
        "run", path, "--out", out.parent,
        "--set", 'art.bend=[{layer = "decoder.1", op = "scale", value = 1.0}]',
        "--set", "art.morph=[]",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "training 2 epochs" not in res.stderr and "devolving" in res.stderr
    after = {p: p.stat().st_mtime_ns for p in stores.rglob("*") if p.is_file()}
    assert after == before
    # a bend of scale 1.0 changes nothing
    assert np.array_equal(np.load(out / "base" / "devolved.npz")["devolved"], dev)
    assert not list((out / "base").glob("morph-*"))  # no longer asked for
    res = punkforge(
        "run", path, "--out", out.parent,
        "--set", 'art.bend=[{layer = "decoder.0", op = "invert"}]', "--set", "art.morph=[]",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert not np.array_equal(np.load(out / "base" / "devolved.npz")["devolved"], dev)
    assert {p: p.stat().st_mtime_ns for p in stores.rglob("*") if p.is_file()} == before


@pytest.mark.slow
def test_render_draws_art_without_tensorflow(art_run: tuple[Path, Path]) -> None:
    path, out = art_run
    res = punkforge("run", path, "--out", out.parent)  # back to the recipe's own [art]
    assert res.returncode == 0, res.stderr
    v = out / "base"
    gif = v / "morph-9003-9001.gif"
    gif.unlink()
    code = (
        "import sys; sys.modules['tensorflow'] = None; sys.modules['keras'] = None; "
        "from punkforge.cli import main; sys.argv = ['punkforge'] + sys.argv[1:]; main()"
    )
    res = subprocess.run(
        [sys.executable, "-c", code, "render", str(out), "--set", 'render.palette=["#000000", "#ff4400"]'],  # noqa: E501
        capture_output=True, text=True, cwd=ROOT, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"},
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
