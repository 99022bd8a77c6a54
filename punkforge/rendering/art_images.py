"""Art from a trained network, drawn: palettes, morph GIFs and feedback strips.

The devolve step (`punkforge.training.network_art`, the only part that needs the
model) stores every array in the variant's `art.npz`; this module draws them
with numpy and Pillow only, so `punkforge render` redraws every art piece
without TensorFlow:

    art.npz  art             the [art] table it was made for (JSON text)
             source_colors   (K, 3) uint8, the training images' colours (K <= 256)
             morph           (P, T, H, W, C) uint8, the frames of each of P morph
                             paths (path p's first morph_frames[p], then zeros)
             morph_ids       (P, K) str, each path's ids ("" after a shorter path's last)
             morph_frames    (P,) int, frames of each path (absent before paths: all T)
             feedback        (G, S, H, W, C) uint8, generations 1..G of the sample
             bend_<k>        (F, S, H, W, C) uint8, the sample as [art].bend[k]'s
                             keyframe range moves, one per bend that has one

Every animation goes through `save_loop`, so render.gif.loop applies to all
of them; a closed morph path loops by itself.

`check_art_budgets` refuses, before anything runs, quarter turns of
non-square feature maps and art that would not fit in memory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from punkforge import files
from punkforge.errors import RunError
from punkforge.recipe.limits import CAP_H, LABEL_SCALE, SHEET_GUTTER, SHEET_SCALE, morph_scale
from punkforge.recipe.plain_dicts import to_dict
from punkforge.recipe.sections import Recipe, Variant
from punkforge.rendering.animation import make_gif_frames, save_loop
from punkforge.rendering.compositing import color_rgb, contrast_color, to_rgb, upscale
from punkforge.rendering.palette import image_colors, parse_palette, snap, snap_own
from punkforge.rendering.pixel_font import draw_text, text_size
from punkforge.rendering.png_codec import save_png
from punkforge.rendering.provenance import ImageProvenance

ART = "art.npz"


# ---------------------------------------------------------------- palettes


def art_json(r: Recipe) -> str:
    """The [art] table as canonical JSON: what art.npz records it was made for."""
    return json.dumps(to_dict(r.art), sort_keys=True)


def load_art(folder: Path) -> dict[str, Any] | None:
    """The variant's art.npz arrays, or None when it has none."""
    return files.load_npz(folder / ART) if (folder / ART).is_file() else None


def paletted(
    palette: str | tuple[str, ...],
    images: np.ndarray,
    originals: np.ndarray,
    source: np.ndarray | None,
    dither: str = "none",
) -> np.ndarray:
    """images (..., S, H, W, C) uint8 snapped to render.palette, dithered by render.dither.

    originals (S, H, W, C) uint8 line up with the images' second-to-last
    batch axis ("own" snaps each punk to its own original's colours);
    source (K, 3) uint8 is the training images' colours ("source").
    """
    if palette == "none":
        return images
    if palette == "own":
        lead = images.shape[:-4]
        flat = images.reshape(-1, *images.shape[-4:])
        out = np.stack([snap_own(x, originals, dither) for x in flat])
        return out.reshape(*lead, *out.shape[1:])
    if palette == "source":
        if source is None:
            raise ValueError("no source colours")
        return snap(images, source, dither)
    return snap(images, parse_palette(palette), dither)


def paletted_devolved(
    palette: str | list[str] | tuple[str, ...],
    folder: Path,
    devolved: np.ndarray,
    originals: np.ndarray,
    dither: str = "none",
) -> np.ndarray:
    """A variant folder's devolved punks as the posters show them (render.palette, dither)."""
    palette = palette if isinstance(palette, str) else tuple(palette)
    art = load_art(folder) if palette == "source" else None
    if palette == "source" and art is None:
        raise RunError(_stale(folder, "render.palette = 'source' needs art.npz"))
    source = art["source_colors"] if art else None
    return paletted(palette, devolved, originals, source, dither)


def _stale(folder: Path, why: str) -> str:
    return (
        f"{folder}: {why}, which the devolve step makes and this folder lacks or made for "
        "another [art] table; `render` never devolves. Run `punkforge run` on the recipe "
        "instead (it re-devolves from the saved weights, without training)."
    )


# ---------------------------------------------------------------- pictures


