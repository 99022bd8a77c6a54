"""A user's install: build the wheel, pip-install it into a fresh venv, run a recipe.

pip alone, no make, no PYTHONPATH, from a folder outside the checkout: the
dataset must come with the install, the examples must ship in the wheel, and
a tiny recipe must train and render. Slow: the venv installs TensorFlow
(quick from pip's cache, a download on a machine without one).
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import ROOT

TINY = """\
name = "tiny"
[data]
train_limit = 300
test_limit = 20
[train]
epochs = 1
[render]
sample = 9
[render.poster]
paper = "4x6in"
dpi = 72
[render.series]
scale = 2
"""


def _run(args: list[str | Path], cwd: Path, timeout: float = 900) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env.update(COLUMNS="200", NO_COLOR="1", TF_CPP_MIN_LOG_LEVEL="3")
    r = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert r.returncode == 0, f"{args}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r.stdout


@pytest.mark.slow
def test_wheel_installs_and_runs_with_pip_alone(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", dist, ROOT], tmp_path)
    (wheel,) = dist.glob("punkforge-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for stem in (p.stem for p in (ROOT / "recipes").glob("*.toml")):
        assert f"punkforge/recipes/{stem}.toml" in names
    assert "punkforge/py.typed" in names

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", venv], tmp_path)
    _run([venv / "bin" / "pip", "install", "-q", wheel], tmp_path)

    work = tmp_path / "work"  # outside the checkout
    work.mkdir()
    punkforge = venv / "bin" / "punkforge"
    assert "strided-punks" in _run([punkforge, "new", "--list"], work)
    _run([punkforge, "new", "mine", "--from", "strided-punks"], work)
    _run([punkforge, "validate", "recipes/mine.toml"], work)
    (work / "tiny.toml").write_text(TINY)
    _run([punkforge, "run", "tiny.toml"], work)
    base = work / "outputs" / "tiny" / "base"
    for name in ("poster.png", "progress.gif", "manifest.json", "series/punk-9019.png"):
        assert (base / name).is_file(), name
    # the installed package is the one that ran, not the checkout
    code = "import punkforge; print(punkforge.__file__)"
    where = _run([venv / "bin" / "python", "-c", code], work)
    assert str(venv) in where
