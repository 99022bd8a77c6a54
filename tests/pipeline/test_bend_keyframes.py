"""Animated bends: a bend value as a keyframe range, bend-<k>.gif, and seamless loops in a real run.

Fast: the recipe keys and their refusals, and the frames computed on a
stand-in network of plain numpy layers (no TensorFlow). Slow: one tiny real
run with a morph path, a closed loop and an animated bend, whose stored
arrays are checked against the same run with the bend fixed at `to` (an
[art]-only change, which must not train), then redrawn by `render` without
TensorFlow.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from conftest import run_cli

from punkforge.data.punks import to_uint8
from punkforge.errors import RecipeError
from punkforge.pipeline.output_folder import TRAIN_DIR
from punkforge.recipe.loader import loads_recipe
from punkforge.recipe.sections import Recipe
from punkforge.training.network_art import Network, bend_animations


def recipe(text: str) -> Recipe:
    return loads_recipe('name = "t"\n' + text).variants[0].recipe


RANGE = '{ layer = "decoder.0", op = "scale", from = 0.5, to = 3.0, frames = 6 }'


# ---------------------------------------------------------------- the recipe


def test_a_keyframe_range_loads_and_writes_back_as_from_to_frames() -> None:
    r = recipe(f"[art]\nbend = [{RANGE}]")
    b = r.art.bend[0]
    assert b.keyframed and (b.from_, b.to, b.frames) == (0.5, 3.0, 6)
    assert b.values() == pytest.approx([0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
    assert b.params == {"from": 0.5, "to": 3.0, "frames": 6}
    assert b.still.value == 0.5 and not b.still.keyframed
    fixed = recipe('[art]\nbend = [{ layer = "decoder.0", op = "scale", value = 2.0 }]')
    assert not fixed.art.bend[0].keyframed and fixed.art.bend[0].values() == []


def test_noise_takes_a_range_of_standard_deviations() -> None:
    r = recipe(
        '[art]\nbend = [{ layer = "encoder.1", op = "noise", from = 0.0, to = 0.4, frames = 3 }]'
    )
    assert r.art.bend[0].values() == pytest.approx([0.0, 0.2, 0.4])
    assert r.art.bend[0].still.std == 0.0


@pytest.mark.parametrize(
    ("bend", "words"),
    [
        ('{ layer = "decoder.0", op = "rotate", from = 90, to = 270, frames = 3 }', ["art.bend[0].from", "takes no keyframe range", "scale (value) and noise (std)"]),  # noqa: E501
        ('{ layer = "decoder.0", op = "invert", from = 0, to = 1, frames = 3 }', ["takes no keyframe range"]),  # noqa: E501
        ('{ layer = "decoder.0", op = "scale", from = 0.5, to = 3.0 }', ["art.bend[0].frames", "needs from, to and frames"]),  # noqa: E501
        ('{ layer = "decoder.0", op = "scale", to = 3.0, frames = 4 }', ["art.bend[0].from", "add from"]),  # noqa: E501
        ('{ layer = "decoder.0", op = "scale", value = 1.0, from = 0.5, to = 3.0, frames = 4 }', ["art.bend[0].value", "replaces value"]),  # noqa: E501
        ('{ layer = "decoder.0", op = "noise", from = -0.1, to = 0.3, frames = 4 }', ["art.bend[0].from", "0 or more"]),  # noqa: E501
        ('{ layer = "decoder.0", op = "scale", form = 0.5, to = 3.0, frames = 4 }', ["art.bend[0].form", "Did you mean 'from'?"]),  # noqa: E501
        ('{ layer = "decoder.0", op = "scale", from_ = 0.5, to = 3.0, frames = 4 }', ["art.bend[0].from_", "unknown key"]),  # noqa: E501
        ('{ layer = "decoder.0", op = "scale", from = 0.5, to = 3.0, frames = 1 }', ["art.bend[0].frames", "2 to 240"]),  # noqa: E501
        ('{ layer = "decoder.0", op = "scale", from = 0.5, to = 3.0, frames = 241 }', ["art.bend[0].frames", "2 to 240"]),  # noqa: E501
    ],
)  # fmt: skip
def test_bad_keyframe_ranges_are_refused(bend: str, words: list[str]) -> None:
    with pytest.raises(RecipeError) as err:
        recipe(f"[art]\nbend = [{bend}]")
    for w in words:
        assert w in str(err.value), str(err.value)


def test_frames_that_do_not_fit_in_memory_are_refused() -> None:
    text = (
        "[data]\ntest_limit = 1000\n[render]\nsample = 1000\n[render.gif]\nscale = 8\n"
        '[art]\nbend = [{ layer = "decoder.0", op = "scale", from = 0.5, to = 3.0, frames = 240 }]'
    )
    with pytest.raises(RecipeError, match=r"art\.bend\[0\]\.frames.*GiB.*Lower frames"):
        recipe(text)


def test_frames_beyond_the_budget_exit_2_and_write_nothing(tmp_path: Path) -> None:
    path = tmp_path / "r.toml"
    path.write_text(
        'name = "t"\n[art]\nbend = [{ layer = "decoder.0", op = "scale", '
        "from = 0.5, to = 3.0, frames = 1000 }]\n"
    )
    res = punkforge("run", path, "--out", tmp_path / "o")
    assert res.returncode == 2, res.stderr
    assert "art.bend[0].frames" in res.stderr and "Traceback" not in res.stderr
    assert len([ln for ln in res.stderr.strip().split("\n\n") if ln.strip()]) == 1
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------------------- the frames


class Layer:
    """A stand-in Keras layer: a name and a numpy function."""

    def __init__(self, name: str, fn: Any) -> None:
        self.name, self.fn = name, fn

    def __call__(self, y: np.ndarray, training: bool = False) -> np.ndarray:
        return self.fn(np.asarray(y, np.float32))


class Model:
    layers: ClassVar[list[Layer]] = [
        Layer("encoder_0", lambda y: y * 0.5),
        Layer("decoder_0", lambda y: y + 0.05),
        Layer("output", lambda y: np.clip(y, 0, 1)),
    ]


def test_frame_0_is_the_bend_at_from_and_the_last_at_to() -> None:
    sample = np.random.default_rng(0).random((4, 24, 24, 1), dtype=np.float32)
    r = recipe(f"[art]\nbend = [{RANGE}]")
    frames = bend_animations(Network(Model(), r), r, sample)["bend_0"]
    assert frames.shape == (6, 4, 24, 24, 1) and frames.dtype == np.uint8

    def fixed(value: float) -> np.ndarray:
        at = recipe(f'[art]\nbend = [{{ layer = "decoder.0", op = "scale", value = {value} }}]')
        return to_uint8(Network(Model(), at)(sample))

    assert np.array_equal(frames[0], fixed(0.5))
    assert np.array_equal(frames[-1], fixed(3.0))
    assert np.array_equal(frames[2], fixed(1.5))
    assert not np.array_equal(frames[0], frames[-1])
    # everywhere else (the devolved punks, morphs, feedback) the range holds its `from`
    assert np.array_equal(to_uint8(Network(Model(), r)(sample)), frames[0])


def test_only_keyframed_bends_are_animated_and_the_others_stay_on() -> None:
    sample = np.full((2, 24, 24, 1), 0.4, np.float32)
    r = recipe(
        '[art]\nbend = [{ layer = "encoder.0", op = "scale", value = 0.0 }, '
        '{ layer = "decoder.0", op = "scale", from = 1.0, to = 2.0, frames = 3 }]'
    )
    out = bend_animations(Network(Model(), r), r, sample)
    assert set(out) == {"bend_1"}
    # encoder.0 scaled by 0 stays on in every frame: 0 * ... + 0.05, then * value
    levels = [int(f.max()) for f in out["bend_1"]]
    assert levels == [to_uint8(np.float32(0.05 * v)) for v in (1.0, 1.5, 2.0)]


# ---------------------------------------------------------------- a real run

SLOW_RECIPE = """
name = "bendy"
seed = 2
[data]
color = "rgb"
train_limit = 300
test_limit = 24
[train]
epochs = 2
[render]
sample = 4
[render.poster]
dpi = 40
[render.series]
scale = 2
[render.gif]
loop = "boomerang"
scale = 2
[art]
morph = [[9000, 9003, 9007]]
morph_steps = 4
morph_closed = true
bend = [ { layer = "decoder.0", op = "scale", from = 0.5, to = 3.0, frames = 5 } ]
"""


punkforge = functools.partial(run_cli, timeout=600)  # `punkforge ARGS`


def gif_frames(path: Path) -> list[np.ndarray]:
    from PIL import Image, ImageSequence

    with Image.open(path) as im:
        return [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)]


@pytest.mark.slow
def test_a_real_run_loops_and_bends_and_redraws_without_tensorflow(tmp_path: Path) -> None:
    path = tmp_path / "bendy.toml"
    path.write_text(SLOW_RECIPE)
    res = punkforge("run", path, "--out", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    v = tmp_path / "out" / "bendy" / "base"
    art, dev = np.load(v / "art.npz"), np.load(v / "devolved.npz")
    ids = [int(i) for i in dev["ids"]]

    # the closed path: 3 legs x 3 intervals, every stop a frame, the start not repeated
    assert int(art["morph_frames"][0]) == 9
    morph = art["morph"][0][:9]
    assert np.array_equal(morph[0], dev["devolved"][ids.index(9000)])
    for stop in (9003, 9007):
        assert any(np.array_equal(f, dev["devolved"][ids.index(stop)]) for f in morph)
    assert not np.array_equal(morph[-1], morph[0])
    pics = gif_frames(v / "morph-9000-9003-9007-9000.gif")
    assert len(pics) == 9  # a closed path is its own loop: no boomerang on top of it

    # the bend: frame 0 is the poster's own punks (the range at `from`)
    bend = art["bend_0"]
    assert bend.shape == (5, 4, 24, 24, 3)
    assert np.array_equal(bend[0], dev["devolved"][:4])
    assert not np.array_equal(bend[0], bend[-1])
    pics = gif_frames(v / "bend-0.gif")
    assert len(pics) == 8  # 0 1 2 3 4 3 2 1
    assert all(not np.array_equal(pics[i], pics[(i + 1) % 8]) for i in range(8))
    listed = set(json.loads((v / "manifest.json").read_text())["files"])
    assert {"bend-0.gif", "morph-9000-9003-9007-9000.gif", "progress.gif"} <= listed

    # the last frame is the bend at `to`: the same network with the value fixed at 3.0,
    # an [art]-only change, devolved again without training
    stores = tmp_path / "out" / "bendy" / TRAIN_DIR
    before = {p: p.stat().st_mtime_ns for p in stores.rglob("*") if p.is_file()}
    res = punkforge(
        "run", path, "--out", tmp_path / "out",
        "--set", 'art.bend=[{layer = "decoder.0", op = "scale", value = 3.0}]',
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert "training 2 epochs" not in res.stderr and "devolving" in res.stderr
    assert {p: p.stat().st_mtime_ns for p in stores.rglob("*") if p.is_file()} == before
    assert np.array_equal(np.load(v / "devolved.npz")["devolved"][:4], bend[-1])
    assert not (v / "bend-0.gif").exists()  # no longer asked for

    # back to the range; then `render` redraws bend-0.gif without TensorFlow
    res = punkforge("run", path, "--out", tmp_path / "out")
    assert res.returncode == 0, res.stderr
    (v / "bend-0.gif").unlink()
    res = run_cli(
        "render", tmp_path / "out" / "bendy", "--set", 'render.gif.loop="none"',
        timeout=300, block=("tensorflow", "keras"),
    )  # fmt: skip
    assert res.returncode == 0, res.stderr + res.stdout
    assert len(gif_frames(v / "bend-0.gif")) == 5  # render-only: no loop now, no retraining
