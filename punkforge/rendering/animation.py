"""The progress animation: the sample grid at each recorded epoch.

Frames are RGB arrays (`make_gif_frames`); `save_gif` writes them through
imageio's v3 API as a GIF with one shared palette and no dithering (exact
when the frames hold at most 256 colours, as grey and most colour runs do), a
lossless animated WebP, or an MP4 (FFmpeg, when imageio-ffmpeg is installed).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import imageio.v3 as iio
import numpy as np
from PIL import Image

from punkforge.errors import PunkforgeError
from punkforge.files import atomic_path
from punkforge.recipe.limits import CAP_H, grid_shape
from punkforge.recipe.sections import GifConfig
from punkforge.rendering.compositing import color_rgb, contrast_color, tile_grid, to_rgb
from punkforge.rendering.pixel_font import draw_text, text_size
from punkforge.rendering.png_codec import rgb_key
from punkforge.rendering.provenance import ImageProvenance

GUTTER = 2  # punk pixels between punks and around the grid


def select_epochs(
    epochs: list[int], total_epochs: int, every: int, epoch0: bool = True
) -> list[int]:
    """Indices into `epochs` that get a frame: every `every`-th epoch and the last one.

    Epoch 0 (the untrained network, when recorded) gets one when `epoch0`. If
    none qualifies (an unfinished run), the latest snapshot is used alone.
    """
    chosen = [
        i
        for i, e in enumerate(epochs)
        if (e % every == 0 or e == total_epochs) and (e > 0 or epoch0)
    ]
    return chosen or ([len(epochs) - 1] if epochs else [])


def label_scale(scale: int) -> int:
    """Font scale of the epoch label for a grid scaled by `scale`."""
    return max(2, scale // 2)


def make_gif_frames(
    snapshots: np.ndarray,
    epochs: list[int],
    total_epochs: int,
    cfg: GifConfig,
    background: str,
    word: str = "epoch",
) -> list[np.ndarray]:
    """One frame per selected epoch: (E, S, h, w, C) uint8 -> list of (H, W, 3) uint8.

    Each frame is a near-square grid (in pixels) of the S sample images scaled by
    cfg.scale, with the label "epoch k/N" (`word` k/N) in a band below the
    grid when cfg.label. All frames have the same size.
    """
    if len(snapshots) != len(epochs):
        raise ValueError(f"{len(snapshots)} snapshots but {len(epochs)} epochs")
    bg = color_rgb(background)
    ink = contrast_color(bg)
    s = cfg.scale
    cols, _ = grid_shape(snapshots.shape[1], snapshots.shape[2] / snapshots.shape[3])
    ls = label_scale(s)
    pad = GUTTER * s
    frames = []
    for i in select_epochs(list(epochs), total_epochs, cfg.every, cfg.epoch0):
        grid = tile_grid(to_rgb(snapshots[i], bg), cols, s, GUTTER * s, pad, bg)
        if not cfg.label:
            frames.append(grid)
            continue
        widest = f"{word} {total_epochs}/{total_epochs}"
        width = max(grid.shape[1], text_size(widest, ls)[0] + 2 * pad)
        band = CAP_H * ls + pad + max(pad, 2 * ls)
        frame = np.empty((grid.shape[0] + band, width, 3), np.uint8)
        frame[...] = bg
        gx = (width - grid.shape[1]) // 2
        frame[: grid.shape[0], gx : gx + grid.shape[1]] = grid
        label = f"{word} {epochs[i]}/{total_epochs}"
        # left-aligned with the grid, so the label does not jitter as digits change,
        # and inside the frame when it is wider than the grid
        x = min(gx + pad, width - pad - text_size(widest, ls)[0])
        draw_text(frame, label, x, grid.shape[0], ls, ink)
        frames.append(frame)
    return frames


def _durations(n: int, cfg: GifConfig, hold: bool = True) -> list[int]:
    return [cfg.frame_ms] * (n - 1) + [cfg.hold_ms if hold else cfg.frame_ms]


def _shared_palette(frames: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Frames on one palette without dithering (crisp pixel art).

    list of (H, W, 3) uint8 -> ((F, H, W) uint8 indices, (K, 3) uint8 palette), K <= 256.
    Exact when all frames together have at most 256 colours (grey runs and
    most colour runs): colours are looked up in a 2^24 table, not sorted.
    Otherwise Pillow's median cut of every other pixel of every frame, each
    pixel mapped without dithering to its nearest entry.

    Measured (`bench/render_speed.py --parts --reps 3`, 20 frames of 64 grey
    punks, busy 2-core machine): the exact table takes 2.7 s, Pillow's quantize
    of the same frames (exact too) 7.8 s, so the table stays. Above 256 colours
    Pillow replaced a hand-written median cut and nearest-colour search (20
    soft colour frames, 7670 colours, medians of 3 in one process: 1.05 vs
    1.97 s, mean error 8.03 vs 8.08 levels).
    """
    keys = [rgb_key(f) for f in frames]
    present = np.zeros(1 << 24, bool)
    for k in keys:
        present[k.ravel()] = True
    colors = np.flatnonzero(present).astype(np.uint32)
    if len(colors) > 256:
        # the palette from every other pixel and row (4x less work, as close);
        # then every pixel mapped to its nearest entry
        sample = Image.fromarray(np.concatenate([f[::2, ::2] for f in frames]))
        cut = sample.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        stacked = Image.fromarray(np.concatenate(frames))
        quant = stacked.quantize(palette=cut, dither=Image.Dither.NONE)
        palette = np.array(quant.getpalette()[: 3 * 256], np.uint8).reshape(-1, 3)
        return np.asarray(quant).reshape(len(frames), *frames[0].shape[:2]), palette
    lut = np.zeros(1 << 24, np.uint8)
    lut[colors] = np.arange(len(colors), dtype=np.uint8)
    palette = np.stack([colors >> 16, (colors >> 8) & 255, colors & 255], 1).astype(np.uint8)
    return np.stack([lut[k] for k in keys]), palette


