"""One variant's folder: devolve its test set, draw its pictures, write its manifest.

`devolve_variant` (TensorFlow, lazily) rebuilds the trained network, writes
`model.keras`, `devolved.npz`, `snapshots.npz`, `history.csv` and `art.npz`,
then `record_arrays` writes a manifest naming what the arrays were made with.
`render_variant` (never TensorFlow) draws every picture from those arrays and
replaces the manifest last. A variant folder loses only files its previous
manifest listed; `finished` says whether a folder is done and verifies.
"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Any

import numpy as np

from punkforge import files, tree_guard
from punkforge.pipeline.output_folder import (
    TRAIN_DIR,
    damaged,
    image_provenance,
    read_manifest,
    recipe_sha,
    resolved_toml,
    versions,
)
from punkforge.pipeline.plan import SOURCES, predict_key
from punkforge.pipeline.progress import ProgressUI
from punkforge.recipe.sections import Recipe, Variant
from punkforge.recipe.shapes import count_params
from punkforge.rendering.provenance import ImageProvenance
from punkforge.training.history import read_history, write_history
from punkforge.training.store import has_snapshots, read_snapshots, read_state, training_key


def devolve_variant(v: Variant, punks: Any, store: Path, folder: Path, ui: ProgressUI) -> None:
    """Rebuild the variant's model at its epoch and devolve the test set (TensorFlow)."""
    from punkforge.data.punks import to_uint8
    from punkforge.training.autoencoder import build_autoencoder, keras_module
    from punkforge.training.network_art import devolve_art
    from punkforge.training.store import read_weights

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
    entries.update(files.file_entries(base, present(folder, SOURCES)))
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


def present(folder: Path, names: tuple[str, ...]) -> list[Path]:
    """Absolute folder/name for each name that is a regular file (a link is never ours)."""
    out = []
    for name in names:
        try:
            p = tree_guard.check_path(folder / name)
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


def render_variant(v: Variant, folder: Path, ui: ProgressUI, t_train: float | None) -> None:
    """Every picture of one variant, from its saved arrays (never TensorFlow).

    New files replace old ones one by one; then files the previous manifest
    listed that this render did not make are deleted; recipe.toml and the
    manifest come last. Killed anywhere, the previous manifest is still
    there and simply no longer verifies, so the next command redraws.
    """
    from punkforge.rendering.art_images import render_art
    from punkforge.rendering.latent_map import draw_latent_art

    r = v.recipe
    ui.step("rendering poster, series and GIF")
    old = read_manifest(folder) or {}
    store = folder.parent / TRAIN_DIR / training_key(r)
    t0 = time.perf_counter()
    # every picture carries the recipe.toml written below, so a picture names what made it
    made_by = image_provenance(v)
    with tree_guard.track_writes(folder) as written:
        if has_snapshots(store, r.train.epochs):
            select_snapshots(r, store, folder)  # render.gif.every may have changed
        dev = files.load_npz(folder / "devolved.npz")
        snaps = files.load_npz(folder / "snapshots.npz")
        # the palette; morph and feedback pieces
        dev, snaps = render_art(v, folder, dev, snaps, provenance=made_by)
        draw_latent_art(v, folder, dev, made_by)  # the latent map poster and four-punk grids
        history = read_history(folder)
        _draw_poster(v, folder, dev, made_by)
        _draw_series(v, folder, dev, made_by)
        _draw_progress(v, folder, snaps, history, made_by)
        _draw_epochs(v, folder, snaps, dev, made_by)
        base = Path(os.path.abspath(folder))
        ours = {*written, *present(folder, SOURCES)} - {base / "manifest.json"}
        _remove_unlisted(folder, old, ours)
        text = made_by.recipe_toml  # resolved_toml(r, v.name), as the pictures say
        files.write_text(folder / "recipe.toml", text)
        ours |= written
    timings = dict(old.get("timings", {}))
    timings["train_s"] = round(sum(h["seconds"] for h in history), 3)
    if t_train is not None:
        timings["devolve_s"] = round(t_train, 3)
    timings["render_s"] = round(time.perf_counter() - t0, 3)
    size = dev["devolved"].shape[1:3]
    _write_manifest(v, folder, text, size, history, timings, ours)


