"""Turning punk arrays into RGB pixels: compositing, upscaling and tiling.

Everything here is pure numpy on uint8 arrays with integer-exact arithmetic,
so the same punks on the same background always give the same pixels.
"""

from __future__ import annotations

import math

import numpy as np

from punkforge.recipe.paper import RGB, color_rgb


def contrast_color(background: str | RGB) -> RGB:
    """Black on light backgrounds, white on dark ones (ITU-R BT.601 luma)."""
    r, g, b = color_rgb(background)
    return (0, 0, 0) if 299 * r + 587 * g + 114 * b >= 128_000 else (255, 255, 255)


def to_rgb(punks: np.ndarray, background: str | RGB) -> np.ndarray:
    """Composite punks over `background`: (N, h, w, C) uint8 -> (N, h, w, 3) uint8.

    C is 1 (grey, repeated to RGB), 3 (RGB, returned as is) or 4 (RGBA, blended
    as round((rgb * a + bg * (255 - a)) / 255) in integers). A single punk
    (24, 24, C) works too and gives (24, 24, 3).
    """
    a = np.asarray(punks)
    if a.dtype != np.uint8:
        raise TypeError(f"punks must be uint8, got {a.dtype}")
    channels = a.shape[-1]
    if channels == 3:
        return a
    if channels == 1:
        return np.repeat(a, 3, axis=-1)
    if channels != 4:
        raise ValueError(f"punks must have 1, 3 or 4 channels, got shape {a.shape}")
    bg = np.array(color_rgb(background), np.uint32)
    alpha = a[..., 3:4].astype(np.uint32)
    mixed = a[..., :3].astype(np.uint32) * alpha + bg * (255 - alpha) + 127
    return (mixed // 255).astype(np.uint8)


def upscale(img: np.ndarray, scale: int) -> np.ndarray:
    """Nearest-neighbour upscale by a whole number: (H, W, ...) -> (H*scale, W*scale, ...)."""
    if scale == 1:
        return img
    return np.repeat(np.repeat(img, scale, axis=0), scale, axis=1)


def pair_tiles(
    originals: np.ndarray, devolved: np.ndarray, gap: int, background: RGB
) -> np.ndarray:
    """Original beside devolved: (N, h, w, 3) twice -> (N, h, 2w + gap, 3) uint8."""
    n, h, w, _ = devolved.shape
    out = np.empty((n, h, 2 * w + gap, 3), np.uint8)
    out[...] = background
    out[:, :, :w] = originals
    out[:, :, w + gap :] = devolved
    return out


def tile_grid(
    tiles: np.ndarray, cols: int, scale: int, gap: int, pad: int, background: RGB
) -> np.ndarray:
    """Lay tiles out in rows of `cols`, upscaled: (N, h, w, 3) -> (H, W, 3) uint8.

    `gap` is the px between tiles and `pad` the px around the grid, both
    after scaling.
    """
    n, h, w, _ = tiles.shape
    rows = math.ceil(n / cols)
    th, tw = h * scale, w * scale
    out = np.empty(
        (2 * pad + rows * th + (rows - 1) * gap, 2 * pad + cols * tw + (cols - 1) * gap, 3),
        np.uint8,
    )
    out[...] = background
    for i in range(n):
        r, c = divmod(i, cols)
        y, x = pad + r * (th + gap), pad + c * (tw + gap)
        out[y : y + th, x : x + tw] = upscale(tiles[i], scale)
    return out
