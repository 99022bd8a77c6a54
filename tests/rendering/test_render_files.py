"""Poster files: PNG, TIFF and PDF carry the dpi and sRGB profile and the exact pixels."""

from __future__ import annotations

import re
import zlib

import numpy as np
import pytest
import tifffile
from PIL import Image

from punkforge.recipe.sections import PosterConfig
from punkforge.rendering import tiff_writer as tiff
from punkforge.rendering.png_codec import deflate_rows, read_image, save_png, srgb_icc
from punkforge.rendering.poster import make_poster, poster_geometry, save_poster


def unfilter_png_rows(data: bytes, width: int, height: int, channels: int = 3) -> np.ndarray:
    """Undo PNG filtering (types 0-2, all punkforge writes) of a decompressed stream."""
    stride = width * channels
    rows = np.frombuffer(data, np.uint8).reshape(height, stride + 1)
    out = np.zeros((height, stride), np.uint8)
    prev = np.zeros(stride, np.uint8)
    for y in range(height):
        kind, row = rows[y, 0], rows[y, 1:]
        if kind == 0:
            out[y] = row
        elif kind == 1:
            acc = np.zeros(stride, np.int64)
            for c in range(channels):
                acc[c::channels] = np.cumsum(row[c::channels], dtype=np.int64)
            out[y] = acc % 256
        elif kind == 2:
            out[y] = row + prev
        else:
            raise AssertionError(f"unexpected PNG filter {kind}")
        prev = out[y]
    return out.reshape(height, width, channels)


def pdf_objects(data: bytes) -> dict[int, tuple[bytes, bytes | None]]:
    """{number: (dictionary, raw stream bytes or None)} of every object, via the xref table."""
    start = int(re.search(rb"startxref\s+(\d+)", data).group(1))
    assert data[start : start + 4] == b"xref"
    count = int(re.match(rb"xref\s+0\s+(\d+)", data[start:]).group(1))
    entries = re.findall(rb"(\d{10}) (\d{5}) ([nf])", data[start:])[:count]
    objs = {}
    for num, (offset, _, kind) in enumerate(entries):
        if kind != b"n":
            continue
        off = int(offset)
        head = re.match(rb"(\d+) 0 obj\s*", data[off:])
        assert head and int(head.group(1)) == num, f"xref offset of object {num} is wrong"
        body_start = off + head.end()
        end = data.index(b"endobj", body_start)
        body = data[body_start:end]
        stream = None
        if b"stream" in body:
            dict_part, _, rest = body.partition(b"stream\n")
            length = int(re.search(rb"/Length (\d+)", dict_part).group(1))
            stream = rest[:length]
            assert rest[length:].strip() == b"endstream"
            body = dict_part
        objs[num] = (body, stream)
    return objs


@pytest.fixture
def poster(tmp_path):
    rng = np.random.default_rng(0)
    punks = rng.integers(0, 256, (6, 24, 24, 4), dtype=np.uint8)
    cfg = PosterConfig(
        paper="3x4in", dpi=50, bleed="0.1in", crop_marks=True, margin="0.2in",
        background="#faf0e6", formats=("png", "tiff", "pdf"),
    )  # fmt: skip
    image = make_poster(punks, punks, cfg, "Devolved Punks — test — 2 epochs")
    paths = save_poster(image, tmp_path / "poster", cfg, title="Devolved (Punks)")
    return image, cfg, paths


def test_png_and_tiff_carry_dpi_icc_and_pixels(poster):
    image, cfg, paths = poster
    assert [p.name for p in paths] == ["poster.png", "poster.tiff", "poster.pdf"]
    for path in paths[:2]:
        with Image.open(path) as im:
            assert im.mode == "RGB"
            assert [round(d) for d in im.info["dpi"]] == [cfg.dpi, cfg.dpi]
            assert im.info["icc_profile"] == srgb_icc()
            if path.suffix == ".tiff":
                assert im.info["compression"] in ("tiff_adobe_deflate", "tiff_deflate")
        assert np.array_equal(read_image(path), image)
    assert not [p for p in paths[0].parent.iterdir() if p.name.startswith(".tmp-")]


