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
import mimetypes
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from punkforge.errors import PunkforgeError, RecipeError, RunError
from punkforge.recipe.loader import RecipeFile, SetItem, read_recipe_file
from punkforge.rendering.provenance import ImageProvenance, read_provenance

if TYPE_CHECKING:
    from punkforge.pipeline.progress import ProgressUI

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
        return _html("result-card.html.j2", v=_card(self))


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
        cards = [_card(v) for v in self.variants.values()]
        return _html("result.html.j2", result=self, cards=cards)


def load_recipe(path: str | Path, sets: Sets = None) -> RecipeFile:
    """Load and validate a recipe file; `sets` overrides keys for every variant.

    `sets` is a mapping such as `{"train.epochs": 2}` (Python values) or
    strings `"train.epochs=2"` as on the command line. The result lists the
    recipe's variants (`.variants`, each with a typed `.recipe`). Raises
    `RecipeError` for a bad file, key or value.
    """
    return read_recipe_file(Path(path), _set_items(sets))


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
    rf = _recipe_file(recipe, sets)
    pool_jobs = None if jobs == 1 and (ray or ray_address) else str(jobs)
    [result] = run_files(
        [rf], Path(out), _ui(progress), tuple(only), fresh,
        jobs=pool_jobs, ray=ray, ray_address=ray_address,
    )  # fmt: skip
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


# ---- the one path for the API and the command line --------------------------------------
# `punkforge run`, `render` and `validate` parse their arguments, build a progress UI and
# call these; `run` and `render` above call them too.


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


def check_before_run(loaded: list[RecipeFile], only: tuple[str, ...] = ()) -> None:
    """Everything a run refuses before it writes: unknown `only` names, then the pre-flight."""
    from punkforge.pipeline.preflight import preflight

    check_only(only, loaded)
    for rf in loaded:
        preflight(v for v in rf.variants if not only or v.name in only)


def check_recipe(rf: RecipeFile) -> list[str]:
    """`punkforge validate` for one loaded recipe: raise on a problem, else describe its data.

    Each variant is checked against its data without TensorFlow (a folder of
    images: every image decoded and dropped, as `run` decodes it), then the
    pre-flight. Returns one line per
    distinct image folder.
    """
    from punkforge.data import folder_images
    from punkforge.data.folder_scan import describe_folder
    from punkforge.data.recipe_fit import check_variant
    from punkforge.pipeline.preflight import preflight

    lines: list[str] = []
    shown: set[tuple[object, ...]] = set()
    for v in rf.variants:
        check_variant(v)
        d = v.recipe.data
        if folder_images.is_folder(d) and (d.source, d.size, d.fit, d.test_fraction) not in shown:
            shown.add((d.source, d.size, d.fit, d.test_fraction))
            lines.append(describe_folder(folder_images.verify_folder(d, v.source)))
    preflight(rf.variants)
    return lines


def plan_files(
    loaded: list[RecipeFile], out: Path, only: tuple[str, ...] = (), fresh: bool = False
) -> list[tuple[str, str]]:
    """`punkforge run --dry-run`: ('recipe/variant', what a run would do); writes nothing.

    The same checks and planning the run follows; never imports TensorFlow.
    """
    from punkforge.pipeline.runner import dry_run

    check_before_run(loaded, only)
    return [
        (f"{rf.name}/{name}", plan.describe())
        for rf in loaded
        for name, plan in dry_run(rf, out, only, fresh)
    ]


def run_files(
    loaded: list[RecipeFile],
    out: Path,
    ui: ProgressUI,
    only: tuple[str, ...] = (),
    fresh: bool = False,
    *,
    jobs: str | None = None,
    ray: bool = False,
    ray_address: str | None = None,
) -> list[RunResult]:
    """Run loaded recipes one after another with `ui` showing progress; one result each.

    Training groups run in `jobs` local processes ("auto": one per two cores),
    on a new local Ray cluster (`ray`) or on one at `ray_address`. Everything
    that can be refused (variant names, the pre-flight, the pool) is refused
    before anything is written. Failed variants are in each result's
    `failures`; the others finish.
    """
    from punkforge.pipeline.output_folder import safe_child
    from punkforge.pipeline.pools import open_pool
    from punkforge.pipeline.runner import run_recipe

    check_before_run(loaded, only)
    pool = open_pool(jobs, ray, ray_address)  # a bad choice stops here, nothing written
    results = []
    try:
        with ui:
            for rf in loaded:
                report = run_recipe(rf, out, ui, only, fresh, pool=pool)
                folder = safe_child(out, rf.name)
                results.append(_result(rf, folder, report.rows, report.failures))
    finally:
        pool.close()
    return results


def render_target(
    target: RecipeFile | str | Path, sets: Sequence[SetItem], out: Path, ui: ProgressUI
) -> RunResult:
    """`punkforge render` for a run folder, a recipe file or a loaded recipe."""
    from punkforge.pipeline.preflight import preflight
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
    preflight(rf.variants)  # before render_only takes the lock
    with ui:
        report = render_only(rf, folder, ui)
    return _result(rf, folder, report.rows, report.failures)


