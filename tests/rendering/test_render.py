"""Rendering: poster geometry and pixels, series, GIF, text, sheets and the loss plot."""

from __future__ import annotations

import subprocess
import sys

import imageio.v3 as iio
import numpy as np
import pytest
from conftest import ROOT
from PIL import Image

from punkforge.errors import PunkforgeError
from punkforge.recipe.limits import PAIR_GAP, check_poster
from punkforge.recipe.sections import GifConfig, PosterConfig, SeriesConfig
from punkforge.rendering.animation import make_gif_frames, save_gif, select_epochs
from punkforge.rendering.compositing import to_rgb
from punkforge.rendering.loss_plot import make_loss_plot
from punkforge.rendering.pixel_font import _GLYPHS, draw_text, text_size
from punkforge.rendering.png_codec import read_image, save_png
from punkforge.rendering.poster import make_poster, poster_caption, poster_geometry
from punkforge.rendering.series import make_series_image, save_series
from punkforge.rendering.variants_sheet import make_variants_sheet

WHITE, BLACK = (255, 255, 255), (0, 0, 0)


def punks(n: int, channels: int = 4, seed: int = 0) -> np.ndarray:
    """(n, 24, 24, channels) uint8 with few colours per punk and opaque/half/clear alpha."""
    rng = np.random.default_rng(seed)
    palette = rng.integers(0, 256, (n, 6, channels), dtype=np.uint8)
    if channels == 4:
        palette[:, :, 3] = rng.choice(np.array([0, 128, 255], np.uint8), (n, 6))
    index = rng.integers(0, 6, (n, 24, 24))
    return palette[np.arange(n)[:, None, None], index]


def small(**kw) -> PosterConfig:
    """A small poster config, not validated: check_poster must refuse bad ones on its own."""
    base = dict(paper="4x5in", dpi=72, margin="0.25in", caption=False)
    return PosterConfig.model_construct(**{**PosterConfig().model_dump(), **base, **kw})


# --- geometry ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("paper", "orientation", "dpi", "bleed", "size", "bleed_px"),
    [
        ("18x24in", "portrait", 300, "0in", (5400, 7200), 0),
        ("18x24in", "landscape", 300, "0in", (7200, 5400), 0),
        ("A4", "portrait", 300, "0in", (2480, 3508), 0),
        ("A4", "landscape", 300, "0in", (3508, 2480), 0),
        ("A3", "portrait", 72, "0in", (842, 1191), 0),
        ("24x36in", "portrait", 100, "0.125in", (2426, 3626), 13),  # 12.5 px rounds up
        ("A4", "portrait", 300, "3mm", (2480 + 70, 3508 + 70), 35),
        ("210x297mm", "portrait", 300, "0in", (2480, 3508), 0),
    ],
)
def test_page_pixel_size(paper, orientation, dpi, bleed, size, bleed_px):
    cfg = PosterConfig(paper=paper, orientation=orientation, dpi=dpi, bleed=bleed, margin="0in")
    g = poster_geometry(10, cfg)
    assert (g.width, g.height) == size
    assert g.bleed == bleed_px
    assert (g.trim_width + 2 * g.bleed, g.trim_height + 2 * g.bleed) == size


def test_default_poster_uses_the_largest_whole_scale():
    g = poster_geometry(1000, PosterConfig())
    assert g.cols * g.rows >= 1000 and g.scale == 6 and g.tile_width == 24 * 6
    aw, ah = g.trim_width - 2 * g.margin, g.trim_height - 2 * g.margin
    assert g.grid_width <= aw and g.grid_height <= ah

    def fits(scale: int) -> bool:  # brute force: does any grid hold 1000 punks at `scale`?
        step = 28 * scale  # punk + 4 px gutter
        cols, rows = (aw + 4 * scale) // step, (ah + 4 * scale) // step
        return cols * rows >= 1000

    assert fits(g.scale) and not fits(g.scale + 1)


@pytest.mark.parametrize(
    ("kw", "n", "words"),
    [
        (dict(margin="3in"), 10, "margin"),
        (dict(dpi=36, paper="A5"), 1000, "do not fit"),
        (dict(paper="A0", dpi=1200), 10, "megapixel"),
        (dict(crop_marks=True, bleed="0in"), 10, "bleed"),
        (dict(paper="B4"), 10, "render.poster.paper"),
        (dict(bleed="3 parsecs"), 10, "render.poster.bleed"),
    ],
)
def test_impossible_posters_are_refused(kw, n, words):
    with pytest.raises(PunkforgeError, match=words) as info:
        check_poster(small(**kw), n)
    assert info.value.exit_code == 2