def test_pdf_is_lossless_and_page_sized(poster):
    image, cfg, paths = poster
    data = paths[2].read_bytes()
    assert data.startswith(b"%PDF-1.") and data.rstrip().endswith(b"%%EOF")
    objs = pdf_objects(data)
    g = poster_geometry(6, cfg)
    page = next(body for body, _ in objs.values() if b"/Type /Page " in body)
    media = [float(v) for v in re.search(rb"/MediaBox \[([^\]]+)\]", page).group(1).split()]
    assert media == pytest.approx([0, 0, g.width * 72 / cfg.dpi, g.height * 72 / cfg.dpi])
    assert media[2:] == pytest.approx([(3 + 0.2) * 72, (4 + 0.2) * 72])  # paper + 2 x bleed
    trim = [float(v) for v in re.search(rb"/TrimBox \[([^\]]+)\]", page).group(1).split()]
    assert trim == pytest.approx([5 * 72 / 50, 5 * 72 / 50, media[2] - 7.2, media[3] - 7.2])
    body, stream = next((b, s) for b, s in objs.values() if b"/Subtype /Image" in b)
    assert b"/Width %d" % g.width in body and b"/Height %d" % g.height in body
    assert b"/FlateDecode" in body and b"/DCTDecode" not in body
    assert b"/ICCBased" in body
    pixels = unfilter_png_rows(zlib.decompress(stream), g.width, g.height)
    assert np.array_equal(pixels, image)
    assert np.array_equal(pixels, read_image(paths[0]))
    icc_ref = int(re.search(rb"/ICCBased (\d+) 0 R", body).group(1))
    assert zlib.decompress(objs[icc_ref][1]) == srgb_icc()


def test_pdf_opens_in_a_real_pdf_library(poster):
    pikepdf = pytest.importorskip("pikepdf")  # optional cross-check, not a dependency
    image, _, paths = poster
    with pikepdf.open(paths[2]) as pdf:
        (page,) = pdf.pages
        (raw,) = (page.get_images() if hasattr(page, "get_images") else page.images).values()
        pil = pikepdf.PdfImage(raw).as_pil_image()
        assert np.array_equal(np.asarray(pil.convert("RGB")), image)


def test_tiff_with_many_odd_sized_strips(tmp_path, monkeypatch):
    monkeypatch.setattr(tiff, "STRIP_BYTES", 100)  # 3-row strips of odd compressed lengths
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, (31, 11, 3), dtype=np.uint8)
    path = tmp_path / "t.tiff"
    with open(path, "wb") as fh:
        tiff.write_tiff(fh, image, 123)
    with Image.open(path) as im:
        assert im.tag_v2[278] == 3 and len(im.tag_v2[273]) == 11
        assert [round(d) for d in im.info["dpi"]] == [123, 123]
        assert np.array_equal(np.asarray(im), image)


def test_tiff_tags_read_back_with_tifffile(poster):
    """Deflate with the horizontal predictor, dpi in inches, sRGB ICC: as tifffile sees it."""
    image, cfg, paths = poster
    with tifffile.TiffFile(paths[1]) as tif:
        (page,) = tif.pages
        assert page.compression == tifffile.COMPRESSION.ADOBE_DEFLATE
        assert page.predictor == tifffile.PREDICTOR.HORIZONTAL
        assert page.photometric == tifffile.PHOTOMETRIC.RGB
        assert page.tags["XResolution"].value == (cfg.dpi, 1)
        assert page.tags["YResolution"].value == (cfg.dpi, 1)
        assert page.tags["ResolutionUnit"].value == tifffile.RESUNIT.INCH
        assert page.tags[34675].value == srgb_icc()
        assert np.array_equal(page.asarray(), image)


def test_png_of_many_blocks_round_trips(tmp_path):
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, (700, 33, 3), dtype=np.uint8)  # 3 blocks of 256 rows
    assert len(deflate_rows(image)) >= 1
    path = tmp_path / "p.png"
    save_png(image, path, dpi=72)
    assert np.array_equal(read_image(path), image)