def can_write_mp4() -> bool:
    """Whether this install has FFmpeg (imageio-ffmpeg), looked up without importing it."""
    return importlib.util.find_spec("imageio_ffmpeg") is not None


def check_gif(cfg: GifConfig) -> None:
    """Raise PunkforgeError if cfg.formats asks for something this install cannot write.

    The pipeline refuses this earlier, before anything is written
    (`pipeline.preflight`); this guards direct callers of `save_gif`.
    """
    if "mp4" in cfg.formats and not can_write_mp4():
        raise PunkforgeError(
            "render.gif.formats asks for mp4, which needs FFmpeg: pip install imageio-ffmpeg "
            "(or drop 'mp4' from render.gif.formats)."
        )


def _write_mp4(path: Path, frames: list[np.ndarray], cfg: GifConfig, hold: bool = True) -> None:
    """MP4 (H.264) through imageio's FFmpeg plugin; the last frame repeats for cfg.hold_ms."""
    # Doubling every pixel makes the size even and lines the 2x2 chroma blocks of
    # yuv420p up with whole pixels, so colours stay crisp.
    big = [np.repeat(np.repeat(f, 2, 0), 2, 1) for f in frames]
    repeat = max(1, round(cfg.hold_ms / cfg.frame_ms)) if hold else 1
    iio.imwrite(
        path, np.stack(big[:-1] + [big[-1]] * repeat), plugin="FFMPEG", fps=1000 / cfg.frame_ms,
        codec="libx264", pixelformat="yuv420p", macro_block_size=1,
        output_params=["-crf", "12"], ffmpeg_log_level="error",
    )  # fmt: skip


def save_gif(
    frames: list[np.ndarray],
    stem: Path,
    cfg: GifConfig,
    provenance: ImageProvenance | None = None,
    *,
    hold: bool = True,
) -> list[Path]:
    """Write frames (list of (H, W, 3) uint8) as stem.gif / .webp / .mp4 per cfg.formats.

    Every frame shows cfg.frame_ms milliseconds, the last cfg.hold_ms (or
    cfg.frame_ms too when not `hold`: a loop has no last frame); GIF and WebP
    loop forever. All three go through imageio's v3 API (Pillow for GIF and
    WebP, FFmpeg for MP4). `save_loop` orders the frames of a loop first.
    `provenance` goes into the GIF's comment extension and the WebP's XMP
    chunk as an XMP packet; MP4 carries none.
    """
    # Pillow leaves the comment or XMP out when the value is empty
    xmp = provenance.xmp_packet if provenance is not None else b""
    if not frames:
        raise ValueError("no frames to save")
    check_gif(cfg)
    paths = []
    durations = _durations(len(frames), cfg, hold)
    for fmt in dict.fromkeys(cfg.formats):
        path = stem.parent / f"{stem.name}.{fmt}"
        with atomic_path(path) as tmp:
            # save_all: an animation even of one frame (an unfinished run), as
            # imageio would otherwise save a still that takes no duration list
            if fmt == "gif":
                # Indices as greyscale frames plus `palette`: Pillow uses the
                # palette as is, so every frame shares it exactly.
                index, palette = _shared_palette(frames)
                iio.imwrite(
                    tmp, index, plugin="pillow", is_batch=True, palette=palette.tobytes(),
                    save_all=True, duration=durations, loop=0, disposal=1, optimize=False,
                    comment=xmp,
                )  # fmt: skip
            elif fmt == "webp":
                iio.imwrite(
                    tmp, np.stack(frames), plugin="pillow", is_batch=True, save_all=True,
                    duration=durations, loop=0, lossless=True, quality=0, method=0, xmp=xmp,
                )  # fmt: skip
            elif fmt == "mp4":
                _write_mp4(tmp, frames, cfg, hold)
            else:
                raise ValueError(f"unknown animation format {fmt!r}")
        paths.append(path)
    return paths


# ---------------------------------------------------------------- loops


def loop_order(n: int, loop: str) -> list[int]:
    """The frame indices an animation of n frames plays, once round its loop.

    "none": 0..n-1. "boomerang": forward then back, 0..n-1 then n-2..1, so
    that neither end is shown twice in a row when the player wraps round
    (the frame after 1 is 0 again).
    """
    forward = list(range(n))
    if loop == "boomerang":
        return forward + forward[-2:0:-1]
    return forward


def save_loop(
    frames: list[np.ndarray],
    stem: Path,
    cfg: GifConfig,
    closed: bool = False,
    provenance: ImageProvenance | None = None,
) -> list[Path]:
    """save_gif with cfg.loop applied: the frames in loop order, no hold where the loop wraps.

    A boomerang, or a `closed` sequence (a morph path back to its start,
    whose last frame leads into its first), loops seamlessly: every frame
    shows cfg.frame_ms and cfg.hold_ms is not used (a pause at the seam
    would show where it is). Otherwise the last frame holds for cfg.hold_ms.
    """
    order = loop_order(len(frames), cfg.loop)
    seamless = closed or (cfg.loop != "none" and len(frames) > 1)
    return save_gif([frames[i] for i in order], stem, cfg, provenance, hold=not seamless)