@pytest.mark.parametrize("layout", ["devolved", "original", "pairs"])
def test_tiles_are_crisp_centred_and_correct(layout):
    dev, orig = punks(7, seed=1), punks(7, seed=2)
    cfg = small(layout=layout, background="#203040")
    g = poster_geometry(7, cfg)
    page = make_poster(dev, orig, cfg, "")
    assert page.shape == (g.height, g.width, 3) and page.dtype == np.uint8
    s = g.scale
    assert s >= 2
    want_left = to_rgb(orig if layout != "devolved" else dev, (0x20, 0x30, 0x40))
    for i in range(7):
        x, y = g.tile_origin(i)
        tile = page[y : y + g.tile_height, x : x + g.tile_width]
        small_tile = tile[::s, ::s]
        # every punk pixel is a uniform s x s block
        assert np.array_equal(np.repeat(np.repeat(small_tile, s, 0), s, 1), tile)
        assert np.array_equal(small_tile[:, :24], want_left[i])
        if layout == "pairs":
            assert g.tile_width == (48 + PAIR_GAP) * s
            assert np.array_equal(small_tile[:, 24 + PAIR_GAP :], to_rgb(dev, "#203040")[i])
            assert (small_tile[:, 24 : 24 + PAIR_GAP] == (0x20, 0x30, 0x40)).all()
    # centred: the grid's free space splits evenly, to a pixel
    area_w = g.trim_width - 2 * g.margin
    area_h = g.trim_height - 2 * g.margin
    left = g.grid_x - g.bleed - g.margin
    top = g.grid_y - g.bleed - g.margin
    assert abs(left - (area_w - g.grid_width - left)) <= 1
    assert abs(top - (area_h - g.grid_height - top)) <= 1


