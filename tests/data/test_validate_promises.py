"""`validate` promises what `run` will accept: an image `run` refuses, `validate` refuses too.

Both decode every image through the same loop (`folder_images._decode_each`),
so the two refusals are the same paragraph. Damage nobody listed: every
format cut at several points (just after the header, mid-data, the last
bytes), a flipped byte in the pixel data, a zero-length file, text under an
image's name.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli
from PIL import Image

from punkforge.errors import RecipeError
from punkforge.pipeline import runner
from punkforge.recipe.loader import read_recipe_file

FORMATS = {"png": "PNG", "gif": "GIF", "webp": "WEBP", "bmp": "BMP", "jpg": "JPEG"}


def _image_bytes(fmt: str, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(a).save(buf, format=FORMATS[fmt])
    return buf.getvalue()


def _damaged(fmt: str, how: str) -> bytes | None:
    data = _image_bytes(fmt, 99)
    if how == "empty":
        return b""
    if how == "text":
        return b"hello, I am not an image\n"
    if how == "after-header":
        cut = {"png": 33, "gif": 13, "webp": 30, "bmp": 54, "jpg": 20}[fmt]
        return data[:cut]
    if how == "half":
        return data[: len(data) // 2]
    if how == "last-bytes":
        return data[:-12]
    if how == "flipped":  # a PNG's chunk CRC catches it; other formats may decode garbage
        if fmt != "png":
            return None
        b = bytearray(data)
        b[len(b) // 2] ^= 0xFF
        return bytes(b)
    raise ValueError(how)


def _folder(tmp_path: Path, fmt: str, bad: bytes) -> Path:
    folder = tmp_path / "imgs"
    folder.mkdir()
    for i in range(6):
        (folder / f"ok{i}.png").write_bytes(_image_bytes("png", i))
    (folder / f"zz-bad.{fmt}").write_bytes(bad)
    recipe = tmp_path / "t.toml"
    recipe.write_text(
        f'name = "t"\n[data]\nsource = "{folder.as_posix()}"\nsize = [16, 16]\n'
        'fit = "nearest"\n[render]\nsample = 1\n',
        encoding="utf-8",
    )
    return recipe


def _run_refusal(recipe: Path, out: Path) -> str | None:
    """What `run` says before it writes anything (the same check `run_recipe` starts with)."""
    rf = read_recipe_file(recipe, ())
    try:
        runner._read_folders(list(rf.variants), out / rf.name)
    except RecipeError as err:
        return str(err)
    return None


DAMAGE = [
    (fmt, how)
    for fmt in sorted(FORMATS)
    for how in ("empty", "text", "after-header", "half", "last-bytes", "flipped")
    if _damaged(fmt, how) is not None  # a flipped byte only where a checksum can catch it
]


@pytest.mark.parametrize(("fmt", "how"), DAMAGE)
def test_validate_refuses_what_run_refuses(tmp_path: Path, fmt: str, how: str) -> None:
    bad = _damaged(fmt, how)
    assert bad is not None
    recipe = _folder(tmp_path, fmt, bad)
    run_says = _run_refusal(recipe, tmp_path / "outs")
    res = run_cli("validate", recipe)
    if run_says is None:  # Pillow decodes it: then neither refuses
        assert res.returncode == 0, res.stderr
        return
    assert res.returncode == 2, res.stdout
    assert f"zz-bad.{fmt}" in res.stderr and "Traceback" not in res.stderr
    # the same paragraph (rich wraps it on the terminal)
    assert " ".join(res.stderr.split()) == " ".join(f"error: {run_says}".split())
    assert not (tmp_path / "outs").exists(), "neither writes anything"


def test_a_png_cut_after_its_header_is_refused_by_validate(tmp_path: Path) -> None:
    """The reported case: headers alone said ok, `run` refused."""
    recipe = _folder(tmp_path, "png", _image_bytes("png", 5)[:40])
    res = run_cli("validate", recipe)
    assert res.returncode == 2
    assert "zz-bad.png is not a readable image" in " ".join(res.stderr.split())
    assert "Fix:" in res.stderr


def test_a_good_folder_still_validates(tmp_path: Path) -> None:
    recipe = _folder(tmp_path, "png", _image_bytes("png", 7))
    res = run_cli("validate", recipe)
    assert res.returncode == 0, res.stderr
    assert "7 images" in res.stdout and ": ok" in res.stdout