def _draw_poster(v: Variant, folder: Path, dev: dict[str, Any], made_by: ImageProvenance) -> None:
    """poster.png/.tiff/.pdf and the gallery's poster-thumb.png."""
    from punkforge.gallery.thumbnails import THUMB, write_poster_thumb
    from punkforge.rendering.poster import make_poster, poster_caption, poster_geometry, save_poster

    r, cfg = v.recipe, v.recipe.render.poster
    devolved, originals = dev["devolved"], dev["originals"]
    caption = poster_caption(r.display_title, v.name, r.train.epochs)
    poster = make_poster(devolved, originals, cfg, caption)
    save_poster(poster, folder / "poster", cfg, title=caption, provenance=made_by)
    g = poster_geometry(len(devolved), cfg, devolved.shape[1:3])
    write_poster_thumb(poster, (g.grid_x, g.grid_y), g.scale, folder / THUMB, made_by)


def _draw_series(v: Variant, folder: Path, dev: dict[str, Any], made_by: ImageProvenance) -> None:
    """series/: one PNG per test image, and its index.html."""
    from punkforge.gallery.pages import write_series_page
    from punkforge.rendering.series import save_series

    r, cfg = v.recipe, v.recipe.render
    devolved, ids = dev["devolved"], dev["ids"]
    series = folder / "series"
    save_series(devolved, dev["originals"], ids, series, cfg.series, cfg.poster.background, made_by)
    write_series_page(
        series,
        ids,
        cfg.series.scale,
        cfg.series.layout == "pairs",
        r.display_title,
        v.name,
        size=devolved.shape[1:3],
    )


def _draw_progress(
    v: Variant,
    folder: Path,
    snaps: dict[str, Any],
    history: list[dict[str, float]],
    made_by: ImageProvenance,
) -> None:
    """progress.gif (the sample across epochs) and loss.png."""
    from punkforge.rendering.animation import make_gif_frames, save_loop
    from punkforge.rendering.loss_plot import make_loss_plot
    from punkforge.rendering.png_codec import save_png

    r, cfg = v.recipe, v.recipe.render
    epochs = [int(e) for e in snaps["epochs"]]
    frames = make_gif_frames(
        snaps["images"], epochs, r.train.epochs, cfg.gif, cfg.poster.background
    )
    save_loop(frames, folder / "progress", cfg.gif, provenance=made_by)
    loss = make_loss_plot(history, f"{r.display_title} - {v.name}")
    save_png(loss, folder / "loss.png", provenance=made_by)


def _draw_epochs(
    v: Variant,
    folder: Path,
    snaps: dict[str, Any],
    dev: dict[str, Any],
    made_by: ImageProvenance,
) -> None:
    """epochs.png (every recorded epoch's sample) and the variant page's epoch scrubber."""
    from punkforge.gallery.variant_page import write_variant_page
    from punkforge.rendering.epoch_sprite import save_epoch_sprite

    r = v.recipe
    epochs, images = snaps["epochs"], snaps["images"]
    if not r.render.gif.epoch0:  # render-only: the store keeps epoch 0, the page leaves it out
        epochs, images = epochs[epochs > 0], images[epochs > 0]
    save_epoch_sprite(images, r.render.poster.background, folder, made_by)
    ids = dev["ids"][: images.shape[1]]
    write_variant_page(folder, r, v.name, list(epochs), list(ids), images.shape[2:4])


def _write_manifest(
    v: Variant,
    folder: Path,
    text: str,
    size: tuple[int, ...],
    history: list[dict[str, float]],
    timings: dict[str, Any],
    ours: set[Path],
) -> None:
    """The manifest of a finished variant, written last: its recipe, figures and files."""
    r = v.recipe
    last = history[-1] if history else {}
    manifest = {
        "variant": v.name,
        "recipe_sha": recipe_sha(text),
        "training_key": training_key(r),
        "predict": predict_key(r),
        "summary": {
            "params": count_params(r.model, r.channels, size),
            "epochs": r.train.epochs,
            "loss": last.get("loss"),
            "val_loss": last.get("val_loss"),
            "seconds": timings["train_s"],
        },
        "versions": versions(),
        "timings": timings,
        "files": files.file_entries(Path(os.path.abspath(folder)), ours),
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
