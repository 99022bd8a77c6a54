"""Finding what `punkforge render` redraws: a recipe file or a run folder.

A recipe file maps to `--out/<name>/`; a run folder (`outputs/<name>/`) is read
back from the resolved `recipe.toml` each variant folder holds, so a run can be
re-rendered even after its recipe file changed or moved.
"""

from __future__ import annotations

from pathlib import Path

from punkforge import files, records, tree_guard
from punkforge.errors import RecipeError
from punkforge.recipe.loader import RecipeFile, loads_recipe, read_recipe_file
from punkforge.recipe.sections import Variant


def load_target(target: Path, out: Path, sets: list[str]) -> tuple[RecipeFile, Path]:
    """(the recipe's variants, the run folder) for a recipe file or a run folder."""
    if target.is_dir():
        variants = []
        for sub in sorted(p for p in target.iterdir() if p.is_dir() and not p.name.startswith(".")):
            toml = sub / "recipe.toml"
            if sub.is_symlink():  # inside punkforge's tree: refused before anything is read
                raise tree_guard.link_error(sub)
            if not toml.is_file() and not toml.is_symlink():
                continue
            text = _text(toml)  # a link there is refused too
            try:
                loads_recipe(text, str(toml), ())  # the record itself, before any --set
            except RecipeError as err:
                raise _damaged(toml, f"{err}") from None
            rf = loads_recipe(text, str(toml), tuple(sets))
            variants.append(Variant(sub.name, rf.variants[0].recipe, str(toml)))
        if not variants:
            raise RecipeError(
                f"{target}: no variant folders with a recipe.toml here. Name a run folder "
                "(outputs/<name>) or a recipe file."
            )
        # Keep the recipe's own order and source, as the last run recorded them.
        # A damaged summary.json only loses that order: render writes it again.
        source, order = str(target), [v.name for v in variants]
        summary = files.read_record_or_none(target / "summary.json", records.Summary)
        if summary is not None:
            source, order = summary.source or source, list(summary.variants) or order
        variants.sort(key=lambda v: order.index(v.name) if v.name in order else len(order))
        base = variants[0].recipe
        return RecipeFile(source, base.name, base.display_title, tuple(variants)), target
    rf = read_recipe_file(target, sets)  # a recipe file: read and checked by the recipe loader
    folder = out / rf.name
    if not folder.is_dir():
        raise RecipeError(
            f"{target}: nothing rendered yet in {folder}. Run `punkforge run {target}` first "
            "(or pass --out where its outputs are)."
        )
    return rf, folder


def _text(toml: Path) -> str:
    """A variant's recorded recipe.toml as text; bytes that are not UTF-8 are a RecipeError."""
    try:
        return files.read_bytes(toml).decode("utf-8")
    except UnicodeDecodeError:
        raise _damaged(toml, "it is not UTF-8 text") from None


def _damaged(toml: Path, why: str) -> RecipeError:
    """One paragraph for a recorded recipe.toml punkforge cannot read back."""
    return RecipeError(
        f"{toml} is damaged ({why}); it is the recipe punkforge recorded for this variant, so "
        "the run folder cannot be read back from it. Nothing was changed on disk. Fix: render "
        "from the recipe file instead (`punkforge render RECIPE.toml`), or run `punkforge run "
        "RECIPE.toml` to write the folder again."
    )
