"""Finding what `punkforge render` redraws: a recipe file or a run folder.

A recipe file maps to `--out/<name>/`; a run folder (`outputs/<name>/`) is read
back from the resolved `recipe.toml` each variant folder holds, so a run can be
re-rendered even after its recipe file changed or moved.
"""

from __future__ import annotations

import json
from pathlib import Path

from punkforge.errors import RecipeError
from punkforge.recipe.loader import RecipeFile, loads_recipe, read_recipe_file
from punkforge.recipe.sections import Variant


def load_target(target: Path, out: Path, sets: list[str]) -> tuple[RecipeFile, Path]:
    """(the recipe's variants, the run folder) for a recipe file or a run folder."""
    if target.is_dir():
        variants = []
        for sub in sorted(p for p in target.iterdir() if p.is_dir() and not p.name.startswith(".")):
            toml = sub / "recipe.toml"
            if not toml.is_file():
                continue
            rf = loads_recipe(toml.read_text(encoding="utf-8"), str(toml), tuple(sets))
            variants.append(Variant(sub.name, rf.variants[0].recipe, str(toml)))
        if not variants:
            raise RecipeError(
                f"{target}: no variant folders with a recipe.toml here. Name a run folder "
                "(outputs/<name>) or a recipe file."
            )
        # Keep the recipe's own order and source, as the last run recorded them.
        source, order = str(target), [v.name for v in variants]
        try:
            summary = json.loads((target / "summary.json").read_text())
            source = str(summary.get("source", source))
            order = list(summary.get("variants", {})) or order
        except (OSError, ValueError):
            pass
        variants.sort(key=lambda v: order.index(v.name) if v.name in order else len(order))
        base = variants[0].recipe
        return RecipeFile(source, base.name, base.display_title, tuple(variants)), target
    rf = read_recipe_file(target, sets)
    folder = out / rf.name
    if not folder.is_dir():
        raise RecipeError(
            f"{target}: nothing rendered yet in {folder}. Run `punkforge run {target}` first "
            "(or pass --out where its outputs are)."
        )
    return rf, folder
