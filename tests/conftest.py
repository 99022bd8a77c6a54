"""Shared fixtures: recipe text written into tmp_path, the repository's paths, a CLI runner.

Nothing here imports TensorFlow; the fast tests never do.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

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


@pytest.fixture
def recipe_file(tmp_path: Path) -> Callable[..., Path]:
    """recipe_file(text, filename="recipe.toml") -> a recipe file in tmp_path."""

    def make(text: str, filename: str = "recipe.toml") -> Path:
        return write_recipe(tmp_path, text, filename)

    return make


def run_cli(
    *args: str | Path, cwd: Path | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """`python -m punkforge ARGS` in a fresh interpreter, as a user would run it."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "punkforge", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd or ROOT,
        env=env,
        timeout=timeout,
    )


@pytest.fixture
def cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """cli("validate", path) -> the finished subprocess (returncode, stdout, stderr)."""
    return run_cli
