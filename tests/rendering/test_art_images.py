"""Art pixels: palettes (snap, own, source, none) and the feedback sheet.

Synthetic arrays from one seeded generator, drawn in file order; nothing here
trains or imports TensorFlow. The [art] recipe keys: recipe/test_art_section.py;
art from a real network: pipeline/test_art_run.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from punkforge.rendering.art_images import make_feedback_sheet, paletted
from punkforge.rendering.palette import image_colors, oklab, parse_palette, snap, snap_own

rng = np.random.default_rng(0)


def colors_of(images: np.ndarray) -> set[tuple[int, ...]]:
    rgb = np.repeat(images, 3, -1) if images.shape[-1] == 1 else images[..., :3]
    return {tuple(c) for c in rgb.reshape(-1, 3).tolist()}


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
