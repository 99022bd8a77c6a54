"""Pre-flight: `render.gif.formats = ["mp4"]` without imageio-ffmpeg is refused up front.

Recipe validation never asks what is installed; `pipeline.preflight` does, and
`punkforge run`, `render` and `validate` (and the API) refuse before the lock
or any file is written: exit 2, naming the file, the variant, the key and the fix.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from typer.testing import CliRunner

import punkforge
from punkforge.cli import app
from punkforge.errors import RecipeError

runner = CliRunner()

MP4 = """\
name = "movie"
[render.gif]
formats = ["gif", "mp4"]
[variants.wide.train]
epochs = 2
"""


@pytest.fixture
def no_ffmpeg(monkeypatch: pytest.MonkeyPatch) -> None:
    """This install without imageio-ffmpeg, whatever the test machine has."""
    real = importlib.util.find_spec

    def find_spec(name: str, *args: object, **kwargs: object) -> object:
        return None if name == "imageio_ffmpeg" else real(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _says_how(text: str, path: Path) -> None:
    flat = " ".join(text.split())
    assert str(path) in flat and "render.gif.formats" in flat
    assert "(variants 'base', 'wide')" in flat  # the variants asking for mp4
    assert "pip install imageio-ffmpeg" in flat
    assert "Traceback" not in text


@pytest.mark.parametrize(
    "command", [["run", "--out", "OUT"], ["run", "--dry-run", "--out", "OUT"], ["validate"]]
)
def test_mp4_without_ffmpeg_is_refused_before_anything_is_written(
    tmp_path: Path, no_ffmpeg: None, command: list[str]
) -> None:
    path = tmp_path / "movie.toml"
    path.write_text(MP4)
    out = tmp_path / "out"
    r = runner.invoke(app, [str(out) if a == "OUT" else a for a in command] + [str(path)])
    assert r.exit_code == 2, r.output
    _says_how(r.stderr, path)
    assert _tree(tmp_path) == ["movie.toml"]  # no outputs folder, no lock


def test_render_refuses_mp4_before_the_lock(tmp_path: Path, no_ffmpeg: None) -> None:
    path = tmp_path / "movie.toml"
    path.write_text(MP4.replace('"gif", "mp4"', '"gif"'))
    run_folder = tmp_path / "out" / "movie"
    run_folder.mkdir(parents=True)  # a (bare) earlier run: render gets past "nothing rendered"
    args = ["render", str(path), "--out", str(tmp_path / "out")]
    r = runner.invoke(app, [*args, "--set", 'render.gif.formats=["mp4"]'])
    assert r.exit_code == 2, r.output
    _says_how(r.stderr, path)
    assert _tree(run_folder) == []  # no lock file, nothing redrawn


def test_the_api_refuses_too(tmp_path: Path, no_ffmpeg: None) -> None:
    path = tmp_path / "movie.toml"
    path.write_text(MP4)
    out = tmp_path / "out"
    with pytest.raises(RecipeError, match="pip install imageio-ffmpeg"):
        punkforge.run(path, out=out)
    with pytest.raises(RecipeError, match=r"render\.gif\.formats"):
        punkforge.run(path, out=out, only=["wide"])
    assert not out.exists()


def test_only_variants_that_run_are_checked(tmp_path: Path, no_ffmpeg: None) -> None:
    path = tmp_path / "movie.toml"
    path.write_text('name = "movie"\n[variants.wide.render.gif]\nformats = ["mp4"]\n')
    out = str(tmp_path / "out")
    r = runner.invoke(app, ["run", "--dry-run", "--only", "base", "--out", out, str(path)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["validate", str(path)])
    assert r.exit_code == 2 and "(variant 'wide')" in r.stderr, r.output


def test_with_ffmpeg_mp4_validates(tmp_path: Path) -> None:
    pytest.importorskip("imageio_ffmpeg")
    path = tmp_path / "movie.toml"
    path.write_text(MP4)
    r = runner.invoke(app, ["validate", str(path)])
    assert r.exit_code == 0, r.output
