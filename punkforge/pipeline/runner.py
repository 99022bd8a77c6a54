"""`punkforge run`: train, devolve and render every variant of a recipe.

For each variant the runner follows `plan.plan_variant`: skip it (its
resolved recipe is unchanged and its files verify), re-render it (its arrays
verify and were made by the same settings), re-devolve it from its training
store, or train (resuming the store where it stopped). Variants that differ
only in `train.epochs` share one training store. TensorFlow is imported only
when something must be trained or devolved.

Every command works inside `tree_guard.output_tree(out)` under the run lock: no
symlink is followed, temporaries are journaled, and a variant folder loses
only files its previous manifest listed. The manifest is replaced last, so
the previous one stays valid (or fails to verify) until then. What happens
inside one variant's folder (devolving, drawing, its manifest) is in `variant_folder`.
While a run works, `<name>/index.html` is its live page (`live_gallery`); the
final gallery replaces it at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from punkforge import files, tree_guard
from punkforge.errors import PunkforgeError, RecipeError
from punkforge.pipeline.live_gallery import live_page
from punkforge.pipeline.output_folder import (
    TRAIN_DIR,
    damaged,
    image_provenance,
    read_manifest,
    refuse_links,
    run_lock,
    safe_child,
)
from punkforge.pipeline.plan import SOURCES, Plan, plan_variant, render_refusal
from punkforge.pipeline.pools import InProcessPool, Pool
from punkforge.pipeline.progress import ProgressUI
from punkforge.pipeline.variant_folder import devolve_variant, finished, render_variant, variant_row
from punkforge.recipe.loader import RecipeFile
from punkforge.recipe.sections import Variant
from punkforge.training.store import (
    training_key,
    wipe_store,
)

CACHE_DIR = ".cache"  # decoded image folders, beside .train (never in the image folder)


@dataclass
class RunReport:
    """What a run did: one row per variant, and the failures."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def dry_run(
    rf: RecipeFile, out_root: Path, only: tuple[str, ...] = (), fresh: bool = False
) -> list[tuple[str, Plan]]:
    """(variant, plan) for what `run_recipe` would do; writes nothing, never imports TensorFlow."""
    selected = [v for v in rf.variants if not only or v.name in only]
    out = safe_child(out_root, rf.name)
    refuse_links(out, [v.name for v in selected])
    return [(v.name, plan_variant(v, out, fresh)) for v in selected]


def run_recipe(
    rf: RecipeFile,
    out_root: Path,
    ui: ProgressUI,
    only: tuple[str, ...] = (),
    fresh: bool = False,
    *,
    pool: Pool | None = None,
) -> RunReport:
    """Bring `out_root/<name>/` up to date for the selected variants.

    `pool` is where training groups run (`pools.open_pool`: local
    processes or Ray); by default one after another in this process. Planning,
    devolving, rendering and every write to the output tree happen here.
    """
    selected = [v for v in rf.variants if not only or v.name in only]
    out = safe_child(out_root, rf.name)
    report = RunReport()
    refuse_links(out, [v.name for v in selected])
    # A folder of images is checked and decoded before anything is written: a bad
    # folder or a network that does not fit its size stops the run (exit 2).
    decoded = _read_folders(selected, out)
    with run_lock(out), tree_guard.output_tree(out):
        punks_cache = _folder_punks(selected, decoded)
        plans = {v.name: plan_variant(v, out, fresh).action for v in selected}
        with live_page(ui, rf, out, selected, plans) as shown:  # index.html, live until the end
            for v in selected:
                action = plans[v.name]
                if action in ("train", "devolve"):
                    continue
                folder = safe_child(out, v.name)
                shown.variant_start(rf.name, v.name, action)
                work = partial(render_variant, v, folder, shown, t_train=None)
                _finish(rf, v, folder, report, shown, work if action == "render" else lambda: None)
            # "devolve": the group's store already has the variant's epochs
            training = [v for v in selected if plans[v.name] in ("train", "devolve")]
            if training:
                _train_and_devolve(
                    rf, out, selected, training, fresh, shown, pool, report, punks_cache
                )
        order = {v.name: i for i, v in enumerate(rf.variants)}
        report.rows.sort(key=lambda row: order.get(row["variant"], 0))
        write_recipe_level(rf, out, ui)
        _collect_garbage(rf, out, ui)
    return report


