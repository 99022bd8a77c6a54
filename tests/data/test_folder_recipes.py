"""A recipe that reads a folder of images, through the command line.

`validate` and `list` read the folder without TensorFlow, a bad folder or a
network that cannot give back its size exits 2 and writes nothing, budgets are
checked at the size the folder gives, and (slow) a tiny real run trains, skips,
plans and retrains when an image changes.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, image_folder, mixed_sizes, run_cli, save_image, sprite, write_recipe
from PIL import Image


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
    image_folder(tmp_path / "imgs", 20)
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
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr


def test_bad_folder_or_network_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    mixed_sizes(tmp_path / "imgs")
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


def test_list_shows_the_data_size_and_what_auto_output_padding_chose(tmp_path: Path) -> None:
    image_folder(tmp_path / "imgs", 20)  # 13x17: strides 2 give 7x9, which needs 0/1 back
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
    image_folder(tmp_path / "imgs", 20, 256, 256)  # size "auto": unknown until scanned
    res = run_cli("validate", folder_recipe(tmp_path, extra), cwd=tmp_path)
    assert res.returncode == 2 and "train.epochs" in res.stderr, res.stderr
    assert "256x256" in res.stderr and "GiB of snapshots" in res.stderr
    small = tmp_path / "small"
    image_folder(small / "imgs", 20, 24, 24)  # the same recipe on small images is fine
    res = run_cli("validate", folder_recipe(small, extra), cwd=small)
    assert res.returncode == 0, res.stderr


# ---------------------------------------------------------------- a real run


@pytest.mark.slow
def test_tiny_training_run_on_a_folder(tmp_path: Path) -> None:
    image_folder(tmp_path / "imgs", 12)
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
    save_image(tmp_path / "imgs" / "img-00.png", sprite(13, 17, 77))
    res = run_cli("run", path, "--out", out, "--dry-run", cwd=tmp_path)  # the planner agrees
    assert res.returncode == 0 and "train epoch 1" in res.stdout + res.stderr, res.stdout
    res = run_cli("run", path, "--out", out, cwd=tmp_path, timeout=600)
    assert res.returncode == 0 and "training 1 epoch" in res.stderr, res.stderr