def test_bleed_is_background_and_crop_marks_stay_out_of_the_trim():
    cfg = small(bleed="0.25in", background="#e0d0c0")
    plain = make_poster(punks(4), punks(4), cfg, "")
    marked = make_poster(punks(4), punks(4), small(bleed="0.25in", background="#e0d0c0",
                                                   crop_marks=True), "")  # fmt: skip
    g = poster_geometry(4, cfg)
    b = g.bleed
    bleed = np.ones(plain.shape[:2], bool)
    bleed[b : b + g.trim_height, b : b + g.trim_width] = False
    assert (plain[bleed] == (0xE0, 0xD0, 0xC0)).all()
    trim = (slice(b, b + g.trim_height), slice(b, b + g.trim_width))
    assert np.array_equal(plain[trim], marked[trim])  # marks never enter the trim
    changed = (plain != marked).any(axis=2)
    assert changed.sum() > 0 and not changed[~bleed].any()
    assert (marked[changed] == BLACK).all()
    k = b + 2
    for corner in (marked[:k, :k], marked[:k, -k:], marked[-k:, :k], marked[-k:, -k:]):
        assert (corner == BLACK).all(axis=2).sum() >= 2 * (b // 2)  # two marks at every corner


def test_caption_in_bottom_margin_contrasting():
    for bg, ink in (("#ffffff", BLACK), ("#101010", WHITE)):
        cfg = small(caption=True, background=bg, margin="0.5in")
        g = poster_geometry(5, cfg)
        page = make_poster(punks(5), punks(5), cfg, poster_caption("Devolved Punks", "base", 3))
        bx, by, bw, bh = g.caption_box
        assert by >= g.grid_y + g.grid_height  # below the punks
        box = page[by : by + bh, bx : bx + bw]
        assert (box == ink).all(axis=2).sum() > 100
        no_caption = make_poster(punks(5), punks(5), small(background=bg, margin="0.5in"), "x")
        assert not (no_caption[by : by + bh, bx : bx + bw] == ink).all(axis=2).any()


def test_caption_is_legible_size():
    g = poster_geometry(1000, PosterConfig())
    assert 7 * g.caption_scale >= 0.15 * 300


def test_poster_caption_text():
    assert (
        poster_caption("Devolved Punks", "base", 10)
        == "Devolved Punks \u2014 base \u2014 10 epochs"
    )
    assert poster_caption("T", "v", 1).endswith("1 epoch")


# --- compositing --------------------------------------------------------------


def test_rgba_compositing_is_exact():
    rng = np.random.default_rng(3)
    p = rng.integers(0, 256, (50, 24, 24, 4), dtype=np.uint8)
    bg = (17, 200, 99)
    got = to_rgb(p, "#11c863")
    a = p[..., 3:4].astype(np.float64)
    want = np.floor((p[..., :3] * a + np.array(bg) * (255 - a)) / 255 + 0.5).astype(np.uint8)
    assert np.array_equal(got, want)
    one = np.array([[[[255, 0, 10, 0], [255, 0, 10, 255], [255, 0, 0, 128]]]], np.uint8)
    assert to_rgb(one, "#000000")[0, 0].tolist() == [[0, 0, 0], [255, 0, 10], [128, 0, 0]]


def test_grey_and_rgb():
    grey = np.arange(24 * 24, dtype=np.uint16).reshape(1, 24, 24, 1).astype(np.uint8)
    rgb = to_rgb(grey, "#ff0000")
    assert rgb.shape == (1, 24, 24, 3) and (rgb == grey).all()
    p3 = punks(2, 3)
    assert to_rgb(p3, "#000000") is p3


# --- series -------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["devolved", "pairs"])
def test_series_files(tmp_path, layout):
    dev, orig = punks(3, seed=4), punks(3, seed=5)
    cfg = SeriesConfig(scale=5, layout=layout)
    paths = save_series(
        dev, orig, np.array([9000, 9001, 9999]), tmp_path / "series", cfg, "#fafafa"
    )
    assert [p.name for p in paths] == ["punk-9000.png", "punk-9001.png", "punk-9999.png"]
    width = 24 * 5 if layout == "devolved" else (48 + PAIR_GAP) * 5
    for i, path in enumerate(paths):
        img = read_image(path)
        assert img.shape == (120, width, 3)
        assert np.array_equal(img, make_series_image(dev[i], orig[i], cfg, "#fafafa"))
    assert sorted(p.name for p in (tmp_path / "series").iterdir()) == [p.name for p in paths]


def test_series_with_many_colours_falls_back_to_rgb(tmp_path):
    rng = np.random.default_rng(6)
    dev = rng.integers(0, 256, (1, 24, 24, 3), dtype=np.uint8)  # ~576 colours
    (path,) = save_series(dev, None, np.array([9000]), tmp_path, SeriesConfig(scale=2), "#000000")
    with Image.open(path) as im:
        assert im.mode == "RGB"
    assert np.array_equal(read_image(path), np.repeat(np.repeat(dev[0], 2, 0), 2, 1))


# --- GIF ------------------------------------------------------------------------


def test_select_epochs():
    assert select_epochs([1, 2, 3, 4, 5, 6, 7], 7, 3) == [2, 5, 6]
    assert select_epochs([2, 4, 6], 6, 1) == [0, 1, 2]
    assert select_epochs([1, 2], 10, 5) == [1]  # unfinished run: the latest


def test_gif_frames_and_file(tmp_path):
    snaps = np.stack([punks(10, 1, seed=e) for e in range(10)])  # grey: exact palette
    cfg = GifConfig(every=3, scale=2, frame_ms=120, hold_ms=900, formats=("gif", "webp"))
    frames = make_gif_frames(snaps, list(range(1, 11)), 10, cfg, "#ffffff")
    assert len(frames) == 4  # epochs 3, 6, 9 and the last
    assert len({f.shape for f in frames}) == 1
    h, w, _ = frames[0].shape
    nolabel = make_gif_frames(
        snaps, list(range(1, 11)), 10, GifConfig(every=3, scale=2, label=False), "#ffffff"
    )
    gh, gw, _ = nolabel[0].shape
    assert h > gh  # the label has its own band ...
    off = (w - gw) // 2
    assert np.array_equal(frames[1][:gh, off : off + gw], nolabel[1])  # ... and covers no punk
    assert (frames[0][gh:] == BLACK).all(axis=2).sum() > 20
    assert not np.array_equal(frames[0][gh:], frames[1][gh:])  # "epoch 3/10" vs "epoch 6/10"

    gif, webp = save_gif(frames, tmp_path / "progress", cfg)
    assert (gif.name, webp.name) == ("progress.gif", "progress.webp")
    for path in (gif, webp):  # every frame exact, durations with the hold, looping forever
        with Image.open(path) as im:
            assert im.n_frames == 4 and im.info["loop"] == 0
            durations = []
            for k in range(im.n_frames):
                im.seek(k)
                pixels = np.asarray(im.convert("RGB"))  # loads the frame and its info
                durations.append(im.info["duration"])
                assert np.array_equal(pixels, frames[k]), (path, k)
            assert durations == [120, 120, 120, 900]
    # a second decoder agrees
    for path in (gif, webp):
        back = np.stack([f[..., :3] for f in iio.imiter(path, mode="RGB")])
        assert np.array_equal(back, np.stack(frames)), path


def test_gif_and_webp_of_one_frame(tmp_path):
    """An unfinished run has one snapshot: a one-frame GIF shown hold_ms (WebP: a still)."""
    frame = punks(1, 3, seed=5)[0]
    cfg = GifConfig(frame_ms=100, hold_ms=700, formats=("gif", "webp"))
    gif, webp = save_gif([frame], tmp_path / "one", cfg)
    for path in (gif, webp):
        with Image.open(path) as im:
            assert im.n_frames == 1
            assert np.array_equal(np.asarray(im.convert("RGB")), frame)
            if path == gif:
                assert im.info["duration"] == 700 and im.info["loop"] == 0


def gif_palettes(data: bytes) -> tuple[int, list[bool]]:
    """(global colour table size, per frame: has a local colour table) from GIF bytes."""
    assert data[:6] == b"GIF89a"
    flags = data[10]
    size = 2 << (flags & 7) if flags & 0x80 else 0
    pos, local = 13 + 3 * size, []
    while data[pos] != 0x3B:  # trailer
        if data[pos] == 0x21:  # extension: label, then sub-blocks
            pos += 2
        else:  # image descriptor, optional local table, LZW minimum code size, sub-blocks
            assert data[pos] == 0x2C
            packed = data[pos + 9]
            local.append(bool(packed & 0x80))
            pos += 10 + (3 * (2 << (packed & 7)) if packed & 0x80 else 0) + 1
        while data[pos]:
            pos += data[pos] + 1
        pos += 1
    return size, local


def test_gif_frames_share_one_palette_without_dithering(tmp_path):
    # three frames whose 200 colours differ frame to frame; together they fit one table
    rng = np.random.default_rng(3)
    colours = rng.choice(1 << 24, 200, replace=False)
    rgb = np.stack([colours >> 16, (colours >> 8) & 255, colours & 255], 1).astype(np.uint8)
    frames = [rgb[rng.integers(k * 60, k * 60 + 80, (30, 40))] for k in range(3)]
    (gif,) = save_gif(frames, tmp_path / "p", GifConfig(frame_ms=50, hold_ms=400))
    size, local = gif_palettes(gif.read_bytes())
    assert size == 256 and local == [False, False, False]
    back = iio.imread(gif, index=None, mode="RGB")
    assert np.array_equal(back, np.stack(frames))


def test_gif_many_colours_stays_crisp(tmp_path):
    rng = np.random.default_rng(7)
    snaps = rng.integers(0, 256, (2, 4, 24, 24, 3), dtype=np.uint8)
    frames = make_gif_frames(snaps, [1, 2], 2, GifConfig(scale=1), "#000000")
    (gif,) = save_gif(frames, tmp_path / "p", GifConfig())
    with Image.open(gif) as im:
        assert im.n_frames == 2 and len(im.getpalette()) <= 256 * 3
        back = np.asarray(im.convert("RGB")).astype(int)
    assert np.abs(back - frames[0]).mean() < 12  # 256 of ~2300 random colours: close enough
    assert len(np.unique(back.reshape(-1, 3), axis=0)) <= 256


def test_gif_of_real_looking_colour_punks_is_close(tmp_path):
    base = punks(16, 3, seed=11).astype(np.float32)
    # many colours, as an RGB autoencoder gives: soft blends of a few flat colours
    snaps = np.stack([np.round(base * (0.6 + 0.02 * e) + 40) for e in range(5)]).astype(np.uint8)
    frames = make_gif_frames(snaps, [1, 2, 3, 4, 5], 5, GifConfig(scale=2), "#ffffff")
    (gif,) = save_gif(frames, tmp_path / "p", GifConfig())
    with Image.open(gif) as im:
        im.seek(4)
        back = np.asarray(im.convert("RGB")).astype(int)
    assert np.abs(back - frames[4]).mean() < 3


def test_mp4_without_ffmpeg_names_the_fix(tmp_path, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "imageio_ffmpeg" else real(name, *a),
    )
    frames = [np.zeros((8, 8, 3), np.uint8)]
    with pytest.raises(PunkforgeError, match="pip install imageio-ffmpeg"):
        save_gif(frames, tmp_path / "p", GifConfig(formats=("gif", "mp4")))
    assert not list(tmp_path.iterdir())  # refused before writing anything


def test_mp4(tmp_path):
    iio = pytest.importorskip("imageio.v3")
    pytest.importorskip("imageio_ffmpeg")
    frames = [np.full((13, 9, 3), k * 100, np.uint8) for k in range(3)]  # odd size
    cfg = GifConfig(frame_ms=100, hold_ms=300, formats=("mp4",))
    (mp4,) = save_gif(frames, tmp_path / "p", cfg)
    video = iio.imread(mp4, plugin="pyav") if _has_pyav() else None
    if video is None:
        import imageio_ffmpeg

        reader = imageio_ffmpeg.read_frames(str(mp4))
        meta = next(reader)
        assert tuple(meta["size"]) == (18, 26)  # doubled: even and chroma-aligned
        count = sum(1 for _ in reader)
    else:
        count = len(video)
    assert count == 2 + 3  # the last frame held for hold_ms / frame_ms frames


def _has_pyav() -> bool:
    import importlib.util

    return importlib.util.find_spec("av") is not None


# --- text, sheets, plot ---------------------------------------------------------------


def test_font_table_is_well_formed():
    for ch, rows in _GLYPHS.items():
        parts = rows.split()
        assert len(parts) in (7, 8, 9) and all(len(r) == 5 for r in parts), ch
        assert set("".join(parts)) <= {"#", "."}, ch
    assert all(chr(c) in _GLYPHS for c in range(32, 127))


def test_text_is_crisp_and_sized():
    assert text_size("epoch 3/10", 2) == ((6 * 10 - 1) * 2, 18)
    img = np.full((40, 200, 3), 200, np.uint8)
    draw_text(img, "epoch 3/10", 4, 6, 2, (10, 20, 30))
    colours = {tuple(c) for c in img.reshape(-1, 3)}
    assert colours == {(200, 200, 200), (10, 20, 30)}
    ink = (img == (10, 20, 30)).all(axis=2)
    assert np.array_equal(np.repeat(np.repeat(ink[::2, ::2], 2, 0), 2, 1)[:40, :200], ink)
    draw_text(img, "clipped", 190, 35, 3, (0, 0, 0))  # partly outside: no error


def test_variants_sheet():
    orig = punks(20, seed=8)
    rows = [("base", punks(20, seed=9)), ("a-long-variant-name", punks(20, 1, seed=10))]
    sheet = make_variants_sheet(orig, rows, "#ffffff")
    assert sheet.dtype == np.uint8 and sheet.ndim == 3
    # the first original punk appears scaled by 4 with its pixels as blocks
    want = np.repeat(np.repeat(to_rgb(orig[:1], "#ffffff")[0], 4, 0), 4, 1)
    hits = [
        (y, x)
        for y in range(sheet.shape[0] - 95)
        for x in range(sheet.shape[1] - 95)
        if y < 60 and np.array_equal(sheet[y : y + 96, x : x + 96], want)
    ]
    assert hits
    label_col = sheet[:, : hits[0][1] - 4]
    assert (label_col == BLACK).all(axis=2).sum() > 200  # labels drawn


def test_loss_plot():
    history = [
        {"epoch": e, "loss": 1 / e, "val_loss": 1.2 / e, "seconds": 1.0} for e in range(1, 21)
    ]
    img = make_loss_plot(history, "Devolved Punks \u2014 base")
    assert img.shape == (800, 1200, 3)
    for colour in ((31, 119, 180), (230, 110, 0)):
        assert (img == colour).all(axis=2).sum() > 500
    one = make_loss_plot([{"epoch": 1, "loss": 0.3, "val_loss": float("nan"), "seconds": 1}], "x")
    assert one.shape == (800, 1200, 3)
    assert (one == (230, 110, 0)).all(axis=2).sum() == 0  # no val_loss: no orange


# --- files ------------------------------------------------------------------------


def test_save_png_dpi_and_reading_big_images(tmp_path, monkeypatch):
    img = np.zeros((50, 60, 3), np.uint8)
    img[10:20, 5:9] = (250, 1, 2)
    path = save_png(img, tmp_path / "a.png", dpi=150)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # would refuse 3000 px as a "bomb"
    assert np.array_equal(read_image(path), img)
    assert Image.MAX_IMAGE_PIXELS == 100
    monkeypatch.undo()
    with Image.open(path) as im:
        assert [round(d) for d in im.info["dpi"]] == [150, 150]


def test_render_never_imports_tensorflow():
    code = (
        "import punkforge.rendering, sys; "
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