def _finish(
    rf: RecipeFile, v: Variant, folder: Path, report: RunReport, ui: ProgressUI,
    work: Callable[[], None],
) -> None:  # fmt: skip
    """Do a variant's remaining work; a failure is reported and the other variants go on."""
    try:
        work()
    except PunkforgeError as err:
        if err.exit_code == 2:
            raise
        _failed(rf, v, report, ui, str(err))
        return
    row = variant_row(v, folder)
    report.rows.append(row)
    ui.variant_done(rf.name, v.name, row)


def _failed(rf: RecipeFile, v: Variant, report: RunReport, ui: ProgressUI, message: str) -> None:
    report.failures.append(f"{rf.name}/{v.name}: {message}")
    ui.variant_failed(rf.name, v.name, message)


def _read_folders(selected: list[Variant], out: Path) -> dict[str, Any]:
    """Check every folder source, then decode it (from out/.cache when valid); reads only."""
    from punkforge.data import folder_images
    from punkforge.data.recipe_fit import check_variant

    for v in selected:
        check_variant(v)
    decoded: dict[str, Any] = {}
    for v in selected:
        d = v.recipe.data
        if d.is_folder and folder_images.cache_key(d) not in decoded:
            decoded[folder_images.cache_key(d)] = folder_images.read_folder(
                d, out / CACHE_DIR, v.source
            )
    return decoded


def _folder_punks(selected: list[Variant], decoded: dict[str, Any]) -> dict[str, Any]:
    """Write the caches `_read_folders` decoded afresh (under the lock); the data per data_key."""
    from punkforge.data import folder_images
    from punkforge.data.sources import data_key

    for entry in decoded.values():
        folder_images.save_cache(entry)
    loaded: dict[str, Any] = {}
    for v in selected:
        d = v.recipe.data
        key = data_key(d, v.recipe.seed)
        if d.is_folder and key not in loaded:
            loaded[key] = folder_images.split_folder(
                decoded[folder_images.cache_key(d)], d, v.recipe.seed
            )
    return loaded


def _train_and_devolve(
    rf: RecipeFile,
    out: Path,
    selected: list[Variant],
    training: list[Variant],
    fresh: bool,
    ui: ProgressUI,
    pool: Pool | None,
    report: RunReport,
    punks_cache: dict[str, Any],
) -> None:
    """Train the groups `training` needs (on `pool`), then devolve and render each variant.

    Only the selected variants count: --only must not train a longer sibling.
    `punks_cache` holds the folders' data by `data.data_key` (CPUNKS loads on demand).
    """
    from punkforge.pipeline.training_groups import TrainingGroups

    outcome = _Devolve(rf, out, ui, report)
    groups = TrainingGroups(rf.name, out, ui, pool or InProcessPool(), outcome, punks_cache)
    groups.train(selected, training, fresh)


@dataclass
class _Devolve:
    """A trained variant is devolved and rendered; a failed one is reported."""

    rf: RecipeFile
    out: Path
    ui: ProgressUI
    report: RunReport

    def finish(self, v: Variant, punks: Any) -> None:
        folder = safe_child(self.out, v.name)
        store = safe_child(self.out, TRAIN_DIR) / training_key(v.recipe)

        def work() -> None:
            t0 = time.perf_counter()
            devolve_variant(v, punks, store, folder, self.ui)
            render_variant(v, folder, self.ui, t_train=time.perf_counter() - t0)

        _finish(self.rf, v, folder, self.report, self.ui, work)

    def fail(self, v: Variant, message: str) -> None:
        _failed(self.rf, v, self.report, self.ui, message)


def write_recipe_level(rf: RecipeFile, out: Path, ui: ProgressUI) -> None:
    """summary.json, variants.png and index.html over every finished variant."""
    from punkforge.gallery.pages import write_recipe_index, write_root_index
    from punkforge.rendering.art_images import paletted_devolved
    from punkforge.rendering.png_codec import save_png
    from punkforge.rendering.variants_sheet import make_variants_sheet

    manifests = {v.name: finished(v, out / v.name) for v in rf.variants}
    done = [v for v in rf.variants if manifests[v.name]]
    if not done:
        return
    ui.step("writing summary.json, variants.png and index.html")
    first = files.load_npz(out / done[0].name / "devolved.npz")
    summary = {
        "recipe": rf.name,
        "title": rf.title,
        "source": rf.path,
        "size": [int(x) for x in first["devolved"].shape[1:3]],  # the data's (h, w)
        "variants": {v.name: manifests[v.name]["summary"] for v in done},  # type: ignore[index]
    }
    files.write_json(out / "summary.json", summary)
    n = min(v.recipe.render.sample for v in done)
    n = min(n, 16)
    rows = []
    for v in done:
        z = files.load_npz(out / v.name / "devolved.npz")
        dev, orig = z["devolved"][:n], z["originals"][:n]
        # the sheet compares variants on the same images: another folder or size stays out
        if np.array_equal(orig, first["originals"][:n]):
            cfg = v.recipe.render
            d = paletted_devolved(cfg.palette, out / v.name, dev, orig, cfg.dither)
            rows.append((v.name, d))
    bg = done[0].recipe.render.poster.background
    sheet = make_variants_sheet(first["originals"][:n], rows, bg)
    # the sheet's first variant row names the recipe it carries (docs/output-folder.md)
    save_png(sheet, out / "variants.png", provenance=image_provenance(done[0]))
    write_recipe_index(rf, out, done, summary)
    write_root_index(out.parent)