def make_feedback_sheet(
    originals: np.ndarray, generations: np.ndarray, background: str
) -> np.ndarray:
    """Sample punks down, generations across: (S, H, W, C) and (G, S, H, W, C') uint8
    -> (height, width, 3) uint8, columns headed "0" (the originals) to "G".
    """
    bg = color_rgb(background)
    ink = contrast_color(bg)
    s, h, w = originals.shape[:3]
    cols = [to_rgb(originals, bg), *(to_rgb(g, bg) for g in generations)]
    ch, cw = h * SHEET_SCALE, w * SHEET_SCALE
    pad = 2 * SHEET_GUTTER
    head = CAP_H * LABEL_SCALE + SHEET_GUTTER
    width = 2 * pad + len(cols) * cw + (len(cols) - 1) * SHEET_GUTTER
    height = 2 * pad + head + s * ch + (s - 1) * SHEET_GUTTER
    sheet = np.empty((height, width, 3), np.uint8)
    sheet[...] = bg
    for c, col in enumerate(cols):
        x = pad + c * (cw + SHEET_GUTTER)
        label = str(c) if len(cols) < 12 or c % 5 == 0 or c == len(cols) - 1 else ""
        tw = text_size(label, LABEL_SCALE)[0] if label else 0
        draw_text(sheet, label, x + (cw - tw) // 2, pad, LABEL_SCALE, ink)
        for i in range(s):
            y = pad + head + i * (ch + SHEET_GUTTER)
            sheet[y : y + ch, x : x + cw] = upscale(col[i], SHEET_SCALE)
    return sheet


def _labelled_frames(
    images: np.ndarray, numbers: list[int], word: str, r: Recipe, scale: int
) -> list[np.ndarray]:
    """Frames like the progress GIF's: (F, S, H, W, C) uint8, "word k/N" labels."""
    cfg = r.render.gif.model_copy(update={"every": 1, "scale": scale})
    return make_gif_frames(images, numbers, numbers[-1], cfg, r.render.poster.background, word=word)


def render_art(
    v: Variant,
    folder: Path,
    dev: dict[str, Any],
    snaps: dict[str, Any],
    provenance: ImageProvenance | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply render.palette (and dither) and draw the variant's morph and feedback pieces.

    dev and snaps are the loaded devolved.npz and snapshots.npz; they come
    back with the palette applied, for the poster, series and progress GIF.
    Writes morph-<a>-<b>.<fmt>, feedback.png and feedback.<fmt>; the runner
    deletes the recorded ones this render did not make. Every picture carries
    `provenance` (the variant's recipe, in its format's metadata).
    """
    r = v.recipe
    art = load_art(folder)
    palette, dither = r.render.palette, r.render.dither
    wants_art = bool(r.art.morph or r.art.feedback or r.art.bend)
    if art is None and (wants_art or palette == "source"):
        raise RunError(_stale(folder, "the recipe's [art] or render.palette needs art.npz"))
    if art is not None and str(art["art"]) != art_json(r):
        raise RunError(_stale(folder, "the recipe's [art] table needs a new art.npz"))
    originals = dev["originals"]
    source = art["source_colors"] if art is not None else None
    dev = {**dev, "devolved": paletted(palette, dev["devolved"], originals, source, dither)}
    sample = originals[: snaps["images"].shape[1]]
    snaps = {**snaps, "images": paletted(palette, snaps["images"], sample, source, dither)}

    if art is not None:
        draw_morphs(r, folder, art, originals, [str(i) for i in dev["ids"]], provenance)
        draw_bends(r, folder, art, originals, provenance)
    if art is not None and len(art["feedback"]):
        sample = originals[: art["feedback"].shape[1]]
        gens = paletted(palette, art["feedback"], sample, source, dither)
        bg = r.render.poster.background
        sheet = make_feedback_sheet(sample, gens, bg)
        save_png(sheet, folder / "feedback.png", provenance=provenance)
        everything = [sample, *gens]
        if len({x.shape[-1] for x in everything}) > 1:  # a colour palette on grey punks
            everything = [to_rgb(x, bg) for x in everything]
        pics = _labelled_frames(
            np.stack(everything), list(range(len(everything))), "generation", r, r.render.gif.scale
        )
        save_loop(pics, folder / "feedback", r.render.gif, provenance=provenance)
    return dev, snaps


# ---------------------------------------------------------------- morph paths and bends


def morph_stem(ids: list[str], closed: bool) -> str:
    """morph-<a>-<b>[-<c>...], and -<a> again at the end of a closed path."""
    return "morph-" + "-".join([*ids, ids[0]] if closed else ids)


def draw_morphs(
    r: Recipe,
    folder: Path,
    art: dict[str, Any],
    originals: np.ndarray,
    ids: list[str],
    provenance: ImageProvenance | None = None,
) -> None:
    """morph-<ids>.<fmt> for each morph path in art.npz, in render.palette.

    palette "own" snaps a path's frames to the colours of all the images it
    passes through. A closed path (art.morph_closed) is a loop of its own: it
    plays forward with no hold, whatever render.gif.loop says (a boomerang
    would walk the same circle backwards, twice the file for nothing new).
    """
    palette, dither = r.render.palette, r.render.dither
    closed = r.art.morph_closed
    cfg = r.render.gif.model_copy(update={"loop": "none"}) if closed else r.render.gif
    source = art["source_colors"]
    counts = art.get("morph_frames", [len(m) for m in art["morph"]])
    for row, frames, n in zip(art["morph_ids"], art["morph"], counts, strict=True):
        stops = [str(x) for x in row if str(x)]
        frames = frames[: int(n)]
        if palette == "own":
            inks = [image_colors(originals[ids.index(x)]) for x in stops]
            frames = snap(frames, np.unique(np.concatenate(inks), axis=0), dither)
        else:
            frames = paletted(palette, frames, originals[:0], source, dither)
        steps = list(range(1, len(frames) + 1))
        pics = _labelled_frames(frames[:, None], steps, "morph", r, morph_scale(r))
        save_loop(pics, folder / morph_stem(stops, closed), cfg, closed, provenance)


def draw_bends(
    r: Recipe,
    folder: Path,
    art: dict[str, Any],
    originals: np.ndarray,
    provenance: ImageProvenance | None = None,
) -> None:
    """bend-<k>.<fmt>: the sample grid frame by frame as bend k's value moves, like progress.gif."""
    for k, b in enumerate(r.art.bend):
        if not b.keyframed:
            continue
        frames = art[f"bend_{k}"]
        sample = originals[: frames.shape[1]]
        frames = paletted(r.render.palette, frames, sample, art["source_colors"], r.render.dither)
        steps = list(range(1, len(frames) + 1))
        pics = _labelled_frames(frames, steps, "bend", r, r.render.gif.scale)
        save_loop(pics, folder / f"bend-{k}", r.render.gif, provenance=provenance)
