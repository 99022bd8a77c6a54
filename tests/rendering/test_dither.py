"""render.dither: ordered (Bayer) and error-diffusion dithering onto render.palette.

Tiny cases computed by hand (grey greys against black and white, where OKLab
lightness L of sRGB grey v is the cube root of v's linear light), then the
properties every method keeps: only palette colours come out, alpha stays 0 or
255, the same input gives the same pixels, a pixel that already is an ink never
moves. Last, the recipe side: the key, its refusal without a palette, and that a
change of dither alone is a re-render, never a retrain.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from conftest import make_finished, run_cli
from PIL import Image

from punkforge import files
from punkforge.errors import RecipeError
from punkforge.pipeline import runner
from punkforge.pipeline.plan import plan_variant
from punkforge.pipeline.progress import NullUI
from punkforge.recipe.loader import loads_recipe, read_recipe_file
from punkforge.recipe.plain_dicts import predict_dict, training_dict
from punkforge.recipe.sections import DITHERS, Recipe
from punkforge.rendering.art_images import ART, art_json, paletted, render_art
from punkforge.rendering.palette import bayer_matrix, oklab, parse_palette, snap, snap_own

rng = np.random.default_rng(20)
BW = parse_palette(["#000000", "#ffffff"])
INKS = parse_palette(["#1d1a31", "#9a4c95", "#f08cae", "#f5e6e8"])
METHODS = [d for d in DITHERS if d != "none"]
# the classic Bayer ranks: a flat tone t lights the cells with rank < t * n**2
RANK4 = np.array([[0, 8, 2, 10], [12, 4, 14, 6], [3, 11, 1, 9], [15, 7, 13, 5]])


def grey(v: int, h: int, w: int) -> np.ndarray:
    return np.full((h, w, 1), v, np.uint8)


def colors_of(images: np.ndarray) -> set[tuple[int, ...]]:
    rgb = np.repeat(images, 3, -1) if images.shape[-1] == 1 else images[..., :3]
    return {tuple(c) for c in rgb.reshape(-1, 3).tolist()}


# ---------------------------------------------------------------- ordered


def test_bayer_matrices_are_the_classic_ones() -> None:
    assert (bayer_matrix(2) * 4 - 0.5).tolist() == [[0, 2], [3, 1]]
    assert np.array_equal(bayer_matrix(4) * 16 - 0.5, RANK4)
    rank8 = bayer_matrix(8) * 64 - 0.5
    assert sorted(rank8.reshape(-1).tolist()) == list(range(64))
    assert np.array_equal(rank8[:4, :4], 4 * RANK4)  # each level refines the last


# sRGB grey v whose OKLab L is nearest k/16: L(99) = 0.4997, L(174) = 0.7508, ...
LEVELS = [(0, 0), (1, 1), (6, 2), (19, 3), (34, 4), (49, 5), (65, 6), (82, 7), (99, 8),
          (117, 9), (135, 10), (154, 11), (174, 12), (194, 13), (214, 14), (234, 15),
          (255, 16)]  # fmt: skip


@pytest.mark.parametrize(("v", "k"), LEVELS)
def test_bayer4_lights_exactly_the_cells_below_the_tone(v: int, k: int) -> None:
    assert oklab(np.array([v, v, v], np.uint8))[0] == pytest.approx(k / 16, abs=1 / 32)
    out = snap(grey(v, 8, 8), BW, "bayer4")[..., 0]
    want = np.where(np.tile(RANK4, (2, 2)) < k, 255, 0)  # the 4x4 tile, repeated
    assert np.array_equal(out, want)


def test_half_grey_under_bayer2_is_a_checkerboard() -> None:
    assert snap(grey(99, 2, 2), BW, "bayer2")[..., 0].tolist() == [[255, 0], [0, 255]]


def test_a_grey_ramp_under_bayer4() -> None:
    # columns: black, L 0.375 (6/16), L 0.75 (12/16), white; by hand from RANK4's
    # columns [8, 4, 11, 7] (< 6: row 1 only) and [2, 14, 1, 13] (< 12: rows 0 and 2)
    ramp = np.tile(np.array([0, 65, 174, 255], np.uint8)[None, :, None], (4, 1, 1))
    assert snap(ramp, BW, "bayer4")[..., 0].tolist() == [
        [0, 0, 255, 255],
        [0, 255, 0, 255],
        [0, 0, 255, 255],
        [0, 0, 0, 255],
    ]


@pytest.mark.parametrize("method", ["bayer2", "bayer4", "bayer8"])
def test_a_ramp_over_three_greys_only_ever_lightens_a_cell(method: str) -> None:
    # every grey 0..255 as one flat 8x8 patch: each cell's ink never gets darker
    # as the grey gets lighter, across the middle ink too (no seams in a gradient)
    inks = parse_palette(["#000000", "#777777", "#ffffff"])
    out = snap(np.repeat(np.arange(256, dtype=np.uint8), 64).reshape(256, 8, 8, 1), inks, method)
    assert (np.diff(out[..., 0].astype(int), axis=0) >= 0).all()
    light = oklab(np.repeat(out, 3, -1))[..., 0].mean((1, 2))
    want = oklab(np.repeat(np.arange(256, dtype=np.uint8)[:, None], 3, 1))[:, 0]
    gap = np.diff(oklab(inks)[:, 0]).max()  # the wider step between neighbouring inks
    n = int(method[-1])
    assert np.abs(light - want).max() <= 0.5 * gap / n**2 + 1e-6  # half a level of n*n


def test_ordered_dither_mixes_any_two_inks_not_only_lightness() -> None:
    red, blue = parse_palette(["#ff0000", "#0000ff"])
    mid = ((oklab(red) + oklab(blue)) / 2)[None]
    # the sRGB colour nearest the OKLab midpoint of red and blue is mixed half and half
    cand = rng.integers(0, 256, (200_000, 3), dtype=np.uint8)
    purple = cand[((oklab(cand) - mid) ** 2).sum(1).argmin()]
    out = snap(np.tile(purple, (4, 4, 1)), np.stack([red, blue]), "bayer4")
    counts = sorted(len(np.flatnonzero((out == c).all(-1))) for c in (red, blue))
    assert counts in ([7, 9], [8, 8])


# ---------------------------------------------------------------- error diffusion


def test_floyd_steinberg_on_half_grey_is_a_checkerboard() -> None:
    out = snap(grey(99, 8, 8), BW, "floyd-steinberg")[..., 0]
    assert (out == 255).sum() == (out == 0).sum() == 32
    assert (out[:, 1:] != out[:, :-1]).all() and (out[1:] != out[:-1]).all()


def test_atkinson_on_half_grey_is_half_and_half() -> None:
    out = snap(grey(99, 16, 16), BW, "atkinson")[..., 0]
    assert (out == 255).sum() == (out == 0).sum() == 128


@pytest.mark.parametrize("method", ["floyd-steinberg", "atkinson"])
def test_a_tone_the_inks_cannot_reach_does_not_pile_up_error(method: str) -> None:
    # black is darker than the darkest ink: unclamped, its error darkens the grey below
    inks = parse_palette(["#404040", "#ffffff"])
    image = grey(0, 16, 16)
    image[8:] = 160
    light = oklab(inks)[:, 0]
    t = (oklab(np.array([160] * 3, np.uint8))[0] - light[0]) / (light[1] - light[0])
    out = snap(image, inks, method)[..., 0]
    assert (out[:8] == 64).all()
    assert (out[8:] == 255).mean() == pytest.approx(t, abs=0.05)
    assert (out[8:10] == 255).mean() == pytest.approx(t, abs=0.1)  # right from the edge


def test_transparent_pixels_pass_no_error() -> None:
    a = np.zeros((8, 8, 4), np.uint8)
    a[..., :3], a[:, 4:, 3] = 99, 255
    b = a.copy()
    b[:, :4, :3] = 255  # another colour under the transparent half
    for method in ("floyd-steinberg", "atkinson"):
        assert np.array_equal(snap(a, BW, method)[:, 4:], snap(b, BW, method)[:, 4:])


# How far a flat patch's mean lightness may drift: half a level of an n x n
# tile (n**2 + 1 tones), a little for Floyd-Steinberg's edges; Atkinson drops a
# quarter of every error on purpose (its crisp shadows and highlights).
DRIFT = {"bayer2": 1 / 8, "bayer4": 1 / 32, "bayer8": 1 / 128, "floyd-steinberg": 0.03,
         "atkinson": 0.125}  # fmt: skip


@pytest.mark.parametrize("method", METHODS)
def test_the_tone_survives(method: str) -> None:
    # mean OKLab lightness of a flat 16x16 patch, before and after, for every 5th grey
    for v in range(0, 256, 5):
        out = snap(grey(v, 16, 16), BW, method)
        before = oklab(np.array([v] * 3, np.uint8))[0]
        after = oklab(np.repeat(out, 3, -1))[..., 0].mean()
        assert after == pytest.approx(before, abs=DRIFT[method] + 1e-6), v
    assert set(DRIFT) == set(METHODS)


# ---------------------------------------------------------------- every method


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("channels", [1, 3, 4])
def test_only_palette_colours_and_alpha_zero_or_one(method: str, channels: int) -> None:
    images = rng.integers(0, 256, (3, 24, 24, channels), dtype=np.uint8)
    out = snap(images, INKS, method)
    assert out.dtype == np.uint8 and out.shape[:3] == images.shape[:3]
    assert colors_of(out) <= {tuple(c) for c in INKS.tolist()}
    if channels == 4:
        assert np.array_equal(out[..., 3], np.where(images[..., 3] >= 128, 255, 0))


@pytest.mark.parametrize("method", METHODS)
def test_grey_stays_grey_on_a_grey_palette(method: str) -> None:
    images = rng.integers(0, 256, (2, 24, 24, 1), dtype=np.uint8)
    out = snap(images, parse_palette(["#000000", "#808080", "#ffffff"]), method)
    assert out.shape == images.shape and set(np.unique(out).tolist()) <= {0, 128, 255}


@pytest.mark.parametrize("method", METHODS)
def test_deterministic_and_each_image_on_its_own(method: str) -> None:
    images = rng.integers(0, 256, (4, 24, 24, 4), dtype=np.uint8)
    out = snap(images, INKS, method)
    assert np.array_equal(out, snap(images, INKS, method))
    assert np.array_equal(out, np.stack([snap(im, INKS, method) for im in images]))
    # leading axes (epochs, sample, ...) change nothing either
    assert np.array_equal(snap(images.reshape(2, 2, 24, 24, 4), INKS, method).reshape(out.shape),
                          out)  # fmt: skip


@pytest.mark.parametrize("method", METHODS)
def test_an_ink_never_moves(method: str) -> None:
    images = INKS[rng.integers(0, len(INKS), (2, 24, 24))]
    assert np.array_equal(snap(images, INKS, method), images)


def test_a_single_ink_paints_everything() -> None:
    images = rng.integers(0, 256, (2, 8, 8, 3), dtype=np.uint8)
    for method in METHODS:
        assert colors_of(snap(images, INKS[:1], method)) == {tuple(INKS[0].tolist())}


def test_an_unknown_dither_is_refused() -> None:
    with pytest.raises(ValueError, match="bayer3"):
        snap(grey(99, 4, 4), BW, "bayer3")


@pytest.mark.parametrize("method", METHODS)
def test_own_dithers_each_image_against_its_own_colours(method: str) -> None:
    originals = np.zeros((3, 24, 24, 4), np.uint8)
    originals[..., 3] = 255
    originals[0, :, :12, :3], originals[0, :, 12:, :3] = (200, 40, 40), (250, 240, 200)
    originals[1, :12, :, :3], originals[1, 12:, :, :3] = (30, 60, 220), (10, 10, 10)
    originals[2, ..., :3] = (90, 200, 90)
    originals[2, :4, :4, 3] = 0  # an invisible colour does not count
    originals[2, :4, :4, :3] = (255, 0, 255)
    devolved = rng.integers(0, 256, originals.shape, dtype=np.uint8)
    out = snap_own(devolved, originals, method)
    for o, d in zip(originals, out, strict=True):
        assert colors_of(d) <= colors_of(o[o[..., 3] >= 128][:, None])
    assert colors_of(out[0]) == {(200, 40, 40), (250, 240, 200)}  # both inks mixed
    assert colors_of(out[2]) == {(90, 200, 90)}
    # diffused together or one at a time: the same pixels
    one_by_one = np.stack(
        [snap_own(d[None], o[None], method)[0] for d, o in zip(devolved, originals, strict=True)]
    )
    assert np.array_equal(out, one_by_one)


@pytest.mark.parametrize("method", METHODS)
def test_paletted_dithers_every_palette_kind(method: str) -> None:
    originals = rng.integers(0, 4, (3, 24, 24, 3), dtype=np.uint8) * 80
    snaps = rng.integers(0, 256, (2, 3, 24, 24, 3), dtype=np.uint8)  # (epochs, sample, ...)
    source = np.unique(originals.reshape(-1, 3), axis=0)
    for palette, inks in [
        (("#000000", "#ff4400"), {(0, 0, 0), (255, 68, 0)}),
        ("source", {tuple(c) for c in source.tolist()}),
    ]:
        assert colors_of(paletted(palette, snaps, originals, source, method)) <= inks
    own = paletted("own", snaps, originals, None, method)
    for e in range(2):
        for s in range(3):
            assert colors_of(own[e, s]) <= colors_of(originals[s])
    assert paletted("none", snaps, originals, None, method) is snaps


@pytest.mark.parametrize("method", ["bayer4", "floyd-steinberg"])
def test_render_art_dithers_morphs_and_feedback_too(tmp_path: Path, method: str) -> None:
    text = (
        'name = "t"\n[data]\ncolor = "rgb"\ntest_limit = 4\n[render]\nsample = 2\n'
        f'palette = "own"\ndither = "{method}"\n'
        "[art]\nmorph = [[9000, 9001]]\nmorph_steps = 3\nfeedback = 2\n"
    )
    v = loads_recipe(text).variants[0]
    r = v.recipe
    originals = np.zeros((4, 24, 24, 3), np.uint8)
    for i, (a, b) in enumerate(
        [
            ((200, 40, 40), (250, 240, 200)),
            ((30, 60, 220), (10, 10, 10)),
            ((90, 200, 90), (0, 0, 0)),
            ((5, 5, 5), (250, 250, 250)),
        ]
    ):
        originals[i, :, :12], originals[i, :, 12:] = a, b  # two colours each
    devolved = rng.integers(0, 256, originals.shape, dtype=np.uint8)
    files.save_npz(
        tmp_path / ART, art=np.array(art_json(r)), source_colors=originals[0, 0],
        morph=rng.integers(0, 256, (1, 3, 24, 24, 3), dtype=np.uint8),
        morph_ids=np.array([["9000", "9001"]]),
        feedback=rng.integers(0, 256, (2, 2, 24, 24, 3), dtype=np.uint8),
    )  # fmt: skip
    dev = {"devolved": devolved, "originals": originals, "ids": np.arange(9000, 9004)}
    snaps = {"epochs": np.array([1]), "images": devolved[None, :2]}
    dev, snaps = render_art(v, tmp_path, dev, snaps)
    assert not np.array_equal(dev["devolved"], snap_own(devolved, originals))  # dithered
    for i in range(4):
        assert colors_of(dev["devolved"][i]) <= colors_of(originals[i])
    assert colors_of(snaps["images"][0, 1]) <= colors_of(originals[1])
    page = {(255, 255, 255), (0, 0, 0)}  # the background and the labels
    with Image.open(tmp_path / "morph-9000-9001.gif") as im:
        for k in range(im.n_frames):
            im.seek(k)
            got = colors_of(np.asarray(im.convert("RGB")))
            assert got <= colors_of(originals[:2]) | page
    with Image.open(tmp_path / "feedback.png") as im:
        assert colors_of(np.asarray(im.convert("RGB"))) <= colors_of(originals[:2]) | page


# ---------------------------------------------------------------- floyd-steinberg speed


def test_floyd_steinberg_on_a_thousand_punks_is_quick() -> None:
    # the figure in the docstring and docs/rendering.md is ~0.2 s; this only
    # guards against a loop over images sneaking back in (that takes ~10x more)
    images = rng.integers(0, 256, (1000, 24, 24, 4), dtype=np.uint8)
    t0 = time.perf_counter()
    snap(images, INKS, "floyd-steinberg")
    assert time.perf_counter() - t0 < 10


# ---------------------------------------------------------------- the recipe


def test_dither_defaults_to_none_and_loads() -> None:
    assert Recipe(name="x").render.dither == "none"
    r = Recipe(name="x", render={"palette": "own", "dither": "floyd-steinberg"})
    assert r.render.dither == "floyd-steinberg"


def test_dither_without_a_palette_is_refused() -> None:
    with pytest.raises(RecipeError) as err:
        Recipe(name="x", render={"dither": "bayer4"})
    msg = str(err.value)
    assert msg.startswith("render.dither: ") and "render.palette" in msg
    assert 'render.dither = "none"' in msg and "\n" not in msg


def test_dither_never_changes_the_training_or_devolving_keys() -> None:
    plain = Recipe(name="x", render={"palette": "own"})
    dithered = Recipe(name="x", render={"palette": "own", "dither": "atkinson"})
    assert training_dict(plain) == training_dict(dithered)
    assert predict_dict(plain) == predict_dict(dithered)


def test_a_dither_change_is_a_re_render(tmp_path: Path) -> None:
    recipe, outs = make_finished(tmp_path)  # synthetic grey arrays, no training
    sets = ('render.palette=["#000000", "#ffffff"]', "render.dither=bayer4")
    folder = outs / "t" / "base"
    arrays = {p.name: p.read_bytes() for p in folder.glob("*.npz")}
    rf = read_recipe_file(recipe, sets)
    assert plan_variant(rf.variants[0], outs / "t").action == "render"
    args = [a for s in sets for a in ("--set", s)]
    res = run_cli("run", "--dry-run", recipe, "--out", outs, *args)
    assert res.returncode == 0 and "t/base: re-render from its saved arrays" in res.stdout
    report = runner.render_only(rf, outs / "t", NullUI())
    assert not report.failures
    assert plan_variant(rf.variants[0], outs / "t").action == "skip"
    assert {p.name: p.read_bytes() for p in folder.glob("*.npz")} == arrays
    with Image.open(folder / "series" / "punk-9000.png") as im:
        tile = np.asarray(im.convert("L"))[::2, ::2]  # series scale 2
    assert set(np.unique(tile).tolist()) == {0, 255}