def _collect_garbage(rf: RecipeFile, out: Path, ui: ProgressUI) -> None:
    """Drop training stores no variant of this recipe uses any more.

    Only the files each store's state.json lists are deleted (then the folder,
    if that leaves it empty); a link is never followed.
    """
    keys = {training_key(v.recipe) for v in rf.variants}
    root = safe_child(out, TRAIN_DIR)  # refuses a .train that is a link
    if not root.is_dir():
        return
    for store in sorted(root.iterdir()):
        if store.name in keys:
            continue
        if store.is_symlink():
            ui.step(f"left {store} alone: a symbolic link is not a training store of punkforge's")
        elif store.is_dir():
            wipe_store(store)


def render_only(
    rf: RecipeFile, out: Path, ui: ProgressUI, keep: Callable[[Variant], bool] = lambda v: True
) -> RunReport:
    """`punkforge render`: redraw every finished variant from its saved arrays.

    It never changes what a result means: before anything is written (the
    lock file included), every selected variant is checked, and if the
    recipe asks for other data, model, training, epochs or sample than its
    arrays were made with, the whole command is refused (RecipeError, exit
    2) with what changed.
    """
    report = RunReport()
    chosen = [v for v in rf.variants if keep(v)]
    refuse_links(out, [v.name for v in chosen])
    _renderable(rf, out, chosen)  # refuse before taking the lock: nothing on disk changes
    with run_lock(out), tree_guard.output_tree(out):
        ready, failures = _renderable(rf, out, chosen)  # again, now that nobody else writes
        for name, message in failures:
            report.failures.append(message)
            ui.variant_failed(rf.name, name, message)
        for v in ready:
            folder = out / v.name
            ui.variant_start(rf.name, v.name, "render")
            try:
                render_variant(v, folder, ui, t_train=None)
            except KeyboardInterrupt:
                raise
            except PunkforgeError as err:
                report.failures.append(f"{rf.name}/{v.name}: {err}")
                ui.variant_failed(rf.name, v.name, str(err))
                continue
            row = variant_row(v, folder)
            report.rows.append(row)
            ui.variant_done(rf.name, v.name, row)
        write_recipe_level(rf, out, ui)
    return report


def _renderable(
    rf: RecipeFile, out: Path, chosen: list[Variant]
) -> tuple[list[Variant], list[tuple[str, str]]]:
    """(variants `render` may redraw, (variant, failure) for the rest); RecipeError on a change."""
    ready: list[Variant] = []
    failures: list[tuple[str, str]] = []
    refusals: list[str] = []
    for v in chosen:
        folder = out / v.name
        m = read_manifest(folder)
        if m is None or m.get("training_key") is None:
            failures.append((v.name, (
                f"{rf.name}/{v.name}: nothing to render yet (no finished arrays in {folder}: "
                "its manifest.json is missing or damaged); run `punkforge run` first, which "
                "redoes it from its training store."
            )))  # fmt: skip
            continue
        why = render_refusal(v, folder, m)
        if why:
            refusals.append(why)
            continue
        bad = damaged(folder, m).intersection(SOURCES)
        if bad:
            failures.append((v.name, (
                f"{rf.name}/{v.name}: {', '.join(sorted(bad))} in {folder} is missing or "
                "damaged (it does not match manifest.json), so there is nothing trustworthy to "
                "redraw. Fix: run `punkforge run` to rebuild it."
            )))  # fmt: skip
            continue
        ready.append(v)
    if refusals:
        raise RecipeError(" ".join(refusals))
    return ready, failures
