"""render.palette: snap devolved pixels to a palette, so pixel art stays crisp.

A devolved punk is a soup of in-between colours; snapping each pixel to the
nearest colour of a palette gives back flat pixel-art areas. "Nearest" is
measured in OKLab (Björn Ottosson, 2020), a perceptual space where equal
distances look about equally different, so a dark red snaps to the palette's
dark red and not to a brown that happens to be close in RGB. Alpha snaps to
0 or 255 (at 128): a punk pixel is there or it is not.

Pure numpy on uint8 arrays: changing the palette never imports TensorFlow.
"""

from __future__ import annotations

import numpy as np

from punkforge.recipe.paper import parse_color

# sRGB (linear) -> LMS and LMS' -> OKLab, from Ottosson's reference implementation.
_M1 = np.array(
    [
        [0.4122214708, 0.5363325363, 0.0514459929],
        [0.2119034982, 0.6806995451, 0.1073969566],
        [0.0883024619, 0.2817188376, 0.6299787005],
    ]
)
_M2 = np.array(
    [
        [0.2104542553, 0.7936177850, -0.0040720468],
        [1.9779984951, -2.4285922050, 0.4505937099],
        [0.0259040371, 0.7827717662, -0.8086757660],
    ]
)


def oklab(rgb: np.ndarray) -> np.ndarray:
    """sRGB colours (..., 3) uint8 -> OKLab (..., 3) float64 (L in [0, 1])."""
    c = np.asarray(rgb, np.float64) / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return np.cbrt(linear @ _M1.T) @ _M2.T


def parse_palette(colors: tuple[str, ...] | list[str]) -> np.ndarray:
    """['#rrggbb', ...] -> (K, 3) uint8, duplicates dropped, order kept."""
    rgb = np.array([parse_color(c) for c in colors], np.uint8).reshape(-1, 3)
    _, first = np.unique(rgb, axis=0, return_index=True)
    return rgb[np.sort(first)]


def _rgb(images: np.ndarray) -> np.ndarray:
    """The colour part of (..., C) uint8 as (..., 3): grey repeated, alpha dropped."""
    return np.repeat(images, 3, -1) if images.shape[-1] == 1 else images[..., :3]


def image_colors(images: np.ndarray) -> np.ndarray:
    """The distinct colours of (..., C) uint8 images as (K, 3) uint8 RGB.

    For RGBA only the visible pixels (alpha >= 128) count, unless none is.
    """
    rgb = _rgb(images).reshape(-1, 3)
    if images.shape[-1] == 4:
        visible = images[..., 3].reshape(-1) >= 128
        if visible.any():
            rgb = rgb[visible]
    return np.unique(rgb, axis=0)


def snap(images: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Each pixel to its nearest palette colour in OKLab; alpha to 0 or 255.

    images: (..., C) uint8 with C 1, 3 or 4; palette: (K, 3) uint8 RGB, K >= 1.
    Returns uint8 with the same leading shape: grey stays one channel when
    every palette colour is grey, otherwise it becomes RGB; RGBA keeps its
    (snapped) alpha. Ties go to the earlier palette colour.
    """
    images = np.asarray(images)
    palette = np.asarray(palette, np.uint8).reshape(-1, 3)
    if images.dtype != np.uint8:
        raise TypeError(f"images must be uint8, got {images.dtype}")
    if len(palette) == 0:
        raise ValueError("empty palette")
    c = images.shape[-1]
    rgb = _rgb(images)
    keys = (rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8) | rgb[..., 2]
    # distinct colours only: a punk set has thousands of pixels but few colours
    used, inverse = np.unique(keys.reshape(-1), return_inverse=True)
    used_rgb = np.stack([used >> 16, (used >> 8) & 255, used & 255], 1).astype(np.uint8)
    lab, pal_lab = oklab(used_rgb), oklab(palette)
    nearest = np.empty(len(used), np.intp)
    for i in range(0, len(used), 4096):  # bounded memory for photo-like inputs
        d = ((lab[i : i + 4096, None, :] - pal_lab[None]) ** 2).sum(-1)
        nearest[i : i + 4096] = d.argmin(1)
    out_rgb = palette[nearest][inverse].reshape(rgb.shape)
    grey = bool((palette == palette[:, :1]).all())
    if c == 1 and grey:
        return out_rgb[..., :1].copy()
    if c == 4:
        alpha = np.where(images[..., 3:4] >= 128, 255, 0).astype(np.uint8)
        return np.concatenate([out_rgb, alpha], -1)
    return out_rgb


def snap_own(images: np.ndarray, originals: np.ndarray) -> np.ndarray:
    """Each image snapped to its own original's colours: (N, H, W, C) uint8 twice."""
    if len(images) != len(originals):
        raise ValueError(f"{len(images)} images but {len(originals)} originals")
    return np.stack([snap(im, image_colors(o)) for im, o in zip(images, originals, strict=True)])