# A value of `new --from` with one of these endings (or naming a file) is an image, not an example.
IMAGE_SUFFIXES = (".png", ".tif", ".tiff", ".pdf", ".gif", ".webp")


def image_recipe(image: str | Path) -> ImageProvenance:
    """What a picture punkforge made says about itself (`punkforge info`).

    Raises PunkforgeError (exit 2) for a file that carries no punkforge
    metadata, and for a damaged or unreadable one.
    """
    made = read_provenance(Path(image))
    if made is None:
        raise PunkforgeError(
            f"{image} was not made by punkforge: it carries no punkforge recipe in its "
            "metadata (or a program stripped it, as many photo tools and upload sites do). "
            "`punkforge info` and `punkforge new --from` read the pictures punkforge writes: "
            "posters (PNG, TIFF, PDF), series PNGs, GIF and WebP animations, the sheets."
        )
    return made


def describe_image(image: str | Path) -> str:
    """`punkforge info`: the version, data, variant and recipe an image carries, as text.

    Control characters other than newlines become visible escapes: the text
    comes from a file someone may have crafted, and is printed to a terminal.
    """
    made = image_recipe(image)
    head = [
        f"{image}: made by punkforge {made.version}",
        f"  variant: {made.variant or '(not recorded)'}",
        f"  data:    {made.data_fingerprint or '(not recorded)'}",
        f"  recipe (`punkforge new NAME --from {image}` writes it):",
    ]
    text = "\n".join(head) + "\n\n" + made.recipe_toml
    return "".join(c if c.isprintable() or c in "\n\t" else c.encode("unicode_escape").decode()
                   for c in text)  # fmt: skip


def is_image_path(value: str) -> bool:
    """Whether `new --from VALUE` names an image file rather than a shipped example."""
    return Path(value).suffix.lower() in IMAGE_SUFFIXES or Path(value).is_file()


def new_recipe_from_image(name: str, image: str | Path, folder: Path) -> Path:
    """`punkforge new NAME --from IMAGE`: write the recipe an image carries as folder/NAME.toml.

    The recipe is the variant's resolved one (every default and the variant's
    own settings written out), renamed to NAME. Nothing is written when the
    image is not punkforge's, is damaged, or carries a recipe that does not parse.
    """
    from punkforge.recipe.starter import write_recipe_text

    made = image_recipe(image)
    return write_recipe_text(name, folder, made.recipe_toml, str(image))


# ---- helpers ------------------------------------------------------------------------------


def _recipe_file(recipe: RecipeFile | str | Path, sets: Sets) -> RecipeFile:
    if isinstance(recipe, RecipeFile):
        if sets:
            raise ValueError("pass sets to load_recipe when running a loaded recipe")
        return recipe
    return load_recipe(recipe, sets)


def _ui(progress: bool) -> ProgressUI:
    """Rich progress bars when asked; else the null UI (the API is quiet by default)."""
    from punkforge.pipeline.progress import NullUI, RichUI
    from punkforge.pipeline.terminal import console

    if not progress:
        return NullUI()

    ui = RichUI(console())  # rich draws in Jupyter as well as in a terminal
    if ui.console.is_jupyter:
        try:
            import ipywidgets  # noqa: F401  (rich's live bars in Jupyter need it)
        except ImportError:
            ui.progress.disable = True  # the per-epoch lines still show; no warning
    return ui


def _as_toml(key: str, v: Any) -> Any:
    """A Python `sets` value as the recipe would hold it had it been written in TOML.

    tomli_w writes it and tomllib reads it back: tuples become lists, and a
    value TOML cannot hold (None, an object) is refused here, by key.
    """
    import tomllib

    import tomli_w

    try:
        return tomllib.loads(tomli_w.dumps({"v": v}))["v"]
    except (TypeError, ValueError):
        raise RecipeError(
            f"sets: {key} = {v!r} ({type(v).__name__}) has no TOML form; use a str, number, "
            "bool, list or dict."
        ) from None


def _set_items(sets: Sets) -> tuple[SetItem, ...]:
    """`sets` as the loader takes them: "KEY=VALUE" strings, or (KEY, value) from a mapping."""
    if sets is None:
        return ()
    if isinstance(sets, Mapping):
        return tuple((str(k), _as_toml(str(k), v)) for k, v in sets.items())
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


def _html(template: str, **context: Any) -> str:
    """Jupyter's view of a result, from the gallery's templates (autoescaped)."""
    from punkforge.gallery import templating

    return templating.render(template, **context)


def _card(v: VariantResult) -> dict[str, Any]:
    """What result-card.html.j2 shows of a variant: its files embedded inline and figures."""
    anims = [v.folder / f"progress.{ext}" for ext in ("gif", "webp")]
    anim = next((p for p in anims if p.is_file()), None)
    return {
        "name": v.name,
        "folder": str(v.folder),
        "thumbnail": _data_uri(v.thumbnail) if v.thumbnail.is_file() else None,
        "animation": _data_uri(anim) if anim is not None else None,
        "figures": [(k, _fmt(v.figures.get(k))) for k in FIGURES],
    }


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4f}"
    if isinstance(x, int):
        return f"{x:,}"
    return "-" if x is None else str(x)
