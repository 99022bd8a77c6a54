"""A folder of the user's own images as data: formats, fits, errors, cache, key, rendering.

Every folder is synthetic, written into tmp_path with Pillow. Nothing here
imports TensorFlow except the one slow end-to-end run.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, run_cli, write_recipe
from PIL import Image

from punkforge.data import folder_images as images
from punkforge.data import folder_scan as folder_mod
from punkforge.errors import RecipeError
from punkforge.recipe.loader import load_recipe
from punkforge.recipe.sections import DataConfig, PosterConfig, SeriesConfig
from punkforge.recipe.shapes import network_shapes
from punkforge.training.store import training_key


def sprite(h: int, w: int, seed: int = 0) -> np.ndarray:
    """(h, w, 4) uint8 RGBA with some transparent pixels."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    a[..., 3] = np.where(rng.random((h, w)) < 0.3, 0, 255)
    return a


def save(path: Path, arr: np.ndarray, **kw: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path, **kw)
    return path


def make_folder(root: Path, n: int = 10, h: int = 13, w: int = 17) -> Path:
    for i in range(n):
        save(root / f"img-{i:02d}.png", sprite(h, w, i))
    return root


def cfg(source: Path, **kw: object) -> DataConfig:
    return DataConfig(source=str(source), **kw)  # type: ignore[arg-type]


# ---------------------------------------------------------------- formats


def test_odd_size_folder_loads_as_float_in_colour_mode(tmp_path: Path) -> None:
    src = make_folder(tmp_path / "imgs", 10)
    for color, c in (("grey", 1), ("rgb", 3), ("rgba", 4)):
        p = images.load_folder(cfg(src, color=color), seed=0, cache_dir=None)
        assert p.train.shape == (9, 13, 17, c) and p.test.shape == (1, 13, 17, c)
        assert p.train.dtype == np.float32 and p.train.min() >= 0 and p.train.max() <= 1
        assert p.test_ids.dtype.kind == "U"


def test_rgba_values_and_transparent_is_zero(tmp_path: Path) -> None:
    arr = sprite(13, 17, 5)
    for name in ("a", "b", "c"):
        save(tmp_path / "i" / f"{name}.png", arr)
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
    save(d / "photo.JPEG", np.full((12, 10, 3), 128, np.uint8), quality=95)
    save(d / "b.bmp", np.full((12, 10, 3), 7, np.uint8))
    save(d / "w.webp", sprite(12, 10), lossless=True)
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


def mixed(root: Path) -> Path:
    save(root / "a.png", sprite(10, 10, 1))
    save(root / "b.png", sprite(12, 16, 2))
    save(root / "c.png", sprite(10, 10, 3))
    save(root / "d.png", sprite(10, 10, 4))
    return root


def test_mixed_sizes_refused_with_names_and_the_fits_that_accept(tmp_path: Path) -> None:
    with pytest.raises(RecipeError) as err:
        images.inspect(cfg(mixed(tmp_path / "m")), "r.toml")
    msg = str(err.value)
    assert "b.png (12x16)" in msg and 'fit = "pad"' in msg and "12x16" in msg
    assert 'fit = "crop"' in msg and "size = [10, 10]" in msg and "r.toml" in msg


def test_refuse_names_first_ten_and_a_count(tmp_path: Path) -> None:
    d = tmp_path / "many"
    for i in range(14):
        save(d / f"s{i:02d}.png", sprite(9, 9))
    for i in range(3):
        save(d / f"t{i}.png", sprite(8, 8))
    with pytest.raises(RecipeError, match="and 4 more"):
        images.inspect(cfg(d, size=(8, 8)))


