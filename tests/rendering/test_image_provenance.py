"""Pictures remember their recipe: every writer's metadata reads back; `info`, `new --from`.

Each writer (PNG, palette PNG, TIFF, PDF, GIF, WebP; the poster, the series,
the animations) is given an `ImageProvenance` and `read_provenance` must give
it back unchanged; without one a file carries nothing and the pixels are the
same either way. The print checkers (pngcheck, tiffinfo, qpdf, Ghostscript,
gifsicle) run on the files when installed. Bad input to `info` and
`new --from` is one paragraph, exit 2, nothing written.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest
import tifffile
from conftest import ROOT
from PIL import Image
from typer.testing import CliRunner

from punkforge.cli import app
from punkforge.pipeline.output_folder import data_fingerprint
from punkforge.recipe.loader import read_recipe_file
from punkforge.recipe.sections import GifConfig, PosterConfig
from punkforge.rendering.animation import save_gif
from punkforge.rendering.png_codec import read_image, save_png
from punkforge.rendering.poster import save_poster
from punkforge.rendering.provenance import ImageProvenance, read_provenance
from punkforge.rendering.series import save_series

RECIPE = (
    "# Resolved recipe of variant 'wide' (every default written out).\n"
    'name = "tiny"\ntitle = "Déjà vu — <punks> & (more)"\nseed = 0\n\n'
    '[train]\nepochs = 2\nlearning_rate = 0.003\n\n[render.poster]\nlayout = "pairs"\n'
)
MADE = ImageProvenance(RECIPE, "0.2.0", "cpunks10k", "wide")
runner = CliRunner()


def _art(h: int = 48, w: int = 36, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 4, (h, w, 3)) * 80).astype(np.uint8)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed")
    return path


@pytest.fixture
def poster_files(tmp_path: Path) -> list[Path]:
    cfg = PosterConfig(paper="A5", dpi=72, formats=["png", "tiff", "pdf"])
    return save_poster(_art(), tmp_path / "poster", cfg, title="T (x)", provenance=MADE)


def test_every_poster_format_reads_back(poster_files: list[Path]) -> None:
    assert {p.suffix for p in poster_files} == {".png", ".tiff", ".pdf"}
    for path in poster_files:
        assert read_provenance(path) == MADE, path


def test_png_carries_itxt_chunks_with_the_recipe_deflated(tmp_path: Path) -> None:
    path = save_png(_art(), tmp_path / "a.png", provenance=MADE)
    data = path.read_bytes()
    assert data.count(b"iTXt") == 4
    assert b"punkforge:recipe\x00\x01\x00" in data  # compressed, method 0
    assert RECIPE.encode() not in data  # the recipe is deflated, not stored
    assert b"punkforge:version\x00\x00\x000.2.0" not in data  # empty language tags between
    assert b"punkforge:version\x00\x00\x00\x00\x000.2.0" in data
    with Image.open(path) as im:  # Pillow, another reader, sees the same text
        assert im.text["punkforge:recipe"] == RECIPE
        assert im.text["punkforge:data"] == "cpunks10k"


def test_tiff_carries_an_xmp_packet(poster_files: list[Path]) -> None:
    tiff = next(p for p in poster_files if p.suffix == ".tiff")
    with tifffile.TiffFile(tiff) as tif:
        xmp = tif.pages.first.tags[700].value
    text = xmp.decode() if isinstance(xmp, bytes) else str(xmp)
    assert "<punkforge:variant>wide</punkforge:variant>" in text
    assert "&lt;punks&gt; &amp;" in text  # XML-escaped, read back unescaped


def test_pdf_document_info_holds_the_fields(poster_files: list[Path]) -> None:
    pdf = next(p for p in poster_files if p.suffix == ".pdf").read_bytes()
    for key in (b"/PunkforgeRecipe <FEFF", b"/PunkforgeVersion <FEFF", b"/PunkforgeData <FEFF"):
        assert key in pdf
    assert b"/Title (T \\(x\\))" in pdf


def test_pixels_are_the_same_with_and_without_provenance(tmp_path: Path) -> None:
    art = _art()
    plain = save_png(art, tmp_path / "plain.png")
    made = save_png(art, tmp_path / "made.png", provenance=MADE)
    assert np.array_equal(read_image(plain), read_image(made))
    assert read_provenance(plain) is None


def test_series_pngs_read_back_palette_and_rgb(tmp_path: Path) -> None:
    from punkforge.recipe.sections import SeriesConfig

    grey = (np.arange(2 * 24 * 24) % 5 * 50).astype(np.uint8).reshape(2, 24, 24, 1)
    many = np.random.default_rng(1).integers(0, 256, (1, 24, 24, 3)).astype(np.uint8)
    cfg = SeriesConfig(scale=2)
    paths = save_series(grey, None, np.array([9000, 9001]), tmp_path, cfg, "#ffffff", MADE)
    paths += save_series(many, None, np.array([9002]), tmp_path, cfg, "#ffffff", MADE)
    with Image.open(paths[0]) as im:
        assert im.mode == "P"  # the palette path
    with Image.open(paths[2]) as im:
        assert im.mode == "RGB"  # more than 256 colours
    assert all(read_provenance(p) == MADE for p in paths)


def test_gif_and_webp_read_back_and_mp4_is_left_alone(tmp_path: Path) -> None:
    frames = [_art(seed=0), _art(seed=1)]
    paths = save_gif(frames, tmp_path / "progress", GifConfig(formats=["gif", "webp"]), MADE)
    assert [read_provenance(p) for p in paths] == [MADE, MADE]
    with Image.open(paths[0]) as im:  # still an animation of both frames
        assert im.n_frames == 2
    plain = save_gif(frames, tmp_path / "plain", GifConfig(formats=["gif", "webp"]))
    assert [read_provenance(p) for p in plain] == [None, None]


def test_print_checkers_accept_the_files(tmp_path: Path, poster_files: list[Path]) -> None:
    png, tiff, pdf = (
        next(p for p in poster_files if p.suffix == s) for s in (".png", ".tiff", ".pdf")
    )
    checks = {
        "pngcheck": ([_tool("pngcheck"), "-q", png], ""),
        "tiffinfo": ([_tool("tiffinfo"), tiff], "XMP"),
        "qpdf": ([_tool("qpdf"), "--check", pdf], "No syntax or stream encoding errors"),
    }
    for name, (cmd, expect) in checks.items():
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, (name, r.stdout, r.stderr)
        assert expect in r.stdout + r.stderr, name
    gif = save_gif([_art()], tmp_path / "p", GifConfig(formats=["gif"]), MADE)[0]
    r = subprocess.run([_tool("gifsicle"), "--info", gif], capture_output=True, text=True)
    assert r.returncode == 0 and "punkforge:recipe" in r.stdout, r.stderr


def test_ghostscript_renders_the_pdf_pixel_for_pixel(
    poster_files: list[Path], tmp_path: Path
) -> None:
    png, pdf = (next(p for p in poster_files if p.suffix == s) for s in (".png", ".pdf"))
    out = tmp_path / "gs.png"
    cmd = [
        _tool("gs"),
        "-q",
        "-dNOPAUSE",
        "-dBATCH",
        "-sDEVICE=png16m",
        "-r72",
        f"-sOutputFile={out}",
        pdf,
    ]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    assert np.array_equal(read_image(out), read_image(png))


# ---------------------------------------------------------------- the commands


def test_info_prints_version_data_variant_and_recipe(poster_files: list[Path]) -> None:
    for path in poster_files:
        r = runner.invoke(app, ["info", str(path)])
        assert r.exit_code == 0, r.output
        assert f"{path}: made by punkforge 0.2.0" in r.stdout
        assert "variant: wide" in r.stdout and "data:    cpunks10k" in r.stdout
        assert r.stdout.endswith(RECIPE)


def test_info_on_a_picture_punkforge_did_not_make(tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    Image.new("RGB", (8, 8)).save(path)
    r = runner.invoke(app, ["info", str(path)])
    assert r.exit_code == 2
    assert f"{path} was not made by punkforge" in r.output
    assert r.output.strip().count("\n") == 0  # one paragraph


def test_info_escapes_control_characters(tmp_path: Path) -> None:
    forged = ImageProvenance('name = "x"\n# \x1b[2J\x07\n', "0.2.0\x1b]0;pwned\x07", "d", "v")
    path = save_png(_art(), tmp_path / "forged.png", provenance=forged)
    r = runner.invoke(app, ["info", str(path)])
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "\\x1b[2J" in r.stdout


def test_new_from_an_image_writes_its_recipe_renamed(tmp_path: Path, poster_files) -> None:
    for i, path in enumerate(poster_files):
        r = runner.invoke(
            app, ["new", f"again-{i}", "--from", str(path), "--dir", str(tmp_path / "r")]
        )
        assert r.exit_code == 0, r.output
        text = (tmp_path / "r" / f"again-{i}.toml").read_text(encoding="utf-8")
        assert text == RECIPE.replace('name = "tiny"', f'name = "again-{i}"')
    r = runner.invoke(
        app, ["new", "again-0", "--from", str(poster_files[0]), "--dir", str(tmp_path / "r")]
    )
    assert r.exit_code == 2 and "never overwrites" in r.output


def _refused(tmp_path: Path, image: Path, words: str) -> None:
    folder = tmp_path / "recipes"
    r = runner.invoke(app, ["new", "mine", "--from", str(image), "--dir", str(folder)])
    assert r.exit_code == 2, r.output
    assert words in r.output
    assert r.output.strip().count("\n") == 0  # one paragraph
    assert not folder.exists()  # nothing written


def test_new_from_a_picture_punkforge_did_not_make(tmp_path: Path) -> None:
    for name in ("photo.png", "photo.gif", "photo.webp", "photo.tiff", "photo.pdf"):
        path = tmp_path / name
        Image.new("RGB", (8, 8)).save(path)
        _refused(tmp_path, path, f"{path} was not made by punkforge")


def test_new_from_a_truncated_png(tmp_path: Path) -> None:
    whole = save_png(_art(240, 240), tmp_path / "whole.png", provenance=MADE).read_bytes()
    for cut in (len(whole) // 2, len(whole) - 6, 60):
        path = tmp_path / "cut.png"
        path.write_bytes(whole[:cut])
        _refused(tmp_path, path, "damaged or cut short")


def test_new_from_a_png_whose_recipe_does_not_parse(tmp_path: Path) -> None:
    bad = ImageProvenance('name = "x"\n[data\nsource = 1\n', "0.2.0", "cpunks10k", "base")
    path = save_png(_art(), tmp_path / "bad.png", provenance=bad)
    _refused(tmp_path, path, "its TOML does not parse")
    nameless = ImageProvenance('title = "x"\n', "0.2.0", "cpunks10k", "base")
    path = save_png(_art(), tmp_path / "nameless.png", provenance=nameless)
    _refused(tmp_path, path, "no top-level")


def test_new_from_a_png_with_a_damaged_text_chunk(tmp_path: Path) -> None:
    data = bytearray(save_png(_art(), tmp_path / "a.png", provenance=MADE).read_bytes())
    at = data.index(b"punkforge:recipe") + 30
    data[at] ^= 0xFF  # inside the deflated recipe: the chunk's CRC no longer matches
    path = tmp_path / "flipped.png"
    path.write_bytes(bytes(data))
    _refused(tmp_path, path, "fails its checksum")


def test_new_from_a_missing_image_and_a_non_image(tmp_path: Path) -> None:
    _refused(tmp_path, tmp_path / "nowhere.png", "cannot read it")
    text = tmp_path / "notes.pdf"
    text.write_text("just words", encoding="utf-8")
    _refused(tmp_path, text, "is not a PNG, TIFF, PDF, GIF or WebP image")


def test_png_writer_output_is_unchanged_without_provenance() -> None:
    """Without a provenance the PNG is byte for byte what it was before this feature."""
    from punkforge.rendering.png_codec import write_png

    art = _art()
    buf = io.BytesIO()
    write_png(buf, art)
    data = buf.getvalue()
    assert b"iTXt" not in data
    body = zlib.decompress(b"".join(_chunks(data, b"IDAT")))
    assert len(body) == art.shape[0] * (art.shape[1] * 3 + 1)


def _chunks(data: bytes, kind: bytes) -> list[bytes]:
    out, pos = [], 8
    while pos < len(data):
        n = int.from_bytes(data[pos : pos + 4], "big")
        if data[pos + 4 : pos + 8] == kind:
            out.append(data[pos + 8 : pos + 8 + n])
        pos += 12 + n
    return out


def test_the_data_is_identified_by_name_or_by_a_folders_content() -> None:
    from punkforge.data import folder_images

    punks = read_recipe_file(ROOT / "recipes" / "devolved-punks.toml").variants[0]
    assert data_fingerprint(punks.recipe) == "cpunks10k"
    sprites = read_recipe_file(ROOT / "recipes" / "sprites.toml").variants[0]
    fingerprint = folder_images.fingerprint(sprites.recipe.data)
    assert data_fingerprint(sprites.recipe) == "sha256:" + fingerprint
