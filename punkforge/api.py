"""The Python API: `load_recipe`, `run` and `render` for notebooks and scripts.

The command line is a thin layer over these functions (same loading, same
runner, same results), so a notebook run and a `punkforge run` of the same
recipe write the same folder and resume each other. Quiet by default;
`progress=True` shows rich progress, which also works in Jupyter. Results are
typed (`RunResult`, `VariantResult`) and display themselves in Jupyter: the
poster thumbnail, the progress GIF and the figures. Mistakes a user can make
raise `PunkforgeError` (`RecipeError` for a bad recipe, `RunError` for a
failure while running). Importing this module does not import TensorFlow.
"""

from __future__ import annotations

import base64
import html
import json
import mimetypes
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from punkforge.errors import PunkforgeError, RecipeError, RunError
from punkforge.recipe.loader import RecipeFile
from punkforge.recipe.loader import load_recipe as _load_file

__all__ = [
    "PunkforgeError",
    "RecipeFile",
    "RunResult",
    "VariantResult",
    "VariantsFailed",
    "load_recipe",
    "render",
    "run",
]

Sets = Mapping[str, Any] | Iterable[str] | None
FIGURES = ("params", "epochs", "loss", "val_loss", "seconds")


class VariantsFailed(RunError):
    """Some variants failed (the others finished); `.result` holds what was made."""

    def __init__(self, message: str, result: RunResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class VariantResult:
    """One finished variant: its folder, main files and figures.

    `figures` has params, epochs, loss, val_loss (floats; None before any
    epoch) and seconds (training time).
    """

    name: str
    folder: Path
    poster: Path
    gif: Path
    series: Path
    figures: dict[str, Any]

    @property
    def thumbnail(self) -> Path:
        """The poster shrunk for screens (poster-thumb.png)."""
        return self.folder / "poster-thumb.png"

    def _repr_html_(self) -> str:
        return _variant_html(self)


@dataclass(frozen=True)
class RunResult:
    """What `run` or `render` made for one recipe: outputs/<name>/ and its variants."""

    recipe: str
    title: str
    folder: Path
    variants: dict[str, VariantResult] = field(default_factory=dict)
    failures: tuple[str, ...] = ()

    @property
    def gallery(self) -> Path:
        """The recipe's gallery page (index.html)."""
        return self.folder / "index.html"

    def rows(self) -> list[dict[str, Any]]:
        """One dict per variant: recipe, variant, the figures and the folder (for tables)."""
        return [
            {"recipe": self.recipe, "variant": v.name, **v.figures, "folder": _shown(v.folder)}
            for v in self.variants.values()
        ]

    def _repr_html_(self) -> str:
        where = html.escape(str(self.folder))
        parts = [f"<h3>{html.escape(self.title)} <small>({where})</small></h3>"]
        parts += [f"<p style='color:#b00'>{html.escape(f)}</p>" for f in self.failures]
        parts += [_variant_html(v) for v in self.variants.values()]
        return "\n".join(parts)


def load_recipe(path: str | Path, sets: Sets = None) -> RecipeFile:
    """Load and validate a recipe file; `sets` overrides keys for every variant.

    `sets` is a mapping such as `{"train.epochs": 2}` (Python values) or
    strings `"train.epochs=2"` as on the command line. The result lists the
    recipe's variants (`.variants`, each with a typed `.recipe`). Raises
    `RecipeError` for a bad file, key or value.
    """
    return _load_file(Path(path), _set_items(sets))


def load_recipes(paths: Iterable[str | Path], sets: Sets = None) -> list[RecipeFile]:
    """Several recipe files at once; two recipes may not share an output folder."""
    loaded = [load_recipe(p, sets) for p in paths]
    names: dict[str, str] = {}
    for rf in loaded:
        if rf.name in names and names[rf.name] != rf.path:
            raise RecipeError(
                f"{rf.path}: recipe name '{rf.name}' is also the name of "
                f"{names[rf.name]}; both would write outputs/{rf.name}. Rename one."
            )
        names[rf.name] = rf.path
    return loaded


def run(
    recipe: RecipeFile | str | Path,
    out: str | Path = "outputs",
    jobs: int | str = 1,
    progress: bool = False,
    *,
    sets: Sets = None,
    only: Iterable[str] = (),
    fresh: bool = False,
    ray: bool = False,
    ray_address: str | None = None,
) -> RunResult:
    """Train, devolve and render every variant of `recipe` into out/<name>/.

    `recipe` is a loaded recipe or a path (then `sets` applies as in
    `load_recipe`). Runs resume exactly like `punkforge run`: finished
    variants are skipped, interrupted ones continue. `only` picks variants by
    name; `fresh` starts them over. `jobs` trains that many training groups at
    once in separate processes (`"auto"`: one per two cores); `ray=True` starts
    a local Ray cluster and `ray_address` joins one (`pip install
    'punkforge[ray]'`). Results do not depend on how many jobs run. Raises
    `RecipeError` before anything is written for a bad recipe or variant name,
    and `VariantsFailed` (a `RunError`, with `.result`) after the run when some
    variants failed.
    """
    from punkforge.pipeline.pools import open_pool

    rf = _recipe_file(recipe, sets)
    only = tuple(only)
    check_only(only, [rf])
    pool = open_pool(None if jobs == 1 and (ray or ray_address) else str(jobs), ray, ray_address)
    try:
        result = run_file(rf, Path(out), _ui(progress), only, fresh, pool=pool)
    finally:
        pool.close()
    return _raise_failures(result)


def render(
    target: RecipeFile | str | Path,
    sets: Sets = None,
    out: str | Path = "outputs",
    progress: bool = False,
) -> RunResult:
    """Re-render saved results with `render.*` overrides; never trains, never imports TensorFlow.

    `target` is a run folder (outputs/<name>, read back from each variant's
    resolved recipe.toml), a recipe file (its folder under `out`) or a loaded
    recipe. Raises `RecipeError` for a bad key, `RunError` when there is
    nothing to render.
    """
    return _raise_failures(render_target(target, _set_items(sets), Path(out), _ui(progress)))


# ---- shared with the command line -------------------------------------------------------


def check_only(only: tuple[str, ...], loaded: list[RecipeFile]) -> None:
    """Refuse an `only` name that no loaded recipe has, suggesting the nearest."""
    known = {v.name for rf in loaded for v in rf.variants}
    for name in only:
        if name not in known:
            import difflib

            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            raise RecipeError(
                f"--only {name}: no variant of that name in "
                f"{', '.join(rf.path for rf in loaded)}.{hint} "
                f"Variants: {', '.join(sorted(known))}."
            )


def run_file(
    rf: RecipeFile,
    out: Path,
    ui: Any,
    only: tuple[str, ...] = (),
    fresh: bool = False,
    pool: Any = None,
) -> RunResult:
    """Run one loaded recipe with the given UI and training pool; failures are returned."""
    from punkforge.pipeline.output_folder import safe_child
    from punkforge.pipeline.runner import run_recipe

    report = run_recipe(rf, out, ui, only, fresh, pool=pool)
    return _result(rf, safe_child(out, rf.name), report.rows, report.failures)


def render_target(
    target: RecipeFile | str | Path, sets: tuple[str, ...], out: Path, ui: Any
) -> RunResult:
    """`punkforge render` for a run folder, a recipe file or a loaded recipe."""
    from punkforge.pipeline.render_target import load_target
    from punkforge.pipeline.runner import render_only
    from punkforge.recipe.loader import parse_set

    for item in sets:
        parse_set(item, only_render=True)
    if isinstance(target, RecipeFile):
        if sets:
            raise ValueError("pass sets to load_recipe when rendering a loaded recipe")
        rf, folder = target, out / target.name
        if not folder.is_dir():
            raise RunError(f"{folder}: nothing rendered yet. Run the recipe first.")
    else:
        rf, folder = load_target(Path(target), out, list(sets))
    with ui:
        report = render_only(rf, folder, ui)
    return _result(rf, folder, report.rows, report.failures)


class QuietUI:
    """The runner's hooks, doing nothing: the API is quiet unless asked."""

    def __enter__(self) -> QuietUI:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: None


# ---- helpers ------------------------------------------------------------------------------


def _recipe_file(recipe: RecipeFile | str | Path, sets: Sets) -> RecipeFile:
    if isinstance(recipe, RecipeFile):
        if sets:
            raise ValueError("pass sets to load_recipe when running a loaded recipe")
        return recipe
    return load_recipe(recipe, sets)


def _ui(progress: bool) -> Any:
    if not progress:
        return QuietUI()
    from punkforge.pipeline.progress import RichUI
    from punkforge.pipeline.terminal import console

    ui = RichUI(console())  # rich draws in Jupyter as well as in a terminal
    if ui.console.is_jupyter:
        try:
            import ipywidgets  # noqa: F401  (rich's live bars in Jupyter need it)
        except ImportError:
            ui.progress.disable = True  # the per-epoch lines still show; no warning
    return ui


def _toml_value(v: Any) -> str:
    """A Python value as a TOML inline value (what --set VALUE holds)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, str)):
        return json.dumps(v)  # JSON strings and numbers are valid TOML
    if isinstance(v, Mapping):
        items = (f"{json.dumps(str(k))} = {_toml_value(x)}" for k, x in v.items())
        return "{ " + ", ".join(items) + " }"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise RecipeError(
        f"sets: {v!r} ({type(v).__name__}) has no TOML form; use a str, number, bool, list or dict."
    )


def _set_items(sets: Sets) -> tuple[str, ...]:
    if sets is None:
        return ()
    if isinstance(sets, Mapping):
        return tuple(f"{k}={_toml_value(v)}" for k, v in sets.items())
    if isinstance(sets, str):
        return (sets,)
    return tuple(sets)


def _result(
    rf: RecipeFile, folder: Path, rows: list[dict[str, Any]], failures: list[str]
) -> RunResult:
    from punkforge.pipeline.output_folder import read_manifest

    by_name = {v.name: v for v in rf.variants}
    variants = {}
    for row in rows:
        v = by_name[row["variant"]]
        vf = folder / v.name
        r = v.recipe.render
        manifest = read_manifest(vf) or {}
        figures = {k: manifest.get("summary", {}).get(k, row.get(k)) for k in FIGURES}
        variants[v.name] = VariantResult(
            name=v.name,
            folder=vf,
            poster=vf / f"poster.{r.poster.formats[0]}",
            gif=vf / f"progress.{r.gif.formats[0]}",
            series=vf / "series",
            figures=figures,
        )
    return RunResult(rf.name, rf.title, folder, variants, tuple(failures))


def _raise_failures(result: RunResult) -> RunResult:
    if result.failures:
        raise VariantsFailed(
            f"{len(result.failures)} variant(s) failed: " + " ".join(result.failures), result
        )
    return result


def _shown(folder: Path) -> str:
    try:
        return str(folder.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(folder)


def _data_uri(path: Path) -> str:
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _variant_html(v: VariantResult) -> str:
    """A card: poster thumbnail, progress animation and figures, files embedded inline."""
    pixel = "image-rendering:pixelated"
    cells = []
    if v.thumbnail.is_file():
        cells.append(
            f"<img src='{_data_uri(v.thumbnail)}' alt='poster {html.escape(v.name)}' "
            f"style='max-width:360px;{pixel}'>"
        )
    anims = [v.folder / f"progress.{ext}" for ext in ("gif", "webp")]
    anim = next((p for p in anims if p.is_file()), None)
    if anim is not None:
        cells.append(
            f"<img src='{_data_uri(anim)}' alt='progress' style='max-width:360px;{pixel}'>"
        )
    rows = "".join(
        f"<tr><th style='text-align:left'>{k}</th><td>{_fmt(v.figures.get(k))}</td></tr>"
        for k in FIGURES
    )
    cells.append(f"<table>{rows}</table>")
    tds = "".join(f"<td style='vertical-align:top;padding:4px'>{c}</td>" for c in cells)
    return (
        f"<div><b>{html.escape(v.name)}</b> <small>{html.escape(str(v.folder))}</small>"
        f"<table><tr>{tds}</tr></table></div>"
    )


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4f}"
    if isinstance(x, int):
        return f"{x:,}"
    return "-" if x is None else html.escape(str(x))