def test_each_fit_gives_the_data_size(tmp_path: Path) -> None:
    src = mixed(tmp_path / "m")
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
    src = mixed(tmp_path / "m")
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
        (lambda d: save(d / "big.png", sprite(300, 20)), "over 256x256"),
        (lambda d: [save(d / f"{i}.png", sprite(8, 8)) for i in range(2)], "at least 1 test"),
        (lambda d: save(d / "tiny.png", sprite(4, 4)), "8x8 to 256x256"),
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
    d = make_folder(tmp_path / "t", 4)
    data = (d / "img-01.png").read_bytes()
    (d / "img-01.png").write_bytes(data[: len(data) // 2])
    with pytest.raises(RecipeError, match=r"img-01\.png is not a readable image"):
        images.load_folder(cfg(d), 0, tmp_path / "cache")
    assert not (tmp_path / "cache").exists()


def test_too_many_files_refused_up_front(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(folder_mod, "MAX_FILES", 3)
    with pytest.raises(RecipeError, match="more than 3 images"):
        folder_mod.scan(make_folder(tmp_path / "m", 5), "x")


# ---------------------------------------------------------------- split, cache, key


def test_split_is_seeded_and_limits_cap(tmp_path: Path) -> None:
    src = make_folder(tmp_path / "s", 30)
    a = images.load_folder(cfg(src, test_fraction=0.2), 1, None)
    b = images.load_folder(cfg(src, test_fraction=0.2), 1, None)
    c = images.load_folder(cfg(src, test_fraction=0.2), 2, None)
    assert len(a.test_ids) == 6 and list(a.test_ids) == list(b.test_ids)
    assert list(a.test_ids) != list(c.test_ids) and list(a.test_ids) == sorted(a.test_ids)
    d = images.load_folder(cfg(src, test_fraction=0.2, train_limit=5, test_limit=2), 1, None)
    assert d.train.shape[0] == 5 and list(d.test_ids) == list(a.test_ids[:2])


def test_cache_hit_miss_and_invalidation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = make_folder(tmp_path / "c", 6)
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
    save(src / "img-02.png", sprite(13, 17, 99))  # a changed file: a miss
    os.utime(src / "img-02.png", ns=(1, 1))
    changed, _ = images.load_folder_rgba(cfg(src), cache)
    assert not np.array_equal(first, changed)
    other, _ = images.load_folder_rgba(cfg(src, fit="pad", size=(16, 20)), cache)  # other options
    assert other.shape[1:3] == (16, 20) and len(list(cache.glob("images-*.npz"))) == 2


def test_a_changed_folder_changes_the_training_key(tmp_path: Path) -> None:
    src = make_folder(tmp_path / "k", 5)
    path = write_recipe(tmp_path, f'name = "k"\n[data]\nsource = "{src.name}"\nsize = "auto"\n')
    r = load_recipe(path).variants[0].recipe
    assert r.data.source == str(src.resolve())
    key = training_key(r)
    assert training_key(r) == key
    save(src / "img-00.png", sprite(13, 17, 42))
    assert training_key(r) != key
    touched = training_key(r)
    os.utime(src / "img-00.png", ns=(5, 5))  # same contents, new mtime: same key
    assert training_key(r) == touched
    assert (
        training_key(r.model_copy(update={"data": r.data.model_copy(update={"fit": "pad"})}))
        != touched
    )


# ---------------------------------------------------------------- shapes and CLI


def test_network_shapes_at_non_square_size_with_explicit_output_padding(tmp_path: Path) -> None:
    path = write_recipe(
        tmp_path,
        """
        name = "s"
        [model]
        encoder = [{ filters = 4, kernel = 3, strides = 2, padding = "same" }]
        [[model.decoder]]
        filters = 4
        kernel = 3
        strides = 2
        padding = "same"
        output_padding = [0, 1]
        """,
    )
    model = load_recipe(path, ["data.size=[13, 18]", 'data.source="x"']).variants[0].recipe.model
    rows = network_shapes(model, 1, (13, 18))
    assert [r.out[:2] for r in rows] == [(7, 9), (13, 18), (13, 18)]


def folder_recipe(tmp_path: Path, extra: str = "") -> Path:
    return write_recipe(
        tmp_path,
        f"""
        name = "mine"
        [data]
        source = "imgs"
        color = "rgba"
        {extra}
        [render]
        sample = 2
        [render.poster]
        paper = "A5"
        dpi = 72
        """,
    )


def test_validate_and_list_read_the_folder_without_tensorflow(tmp_path: Path) -> None:
    make_folder(tmp_path / "imgs", 20)
    path = folder_recipe(tmp_path)
    res = run_cli("validate", path, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "20 images (13x17 x20) -> 13x17" in res.stdout and "18 training, 2 test" in res.stdout
    res = run_cli("list", path, cwd=tmp_path)
    assert res.returncode == 0 and "13x17x4" in res.stdout and "9x13x8" in res.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["imgs", "recipe.toml"]
    code = (
        "import sys; from punkforge.cli import app\n"
        f"sys.argv=['punkforge','validate',{str(path)!r}]\n"
        "try: app()\nexcept SystemExit: pass\n"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    )
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr


def test_bad_folder_or_network_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    mixed(tmp_path / "imgs")
    path = folder_recipe(tmp_path)
    for cmd in ("validate", "run"):
        res = run_cli(cmd, path, "--out", tmp_path / "out", cwd=tmp_path) if cmd == "run" else \
            run_cli(cmd, path, cwd=tmp_path)  # fmt: skip
        assert res.returncode == 2 and "not all one size" in res.stderr, res.stderr
        assert "Traceback" not in res.stderr
    assert not (tmp_path / "out").exists()
    # fits the folder, but the strided network cannot give back 11x11 without padding
    path = folder_recipe(
        tmp_path,
        'fit = "nearest"\nsize = [11, 11]\n[model]\n'
        'encoder = [{ filters = 4, kernel = 3, strides = 2, padding = "same" }]\n'
        'decoder = [{ filters = 4, kernel = 3, strides = 2, padding = "same" }]',
    )
    res = run_cli("run", path, "--out", tmp_path / "out", cwd=tmp_path)
    assert res.returncode == 2 and "not 11x11" in res.stderr, res.stderr
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- rendering at other sizes


@pytest.mark.parametrize("size", [(13, 17), (8, 8), (256, 40)])
def test_poster_series_gif_sheet_at_other_sizes(tmp_path: Path, size: tuple[int, int]) -> None:
    from punkforge.recipe.limits import pair_gap, poster_geometry
    from punkforge.recipe.sections import GifConfig
    from punkforge.rendering.animation import make_gif_frames
    from punkforge.rendering.compositing import to_rgb
    from punkforge.rendering.poster import make_poster
    from punkforge.rendering.series import make_series_image, save_series
    from punkforge.rendering.variants_sheet import make_variants_sheet, sheet_scale

    h, w = size
    dev = np.stack([sprite(h, w, i) for i in range(7)])
    orig = dev[::-1].copy()
    for layout in ("devolved", "pairs"):
        pc = PosterConfig(paper="A5", dpi=150, layout=layout, caption=True)
        g = poster_geometry(7, pc, size)
        page = make_poster(dev, orig, pc, "caption")
        assert page.shape == (g.height, g.width, 3)
        tw = (2 * w + pair_gap(size) if layout == "pairs" else w) * g.scale
        assert (g.tile_width, g.tile_height) == (tw, h * g.scale)
        x, y = g.tile_origin(6)
        assert x + g.tile_width <= g.width - g.margin and y + g.tile_height <= g.height
        if layout == "devolved":  # tile 0 is devolved[0], scaled exactly
            x0, y0 = g.tile_origin(0)
            tile = page[y0 : y0 + g.tile_height : g.scale, x0 : x0 + g.tile_width : g.scale]
            assert np.array_equal(tile, to_rgb(dev[0], (255, 255, 255)))
    img = make_series_image(dev[0], orig[0], SeriesConfig(scale=3, layout="pairs"), "#000")
    assert img.shape == (3 * h, 3 * (2 * w + pair_gap(size)), 3)
    ids = np.array([f"s{i}" for i in range(7)])
    paths = save_series(dev, None, ids, tmp_path / "series", SeriesConfig(scale=2), "#000")
    assert paths[0].name == "s0.png" and Image.open(paths[0]).size == (2 * w, 2 * h)
    frames = make_gif_frames(dev[None], [1], 1, GifConfig(scale=1), "#000")
    assert frames[0].shape[1] >= w and frames[0].ndim == 3
    sheet = make_variants_sheet(orig[:3], [("v", dev[:3])], "#fff")
    s = sheet_scale(size)
    assert sheet.shape[0] >= 2 * h * s and sheet.shape[1] >= 3 * w * s


def test_gif_grid_keeps_tall_tiles_near_square() -> None:
    from punkforge.recipe.limits import grid_shape

    assert grid_shape(64) == (8, 8)
    cols, rows = grid_shape(48, 28 / 20)
    assert cols > rows and abs(cols * 20 / (rows * 28) - 1) < 0.4
    assert grid_shape(10, 40 / 256)[0] <= 2  # wide tiles: few columns


def test_series_names() -> None:
    from punkforge.rendering.series import series_name

    assert series_name(9000) == "punk-9000.png"
    assert series_name(np.int64(9001)) == "punk-9001.png"
    assert series_name(np.array(["cat"])[0]) == "cat.png"


# ---------------------------------------------------------------- a real run


@pytest.mark.slow
def test_tiny_training_run_on_a_folder(tmp_path: Path) -> None:
    make_folder(tmp_path / "imgs", 12)
    path = folder_recipe(tmp_path, "test_fraction = 0.25\n[train]\nepochs = 1\nbatch_size = 4")
    out = tmp_path / "out"
    res = run_cli("run", path, "--out", out, cwd=tmp_path, timeout=600)
    assert res.returncode == 0, res.stderr
    v = out / "mine" / "base"
    names = sorted(p.name for p in (v / "series").glob("*.png"))
    assert len(names) == 3 and all(n.startswith("img-") for n in names)
    assert Image.open(v / "series" / names[0]).size == (17 * 20, 13 * 20)
    assert (v / "poster.png").is_file() and (v / "progress.gif").is_file()
    assert (out / "mine" / "variants.png").is_file() and list((out / "mine" / ".cache").iterdir())
    res = run_cli("run", path, "--out", out, cwd=tmp_path, timeout=600)
    assert res.returncode == 0 and "up to date, skipped" in res.stderr
    save(tmp_path / "imgs" / "img-00.png", sprite(13, 17, 77))
    res = run_cli("run", path, "--out", out, "--dry-run", cwd=tmp_path)  # the planner agrees
    assert res.returncode == 0 and "train epoch 1" in res.stdout + res.stderr, res.stdout
    res = run_cli("run", path, "--out", out, cwd=tmp_path, timeout=600)
    assert res.returncode == 0 and "training 1 epoch" in res.stderr, res.stderr


# ---------------------------------------------------------------- size "auto", after the scan


def test_default_limits_take_every_image_of_a_small_folder(tmp_path: Path) -> None:
    src = make_folder(tmp_path / "i", 10)
    p = images.load_folder(cfg(src), 0, None)  # train_limit 9000, test_limit 1000: "at most"
    assert len(p.train) + len(p.test) == 10 and len(p.test) == 1


def test_list_shows_the_data_size_and_what_auto_output_padding_chose(tmp_path: Path) -> None:
    make_folder(tmp_path / "imgs", 20)  # 13x17: strides 2 give 7x9, which needs 0/1 back
    path = folder_recipe(
        tmp_path,
        "[model]\n"
        'encoder = [{ filters = 4, kernel = 3, strides = 2, padding = "same" }]\n'
        'decoder = [{ filters = 4, kernel = 3, strides = 2, padding = "same",'
        ' output_padding = "auto" }]',
    )
    res = run_cli("list", path, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "at 13x17" in res.stdout and "13x17x4" in res.stdout and "7x9x4" in res.stdout
    assert "output_padding" in res.stdout and "auto: 0x0" in res.stdout
    plain = run_cli("list", folder_recipe(tmp_path), cwd=tmp_path)
    assert plain.returncode == 0 and "output_padding" not in plain.stdout


def test_budgets_are_checked_at_the_size_the_folder_gives(tmp_path: Path) -> None:
    extra = "[train]\nepochs = 5000\n[render.gif]\nevery = 100"
    make_folder(tmp_path / "imgs", 20, 256, 256)  # size "auto": unknown until scanned
    res = run_cli("validate", folder_recipe(tmp_path, extra), cwd=tmp_path)
    assert res.returncode == 2 and "train.epochs" in res.stderr, res.stderr
    assert "256x256" in res.stderr and "GiB of snapshots" in res.stderr
    small = tmp_path / "small"
    make_folder(small / "imgs", 20, 24, 24)  # the same recipe on small images is fine
    res = run_cli("validate", folder_recipe(small, extra), cwd=small)
    assert res.returncode == 0, res.stderr
