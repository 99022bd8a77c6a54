"""A folder of the user's own images as data: formats, fits, errors, split, cache, key.

Every folder is synthetic, written into tmp_path with Pillow (conftest's sprite
and image_folder). Nothing here imports TensorFlow. A recipe that reads a folder,
through the command line: test_folder_recipes.py; rendering at other sizes:
rendering/test_render_sizes.py.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import image_folder, mixed_sizes, save_image, sprite, write_recipe
from PIL import Image

from punkforge.data import folder_images as images
from punkforge.data import folder_scan as folder_mod
from punkforge.errors import RecipeError
from punkforge.recipe.loader import read_recipe_file
from punkforge.recipe.sections import DataConfig
from punkforge.training.store import training_key


def cfg(source: Path, **kw: object) -> DataConfig:
    return DataConfig(source=str(source), **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- formats


def test_odd_size_folder_loads_as_float_in_colour_mode(tmp_path: Path) -> None:
    src = image_folder(tmp_path / "imgs", 10)
    for color, c in (("grey", 1), ("rgb", 3), ("rgba", 4)):
        p = images.load_folder(cfg(src, color=color), seed=0, cache_dir=None)
        assert p.train.shape == (9, 13, 17, c) and p.test.shape == (1, 13, 17, c)
        assert p.train.dtype == np.float32 and p.train.min() >= 0 and p.train.max() <= 1
        assert p.test_ids.dtype.kind == "U"


def test_rgba_values_and_transparent_is_zero(tmp_path: Path) -> None:
    arr = sprite(13, 17, 5)
    for name in ("a", "b", "c"):
        save_image(tmp_path / "i" / f"{name}.png", arr)
    rgba, ids = images.load_folder_rgba(cfg(tmp_path / "i"), None)
    want = arr.copy()
    want[want[..., 3] == 0] = 0
    assert ids == ["a", "b", "c"] and np.array_equal(rgba[0], want)


def test_grey_is_composited_over_black(tmp_path: Path) -> None:
    px = np.zeros((8, 8, 4), np.uint8)
    px[..., :3], px[..., 3] = 200, 128  # half-transparent light grey
    out = images.to_color(px[None], "grey")
    assert out.shape == (1, 8, 8, 1)
    assert out[0, 0, 0, 0] == pytest.approx(200 / 255 * 128 / 255 * (0.2989 + 0.587 + 0.114), 1e-4)


def test_palette_with_transparency_la_gif_jpeg_bmp_webp(tmp_path: Path) -> None:
    d = tmp_path / "mix"
    idx = np.zeros((12, 10), np.uint8)
    idx[3:9, 2:8] = 1
    pal = Image.fromarray(idx, mode="P")
    pal.putpalette([0, 0, 0, 255, 0, 0])
    pal.save(d.mkdir() or d / "pal.png", transparency=0)
    la = np.zeros((12, 10, 2), np.uint8)
    la[..., 0], la[..., 1] = 90, 255
    la[0, 0, 1] = 0
    Image.fromarray(la, mode="LA").save(d / "la.png")
    frames = [Image.new("RGB", (10, 12), c) for c in ((0, 255, 0), (0, 0, 255))]
    frames[0].save(d / "anim.GIF", save_all=True, append_images=frames[1:], duration=100)
    save_image(d / "photo.JPEG", np.full((12, 10, 3), 128, np.uint8), quality=95)
    save_image(d / "b.bmp", np.full((12, 10, 3), 7, np.uint8))
    save_image(d / "w.webp", sprite(12, 10), lossless=True)
    rgba, ids = images.load_folder_rgba(cfg(d), None)
    got = dict(zip(ids, rgba, strict=True))
    assert sorted(ids) == ["anim", "b", "la", "pal", "photo", "w"]
    assert tuple(got["pal"][5, 5]) == (255, 0, 0, 255) and tuple(got["pal"][0, 0]) == (0, 0, 0, 0)
    assert tuple(got["la"][5, 5]) == (90, 90, 90, 255) and got["la"][0, 0, 3] == 0
    assert tuple(got["anim"][0, 0]) == (0, 255, 0, 255)  # the first frame
    assert abs(int(got["photo"][6, 5, 0]) - 128) <= 2 and got["photo"][0, 0, 3] == 255
    assert tuple(got["b"][0, 0]) == (7, 7, 7, 255)


def test_nested_folders_sorted_and_duplicate_stems_unique(tmp_path: Path) -> None:
    d = tmp_path / "n"
    for rel in ("b/Cat Face.png", "a/cat-face.png", "a/x/cat_face.png", "a/cat-face-2.gif",
                ".hidden/z.png", "notes.txt", "z/%%.png"):  # fmt: skip
        p = d / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if rel.endswith("txt"):
            p.write_text("not an image")
        else:
            Image.fromarray(sprite(8, 8)).save(p, format="GIF" if rel.endswith("gif") else "PNG")
    found = folder_mod.scan(d, "x")
    assert [f.rel for f in found] == [
        "a/cat-face-2.gif", "a/cat-face.png", "a/x/cat_face.png", "b/Cat Face.png", "z/%%.png"
    ]  # fmt: skip
    assert folder_mod.image_ids(found) == ["cat-face-2", "cat-face", "cat_face", "cat-face-3",
                                           "image"]  # fmt: skip


# ---------------------------------------------------------------- fits


def test_mixed_sizes_refused_with_names_and_the_fits_that_accept(tmp_path: Path) -> None:
    with pytest.raises(RecipeError) as err:
        images.inspect(cfg(mixed_sizes(tmp_path / "m")), "r.toml")
    msg = str(err.value)
    assert "b.png (12x16)" in msg and 'fit = "pad"' in msg and "12x16" in msg
    assert 'fit = "crop"' in msg and "size = [10, 10]" in msg and "r.toml" in msg


def test_refuse_names_first_ten_and_a_count(tmp_path: Path) -> None:
    d = tmp_path / "many"
    for i in range(14):
        save_image(d / f"s{i:02d}.png", sprite(9, 9))
    for i in range(3):
        save_image(d / f"t{i}.png", sprite(8, 8))
    with pytest.raises(RecipeError, match="and 4 more"):
        images.inspect(cfg(d, size=(8, 8)))


def test_each_fit_gives_the_data_size(tmp_path: Path) -> None:
    src = mixed_sizes(tmp_path / "m")
    b = sprite(12, 16, 2)
    b[b[..., 3] == 0] = 0
    rgba, ids = images.load_folder_rgba(cfg(src, fit="pad"), None)
    assert rgba.shape == (4, 12, 16, 4)
    assert np.array_equal(rgba[ids.index("b")], b)
    assert rgba[ids.index("a"), 0, 0, 3] == 0  # padding is transparent
    a = sprite(10, 10, 1)
    a[a[..., 3] == 0] = 0
    assert np.array_equal(rgba[ids.index("a"), 1:11, 3:13], a)  # centred
    rgba, _ = images.load_folder_rgba(cfg(src, fit="crop"), None)
    assert rgba.shape == (4, 10, 10, 4)
    assert np.array_equal(rgba[ids.index("b")], b[1:11, 3:13])
    rgba, _ = images.load_folder_rgba(cfg(src, fit="nearest"), None)
    assert rgba.shape == (4, 10, 10, 4)  # the most common size
    colours = {tuple(x) for x in b.reshape(-1, 4)}
    assert {tuple(x) for x in rgba[ids.index("b")].reshape(-1, 4)} <= colours  # never smoothed
    rgba, _ = images.load_folder_rgba(cfg(src, fit="nearest", size=(20, 32)), None)
    assert rgba.shape == (4, 20, 32, 4)


def test_pad_refuses_larger_images_and_crop_smaller(tmp_path: Path) -> None:
    src = mixed_sizes(tmp_path / "m")
    with pytest.raises(RecipeError, match=r"b\.png \(12x16\)"):
        images.inspect(cfg(src, fit="pad", size=(10, 10)))
    with pytest.raises(RecipeError, match=r"a\.png \(10x10\)"):
        images.inspect(cfg(src, fit="crop", size=(12, 16)))


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "setup, match",
    [
        (lambda d: None, "does not exist"),
        (lambda d: d.mkdir(), "no images"),
        (lambda d: (d.mkdir(), (d / "x.png").write_bytes(b"\x89PNG broken")), "x.png is not a"),
        (lambda d: save_image(d / "big.png", sprite(300, 20)), "over 256x256"),
        (lambda d: [save_image(d / f"{i}.png", sprite(8, 8)) for i in range(2)], "at least 1 test"),
        (lambda d: save_image(d / "tiny.png", sprite(4, 4)), "8x8 to 256x256"),
    ],
)
def test_bad_folders_are_one_paragraph(tmp_path: Path, setup, match: str) -> None:
    d = tmp_path / "bad"
    setup(d)
    with pytest.raises(RecipeError, match=match) as err:
        images.load_folder(cfg(d), 0, tmp_path / "cache")
    assert "Fix" in str(err.value) and "\n" not in str(err.value)
    assert not (tmp_path / "cache").exists()


def test_truncated_image_with_a_good_header_is_named(tmp_path: Path) -> None:
    d = image_folder(tmp_path / "t", 4)
    data = (d / "img-01.png").read_bytes()
    (d / "img-01.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(RecipeError, match=r"img-01\.png is not a readable image"):
        images.load_folder(cfg(d), 0, tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_too_many_files_refused_up_front(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(folder_mod, "MAX_FILES", 3)
    with pytest.raises(RecipeError, match="more than 3 images"):
        folder_mod.scan(image_folder(tmp_path / "m", 5), "x")


# ---------------------------------------------------------------- split, cache, key


def test_split_is_seeded_and_limits_cap(tmp_path: Path) -> None:
    src = image_folder(tmp_path / "s", 30)
    a = images.load_folder(cfg(src, test_fraction=0.2), 1, None)
    b = images.load_folder(cfg(src, test_fraction=0.2), 1, None)
    c = images.load_folder(cfg(src, test_fraction=0.2), 2, None)
    assert len(a.test_ids) == 6 and list(a.test_ids) == list(b.test_ids)
    assert list(a.test_ids) != list(c.test_ids) and list(a.test_ids) == sorted(a.test_ids)
    d = images.load_folder(cfg(src, test_fraction=0.2, train_limit=5, test_limit=2), 1, None)
    assert d.train.shape[0] == 5 and list(d.test_ids) == list(a.test_ids[:2])


def test_cache_hit_miss_and_invalidation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = image_folder(tmp_path / "c", 6)
    before = sorted(p.name for p in src.iterdir())
    cache = tmp_path / "out" / ".cache"
    first, _ = images.load_folder_rgba(cfg(src), cache)
    assert len(list(cache.glob("images-*.npz"))) == 1
    assert sorted(p.name for p in src.iterdir()) == before  # nothing written into the folder

    def boom(data: bytes) -> np.ndarray:
        raise AssertionError("decoded despite a valid cache")

    monkeypatch.setattr(images, "decode", boom)
    again, _ = images.load_folder_rgba(cfg(src), cache)  # a hit: nothing decoded
    assert np.array_equal(first, again)
    monkeypatch.undo()
    save_image(src / "img-02.png", sprite(13, 17, 99))  # a changed file: a miss
    os.utime(src / "img-02.png", ns=(1, 1))
    changed, _ = images.load_folder_rgba(cfg(src), cache)
    assert not np.array_equal(first, changed)
    other, _ = images.load_folder_rgba(cfg(src, fit="pad", size=(16, 20)), cache)  # other options
    assert other.shape[1:3] == (16, 20) and len(list(cache.glob("images-*.npz"))) == 2


def test_a_changed_folder_changes_the_training_key(tmp_path: Path) -> None:
    src = image_folder(tmp_path / "k", 5)
    path = write_recipe(tmp_path, f'name = "k"\n[data]\nsource = "{src.name}"\nsize = "auto"\n')
    r = read_recipe_file(path).variants[0].recipe
    assert r.data.source == str(src.resolve())
    key = training_key(r)
    assert training_key(r) == key
    save_image(src / "img-00.png", sprite(13, 17, 42))
    assert training_key(r) != key
    touched = training_key(r)
    os.utime(src / "img-00.png", ns=(5, 5))  # same contents, new mtime: same key
    assert training_key(r) == touched
    assert (
        training_key(r.model_copy(update={"data": r.data.model_copy(update={"fit": "pad"})}))
        != touched
    )


# ---------------------------------------------------------------- limits


def test_default_limits_take_every_image_of_a_small_folder(tmp_path: Path) -> None:
    src = image_folder(tmp_path / "i", 10)
    p = images.load_folder(cfg(src), 0, None)  # train_limit 9000, test_limit 1000: "at most"
    assert len(p.train) + len(p.test) == 10 and len(p.test) == 1


def test_remembered_folders_are_bounded() -> None:
    from punkforge.data.folder_images import _FINGERPRINTS, _INSPECTED, _Recent

    assert _FINGERPRINTS.size and _INSPECTED.size  # a process never keeps every folder
    recent: _Recent[str, str] = _Recent(2)
    computed: list[str] = []

    def value(key: str) -> Callable[[], str]:
        return lambda: computed.append(key) or key.upper()

    assert [recent.get(k, value(k)) for k in ("a", "b", "a", "c", "b")] == list("ABACB")
    assert computed == ["a", "b", "c", "b"]  # "b" was the least recently used when "c" came
    assert list(recent.values) == ["c", "b"]
