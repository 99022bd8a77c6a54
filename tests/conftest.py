"""Shared helpers: recipe files in tmp_path, the repository's paths, the CLI in a subprocess,
synthetic training epochs and images.

Nothing here imports TensorFlow; the fast tests never do.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from punkforge.training.store import EpochResult

ROOT = Path(__file__).resolve().parent.parent
RECIPES = sorted((ROOT / "recipes").glob("*.toml"))
BAD_RECIPES = Path(__file__).resolve().parent / "recipe" / "bad_recipes"

# The smallest valid recipe: every other key takes the spec's default.
MINIMAL = 'name = "t"\n'


def write_recipe(tmp_path: Path, text: str, filename: str = "recipe.toml") -> Path:
    """Write dedented TOML text to tmp_path/filename and return the path."""
    path = tmp_path / filename
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def epoch_result(epoch: int) -> EpochResult:
    """A synthetic training epoch: small seeded arrays for a store, no TensorFlow."""
    rng = np.random.default_rng(epoch)
    return EpochResult(
        epoch,
        [rng.standard_normal((3, 3, 1, 4)).astype(np.float32), np.zeros(4, np.float32)],
        [np.array(epoch, np.int64), rng.standard_normal(8).astype(np.float32)],
        rng.integers(0, 255, (2, 24, 24, 1), dtype=np.uint8),
        {"epoch": epoch, "loss": 1.0 / epoch, "val_loss": 2.0 / epoch, "seconds": 0.1},
    )


# Synthetic images: the folder-data tests and rendering at other sizes.


def sprite(h: int, w: int, seed: int = 0) -> np.ndarray:
    """(h, w, 4) uint8 RGBA with some transparent pixels."""
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 256, (h, w, 4), dtype=np.uint8)
    a[..., 3] = np.where(rng.random((h, w)) < 0.3, 0, 255)
    return a


def save_image(path: Path, arr: np.ndarray, **kw: object) -> Path:
    """Save arr with Pillow (format from the suffix), making the folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(arr).save(path, **kw)
    return path


def image_folder(root: Path, n: int = 10, h: int = 13, w: int = 17) -> Path:
    """root/img-00.png ...: n sprites of one size, a folder a recipe can read."""
    for i in range(n):
        save_image(root / f"img-{i:02d}.png", sprite(h, w, i))
    return root


def mixed_sizes(root: Path) -> Path:
    """Four images, one of them (b.png, 12x16) not the size of the others (10x10)."""
    save_image(root / "a.png", sprite(10, 10, 1))
    save_image(root / "b.png", sprite(12, 16, 2))
    save_image(root / "c.png", sprite(10, 10, 3))
    save_image(root / "d.png", sprite(10, 10, 4))
    return root


@pytest.fixture
def recipe_file(tmp_path: Path) -> Callable[..., Path]:
    """recipe_file(text, filename="recipe.toml") -> a recipe file in tmp_path."""

    def make(text: str, filename: str = "recipe.toml") -> Path:
        return write_recipe(tmp_path, text, filename)

    return make


def _cli_command(*args: str | Path, block: Iterable[str] = ()) -> list[str]:
    """`python -m punkforge ARGS`, or with `block` the same CLI after making those
    modules unimportable (sys.modules[name] = None)."""
    if not block:
        return [sys.executable, "-m", "punkforge", *map(str, args)]
    code = (
        "import sys; "
        + "".join(f"sys.modules[{name!r}] = None; " for name in block)
        + "from punkforge.cli import main; sys.argv = ['punkforge'] + sys.argv[1:]; main()"
    )
    return [sys.executable, "-c", code, *map(str, args)]


