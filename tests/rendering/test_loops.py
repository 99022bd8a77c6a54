"""Seamless loops: render.gif.loop, morph paths through more than two images, closed paths.

Fast: the frame order of a boomerang, the frames written to GIF and WebP (and
MP4 where FFmpeg is installed), the codes along a morph path (numpy only), the
recipe keys. The tiny real run is in tests/test_bend_keyframes.py.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageSequence

from punkforge.errors import RecipeError
from punkforge.recipe.limits import morph_path_frames
from punkforge.recipe.loader import loads_recipe
from punkforge.recipe.sections import GifConfig
from punkforge.rendering.animation import loop_order, save_loop
from punkforge.rendering.art_images import morph_stem
from punkforge.training.network_art import leg_frames, path_codes


def recipe(text: str) -> object:
    return loads_recipe('name = "t"\n' + text).variants[0].recipe


def frames_of(path: Path) -> tuple[list[np.ndarray], list[int]]:
    with Image.open(path) as im:
        pics = [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(im)]
    with Image.open(path) as im:
        durations = [f.info.get("duration", 0) for f in ImageSequence.Iterator(im)]
    return pics, durations


def solid_frames(n: int) -> list[np.ndarray]:
    """n distinct frames, each one flat grey level, so every frame is recognisable."""
    return [np.full((6, 8, 3), 20 * i + 10, np.uint8) for i in range(n)]


# ---------------------------------------------------------------- frame order


@pytest.mark.parametrize("n", [1, 2, 3, 5, 12])
def test_boomerang_goes_forward_then_back_without_doubling_either_end(n: int) -> None:
    order = loop_order(n, "boomerang")
    assert order[:n] == list(range(n))
    assert order == list(range(n)) + list(range(n - 2, 0, -1))
    # wrapping round: no frame follows itself, at the far end or at the seam
    assert all(order[i] != order[(i + 1) % len(order)] for i in range(len(order))) or n == 1
    assert order[0] != order[-1] or n == 1


def test_none_plays_the_frames_once() -> None:
    assert loop_order(4, "none") == [0, 1, 2, 3]


def test_loop_key_defaults_to_none_and_refuses_other_words() -> None:
    assert recipe("").render.gif.loop == "none"  # type: ignore[attr-defined]
    assert recipe('[render.gif]\nloop = "boomerang"').render.gif.loop == "boomerang"  # type: ignore[attr-defined]
    with pytest.raises(RecipeError, match=r"render\.gif\.loop.*\"none\", \"boomerang\""):
        recipe('[render.gif]\nloop = "pingpong"')


# ---------------------------------------------------------------- files


@pytest.mark.parametrize("fmt", ["gif", "webp"])
def test_a_boomerang_file_has_no_doubled_frame_and_no_pause(tmp_path: Path, fmt: str) -> None:
    cfg = GifConfig(loop="boomerang", formats=(fmt,), frame_ms=100, hold_ms=2000)
    src = solid_frames(5)
    (path,) = save_loop(src, tmp_path / "anim", cfg)
    pics, durations = frames_of(path)
    levels = [int(p[0, 0, 0]) for p in pics]
    assert levels == [int(src[i][0, 0, 0]) for i in (0, 1, 2, 3, 4, 3, 2, 1)]
    assert not np.array_equal(pics[0], pics[-1])
    assert all(not np.array_equal(pics[i], pics[(i + 1) % len(pics)]) for i in range(len(pics)))
    if fmt == "gif":
        assert set(durations) == {100}  # hold_ms is not used: no pause at either turn


def test_no_loop_keeps_the_hold_on_the_last_frame(tmp_path: Path) -> None:
    cfg = GifConfig(frame_ms=100, hold_ms=2000)
    (path,) = save_loop(solid_frames(3), tmp_path / "anim", cfg)
    pics, durations = frames_of(path)
    assert len(pics) == 3 and durations == [100, 100, 2000]


def test_a_closed_sequence_loops_without_a_hold(tmp_path: Path) -> None:
    cfg = GifConfig(frame_ms=100, hold_ms=2000)
    (path,) = save_loop(solid_frames(4), tmp_path / "anim", cfg, closed=True)
    pics, durations = frames_of(path)
    assert len(pics) == 4 and set(durations) == {100}


@pytest.mark.skipif(importlib.util.find_spec("imageio_ffmpeg") is None, reason="no FFmpeg")
def test_a_boomerang_mp4_has_every_frame_once(tmp_path: Path) -> None:
    import imageio.v3 as iio

    cfg = GifConfig(loop="boomerang", formats=("mp4",), frame_ms=100, hold_ms=2000)
    (path,) = save_loop(solid_frames(4), tmp_path / "anim", cfg)
    video = iio.imread(path, plugin="FFMPEG")
    assert len(video) == 6  # 0 1 2 3 2 1: no held last frame, no doubled turn
    levels = [round(float(f[..., 0].mean())) for f in video]
    assert levels[0] != levels[-1]


# ---------------------------------------------------------------- morph paths


def test_a_morph_key_takes_pairs_and_longer_paths() -> None:
    r = recipe("[art]\nmorph = [[9000, 9001], [9002, 9003, 9004]]\nmorph_closed = true")
    assert r.art.morph == ((9000, 9001), (9002, 9003, 9004))  # type: ignore[attr-defined]
    assert r.art.morph_closed is True  # type: ignore[attr-defined]
    with pytest.raises(RecipeError, match="expected a pair of ids"):
        recipe("[art]\nmorph = [[9000]]")
    with pytest.raises(RecipeError, match=r"art\.morph\[0\].*9020"):
        recipe("[data]\ntest_limit = 20\n[render]\nsample = 4\n[art]\nmorph = [[9000, 9001, 9020]]")


def test_leg_frames_share_every_interval_by_length() -> None:
    assert leg_frames(np.array([1.0]), 23) == [23]
    assert leg_frames(np.array([1.0, 3.0]), 8) == [2, 6]
    assert leg_frames(np.array([0.0, 0.0, 0.0]), 6) == [2, 2, 2]
    # a very short leg still gets one interval, so every named image is a frame
    share = leg_frames(np.array([0.001, 10.0, 10.0]), 9)
    assert sum(share) == 9 and min(share) >= 1


def stops3() -> np.ndarray:
    """Three flat codes, 0, 1 and 4: the second leg is three times as long as the first."""
    return np.stack([np.full((2, 2, 1), v, np.float32) for v in (0.0, 1.0, 4.0)])


def test_a_pair_is_the_old_morph_exactly() -> None:
    za, zb = stops3()[:2]
    z = path_codes(np.stack([za, zb]), 24, closed=False)
    t = np.linspace(0.0, 1.0, 24, dtype=np.float32)[:, None, None, None]
    old = (1 - t) * za + t * zb
    old[0], old[-1] = za, zb
    assert np.array_equal(z, old)
    assert len(z) == morph_path_frames(2, 24, False) == 24


def test_an_open_path_passes_every_stop_and_ends_on_the_last() -> None:
    s = stops3()
    z = path_codes(s, 5, closed=False)
    assert len(z) == morph_path_frames(3, 5, False) == 9
    levels = [float(f.mean()) for f in z]
    assert levels[0] == 0.0 and levels[-1] == 4.0 and 1.0 in levels
    assert levels == sorted(levels)  # the walk goes one way here
    # legs share the 8 intervals by length (2 and 6): one speed all the way
    assert np.allclose(np.diff(levels), 0.5, atol=1e-6)


def test_a_closed_path_returns_to_its_start_without_repeating_it() -> None:
    s = stops3()
    z = path_codes(s, 5, closed=True)
    assert len(z) == morph_path_frames(3, 5, True) == 12
    levels = [float(f.mean()) for f in z]
    assert levels[0] == 0.0 and 1.0 in levels and 4.0 in levels
    assert levels[-1] != levels[0]  # the first frame is not repeated at the seam
    # ... and the last step leads back into the first frame like any other step
    back = levels[-1] - levels[0]
    assert 0 < back <= max(abs(d) for d in np.diff(levels)) + 1e-6


def test_morph_file_names_name_the_path() -> None:
    assert morph_stem(["9000", "9001"], False) == "morph-9000-9001"
    assert morph_stem(["9000", "9001", "9002"], True) == "morph-9000-9001-9002-9000"
