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

import pytest

ROOT = Path(__file__).resolve().parent.parent
RECIPES = sorted((ROOT / "recipes").glob("*.toml"))
BAD_RECIPES = Path(__file__).resolve().parent / "bad_recipes"

# The smallest valid recipe: every other key takes the spec's default.
MINIMAL = 'name = "t"\n'


def write_recipe(tmp_path: Path, text: str, filename: str = "recipe.toml") -> Path:
    """Write dedented TOML text to tmp_path/filename and return the path."""
    path = tmp_path / filename
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


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