def _cli_env(env: Mapping[str, str] | None) -> dict[str, str]:
    # wide, plain output so messages are never wrapped or coloured mid-word
    return {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONPATH": str(ROOT), **(env or {})}


def run_cli(
    *args: str | Path,
    cwd: Path | None = None,
    timeout: float = 60,
    env: Mapping[str, str] | None = None,
    block: Iterable[str] = (),
) -> subprocess.CompletedProcess[str]:
    """`python -m punkforge ARGS` in a fresh interpreter, as a user would run it.

    env: variables added to the test's own; block: modules the command must
    work without (e.g. ("tensorflow", "keras")): importing them fails.
    """
    return subprocess.run(
        _cli_command(*args, block=block),
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=_cli_env(env),
        timeout=timeout,
    )


def start_cli(
    *args: str | Path,
    capture: bool = True,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> subprocess.Popen[str]:
    """The same command as run_cli, started in the background (to be signalled or
    killed mid-run); capture=False sends its output to /dev/null instead of pipes."""
    out = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen(
        _cli_command(*args),
        stdout=out,
        stderr=out,
        text=True,
        cwd=cwd or ROOT,
        env=_cli_env(env),
    )


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """cli("validate", path) -> the finished subprocess (returncode, stdout, stderr)."""
    return run_cli


# A finished variant made from synthetic arrays (trust, dithering and other render tests).
FINISHED_RECIPE = """
name = "t"

[data]
test_limit = {n}

[train]
epochs = 2

[render]
sample = 4

[render.poster]
paper = "{paper}"
dpi = 72
margin = "0.25in"

[render.series]
scale = {scale}

[render.gif]
scale = 1
"""


def make_finished(tmp: Path, n: int = 6, scale: int = 2, paper: str = "A5") -> tuple[Path, Path]:
    """(recipe file, outputs root) with variant t/base finished from synthetic arrays.

    No training: the arrays a run would have stored are written inside the
    guarded tree, then rendered like `punkforge render` would.
    """
    recipe = tmp / "t.toml"
    recipe.write_text(FINISHED_RECIPE.format(n=n, scale=scale, paper=paper), encoding="utf-8")
    return _finish(recipe, tmp / "outs", n, with_store=False)


def _finish(recipe: Path, outs: Path, n: int, with_store: bool) -> tuple[Path, Path]:
    """Write t/base's arrays (and, `with_store`, a two-epoch training store), then render it."""
    from punkforge import files, tree_guard
    from punkforge.pipeline import runner
    from punkforge.pipeline import variant_folder as variant
    from punkforge.pipeline.plan import plan_variant
    from punkforge.pipeline.progress import NullUI
    from punkforge.recipe.loader import read_recipe_file
    from punkforge.training import history
    from punkforge.training.store import StoreState, commit_epoch, training_key

    rf = read_recipe_file(recipe, ())
    v = rf.variants[0]
    folder = outs / "t" / "base"
    rng = np.random.default_rng(0)
    originals = rng.integers(0, 256, (n, 24, 24, v.recipe.channels), dtype=np.uint8)
    devolved = (originals // 2 + 40).astype(np.uint8)
    with tree_guard.output_tree(outs / "t"):
        files.save_npz(
            folder / "devolved.npz", devolved=devolved, ids=np.arange(9000, 9000 + n),
            originals=originals,
        )  # fmt: skip
        snaps = np.stack([devolved[:4] // 2, devolved[:4]])
        files.save_npz(folder / "snapshots.npz", epochs=np.array([1, 2]), images=snaps)
        history.write_history(
            folder,
            [{"epoch": e, "loss": 0.3 / e, "val_loss": 0.31 / e, "seconds": 0.5} for e in (1, 2)],
        )
        files.write_bytes(folder / "model.keras", b"a stand-in for the saved model")
        variant.record_arrays(v, folder)
        if with_store:
            store = outs / "t" / ".train" / training_key(v.recipe)
            files.ensure_dir(store)
            state = StoreState()
            for e in (1, 2):
                state = commit_epoch(store, state, _stepped(e), sample=4)
    report = runner.render_only(rf, outs / "t", NullUI())
    assert not report.failures
    assert plan_variant(v, outs / "t").action == "skip"
    return recipe, outs


# A finished variant with its training store beside it (untrusted-files, ownership tests).
UNTRUSTED_RECIPE = """
name = "t"
title = "Untrusted"
[data]
test_limit = 6
[train]
epochs = 2
[render]
sample = 4
[render.poster]
paper = "A5"
dpi = 40
margin = "0.25in"
[render.series]
scale = 1
[render.gif]
scale = 1
"""


def _stepped(n: int) -> Any:
    from punkforge.training.store import EpochResult

    rng = np.random.default_rng(n)
    return EpochResult(
        n,
        [rng.standard_normal((3, 3)).astype(np.float32)],
        [np.array(n, np.int64)],
        rng.integers(0, 255, (4, 24, 24, 3), dtype=np.uint8),
        {"epoch": n, "loss": 0.3 / n, "val_loss": 0.31 / n, "seconds": 0.5},
    )


def make_finished_with_store(tmp: Path) -> tuple[Path, Path]:
    """(recipe file, outputs root): t/base finished from synthetic arrays, its store beside it."""
    recipe = tmp / "t.toml"
    recipe.write_text(UNTRUSTED_RECIPE, encoding="utf-8")
    return _finish(recipe, tmp / "outs", 6, with_store=True)
