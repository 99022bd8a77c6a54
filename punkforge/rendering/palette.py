"""render.palette: snap devolved pixels to a palette, so pixel art stays crisp.

A devolved punk is a soup of in-between colours; snapping each pixel to the
nearest colour of a palette gives back flat pixel-art areas. "Nearest" is
measured in OKLab (Björn Ottosson, 2020), a perceptual space where equal
distances look about equally different, so a dark red snaps to the palette's
dark red and not to a brown that happens to be close in RGB. Alpha snaps to
0 or 255 (at 128): a punk pixel is there or it is not.

render.dither turns a few inks into tone instead of flat areas, still in
OKLab and still onto palette colours only (alpha is never dithered):

- "bayer2" / "bayer4" / "bayer8" (ordered): each pixel mixes its nearest ink
  with the ink whose segment passes closest to it (far-apart pairs charged a
  little extra, MIX_PENALTY, so neighbouring inks mix); t, how far along that
  segment the pixel lies from the darker of the two inks, is compared with
  the Bayer threshold at (y mod n, x mod n) of each image, and the pixel
  takes the lighter ink where t is above it. A flat area of tone t gets
  exactly the fraction t of the lighter ink, in the fixed Bayer pattern, and
  a lighter tone lights the same cells plus more; a pixel that already is an
  ink never moves. This is the classic "offset the pixel by the threshold,
  then snap" with the offset along the line between the two inks and scaled
  to their spacing, so any two inks mix (not only lightness) and the
  palette's spacing sets the step.
- "floyd-steinberg" / "atkinson" (error diffusion): pixels are snapped in
  serpentine order (left to right on even rows, right to left on odd ones,
  which avoids the diagonal "worms" of plain order) and each pixel's OKLab
  error is passed on to its unvisited neighbours (Floyd-Steinberg 7/16 ahead,
  3/16, 5/16, 1/16 below; Atkinson 1/8 to six neighbours, 2/8 dropped, which
  keeps highlights and shadows clean). The wanted colour is clamped to the
  palette's OKLab bounding box first, so a tone the inks cannot reach does not
  pile up error; a transparent pixel passes none on. All images of a batch
  are diffused together (numpy over the batch, a Python loop over the
  pixels of one image).

Both are deterministic: no randomness, the same pixels every time. Mixing is
measured in OKLab, like the snapping, not in linear light: a dithered mid-grey
looks lighter from afar than the grey it replaces (docs/rendering.md).

Pure numpy on uint8 arrays: changing the palette never imports TensorFlow.
"""

from __future__ import annotations

import numpy as np

from punkforge.recipe.paper import parse_color
from punkforge.recipe.sections import DITHERS

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


def snap(images: np.ndarray, palette: np.ndarray, dither: str = "none") -> np.ndarray:
    """Each pixel to its nearest palette colour in OKLab; alpha to 0 or 255.

    images: (..., C) uint8 with C 1, 3 or 4; palette: (K, 3) uint8 RGB, K >= 1.
    Returns uint8 with the same leading shape: grey stays one channel when
    every palette colour is grey, otherwise it becomes RGB; RGBA keeps its
    (snapped) alpha. Ties go to the earlier palette colour. dither (one of
    DITHERS) mixes inks into tone; its methods need images of at least
    (H, W, C), each dithered from its own top-left corner.
    """
    images = np.asarray(images)
    palette = np.asarray(palette, np.uint8).reshape(-1, 3)
    if images.dtype != np.uint8:
        raise TypeError(f"images must be uint8, got {images.dtype}")
    if len(palette) == 0:
        raise ValueError("empty palette")
    if dither not in DITHERS:
        raise ValueError(f"unknown dither {dither!r}: expected one of {', '.join(DITHERS)}")
    if dither in _KERNELS:
        index = _diffuse_batch(images, oklab(palette)[None], None, _KERNELS[dither])
        return _paint(images, palette, palette[index])
    rgb = _rgb(images)
    keys = (rgb[..., 0].astype(np.int32) << 16) | (rgb[..., 1].astype(np.int32) << 8) | rgb[..., 2]
    # distinct colours only: a punk set has thousands of pixels but few colours
    used, inverse = np.unique(keys.reshape(-1), return_inverse=True)
    used_rgb = np.stack([used >> 16, (used >> 8) & 255, used & 255], 1).astype(np.uint8)
    lab, pal_lab = oklab(used_rgb), oklab(palette)
    if dither == "none":
        nearest = np.empty(len(used), np.intp)
        for i in range(0, len(used), 4096):  # bounded memory for photo-like inputs
            d = ((lab[i : i + 4096, None, :] - pal_lab[None]) ** 2).sum(-1)
            nearest[i : i + 4096] = d.argmin(1)
        return _paint(images, palette, palette[nearest][inverse].reshape(rgb.shape))
    first, second, t = _ink_pairs(lab, pal_lab)
    # Measure every mix from the darker ink of its pair (the earlier on a tie), as
    # classic ordered dithering does: a lighter tone then lights the same cells
    # plus more, so a gradient has no seam where the nearest ink changes.
    flip = (pal_lab[second, 0] < pal_lab[first, 0]) | (
        (pal_lab[second, 0] == pal_lab[first, 0]) & (second < first)
    )
    base, top = np.where(flip, second, first), np.where(flip, first, second)
    mix = np.where(flip, 1.0 - t, t)
    n = int(dither.removeprefix("bayer"))
    h, w = images.shape[-3:-1]
    threshold = np.tile(bayer_matrix(n), (-(-h // n), -(-w // n)))[:h, :w]
    shape = rgb.shape[:-1]
    pick = np.where(
        mix[inverse].reshape(shape) > threshold,
        top[inverse].reshape(shape),
        base[inverse].reshape(shape),
    )
    return _paint(images, palette, palette[pick])


def _paint(images: np.ndarray, palette: np.ndarray, out_rgb: np.ndarray) -> np.ndarray:
    """The snapped colours (..., 3) in the images' form: grey kept grey, alpha 0 or 255."""
    c = images.shape[-1]
    grey = bool((palette == palette[:, :1]).all())
    if c == 1 and grey:
        return out_rgb[..., :1].copy()
    if c == 4:
        alpha = np.where(images[..., 3:4] >= 128, 255, 0).astype(np.uint8)
        return np.concatenate([out_rgb, alpha], -1)
    return out_rgb


def snap_own(images: np.ndarray, originals: np.ndarray, dither: str = "none") -> np.ndarray:
    """Each image snapped to its own original's colours: (N, H, W, C) uint8 twice.

    With error diffusion the N images are diffused together, each against its
    own inks (palettes padded to the longest, the padding never chosen).
    """
    if len(images) != len(originals):
        raise ValueError(f"{len(images)} images but {len(originals)} originals")
    inks = [image_colors(o) for o in originals]
    if dither not in _KERNELS:
        return np.stack([snap(im, p, dither) for im, p in zip(images, inks, strict=True)])
    k = max((len(p) for p in inks), default=1)
    padded = np.stack([np.concatenate([p, np.repeat(p[:1], k - len(p), 0)]) for p in inks])
    valid = np.arange(k)[None] < np.array([len(p) for p in inks])[:, None]
    index = _diffuse_batch(images, oklab(padded), valid, _KERNELS[dither])
    pairs = enumerate(zip(images, inks, strict=True))
    return np.stack([_paint(im, p, padded[i][index[i]]) for i, (im, p) in pairs])


# ---------------------------------------------------------------- dithering


def bayer_matrix(n: int) -> np.ndarray:
    """The n x n Bayer threshold map (n a power of two): (rank + 0.5) / n**2, in (0, 1).

    bayer_matrix(2) = [[0.5, 2.5], [3.5, 1.5]] / 4: a flat tone t lights the
    cells whose threshold is below t, so t = 0.5 gives a checkerboard.
    """
    rank = np.zeros((1, 1), np.int64)
    while rank.shape[0] < n:
        rank = np.block([[4 * rank, 4 * rank + 2], [4 * rank + 3, 4 * rank + 1]])
    return (rank + 0.5) / (n * n)


# How much a long pair costs against a near miss (0.1: Yliluoma's choice).
MIX_PENALTY = 0.1


def _ink_pairs(lab: np.ndarray, pal: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For colours (M, 3) against inks (K, 3), both OKLab: the two inks to mix and how.

    first is the nearest ink; second the ink whose segment from first passes
    closest to the colour (charged MIX_PENALTY x its squared length x (1 - t));
    t in [0, 0.5] the colour's position along that segment (0 with a single
    ink, when the colour is an ink, or lies beyond every segment).
    """
    m = len(lab)
    first = np.empty(m, np.intp)
    second = np.empty(m, np.intp)
    t = np.zeros(m)
    # Every distance from dot products, (chunk, K) at a time: with 256 inks and a
    # photo's worth of colours, (chunk, K, 3) differences would be several times slower.
    pp = pal @ pal.T
    sq = np.diag(pp)
    for i in range(0, m, 4096):
        x = lab[i : i + 4096]
        rows = np.arange(len(x))
        xp = x @ pal.T
        xx = (x * x).sum(1)
        near = (sq[None] - 2 * xp).argmin(1)
        # (x - c1).(p - c1) and |p - c1|^2 for every ink p, c1 the nearest ink
        dot = xp - xp[rows, near][:, None] - pp[near] + sq[near][:, None]
        length2 = sq[None] - 2 * pp[near] + sq[near][:, None]
        real = length2 > 1e-12  # not the nearest ink itself
        along = np.clip(dot / np.where(real, length2, 1.0), 0.0, 1.0)
        d1 = xx - 2 * xp[rows, near] + sq[near]  # |x - c1|^2
        # Only inks the colour lies towards (along > 0) mix; among them the nearest
        # segment wins, plus a small charge for far-apart pairs (Yliluoma's
        # psychovisual term): adjacent inks mix, not cyan and orange into a grey.
        mixes = real & (along > 0)
        miss = d1[:, None] - 2 * along * dot + along**2 * length2
        cost = np.where(mixes, miss + MIX_PENALTY * (1 - along) * length2, np.inf)
        other = cost.argmin(1)
        ok = mixes[rows, other]  # False when the colour is an ink or beyond the inks
        first[i : i + 4096] = near
        second[i : i + 4096] = np.where(ok, other, near)
        t[i : i + 4096] = np.where(ok, along[rows, other], 0.0)
    return first, second, t


# (dy, dx, weight) for a left-to-right row; right-to-left rows mirror dx.
_KERNELS: dict[str, tuple[tuple[int, int, float], ...]] = {
    "floyd-steinberg": ((0, 1, 7 / 16), (1, -1, 3 / 16), (1, 0, 5 / 16), (1, 1, 1 / 16)),
    "atkinson": ((0, 1, 1 / 8), (0, 2, 1 / 8), (1, -1, 1 / 8), (1, 0, 1 / 8), (1, 1, 1 / 8),
                 (2, 0, 1 / 8)),
}  # fmt: skip


def _diffuse_batch(
    images: np.ndarray,
    pal: np.ndarray,
    valid: np.ndarray | None,
    kernel: tuple[tuple[int, int, float], ...],
) -> np.ndarray:
    """Error diffusion of (..., H, W, C) uint8 images: their ink indices (..., H, W).

    pal: (1, K, 3) OKLab inks shared by every image, or (N, K, 3) one set per
    image (images then (N, H, W, C)) with valid (N, K) marking real inks.
    Serpentine order, each step vectorised over the images; the wanted colour
    is clamped to the image's inks' bounding box before snapping.

    Time grows with images x pixels x inks. Floyd-Steinberg on the default
    1,000 24x24 test punks (blurred like devolved ones): 0.14 s with 4 inks,
    0.52 s with the 219 "source" colours, 0.28 s with "own"; Atkinson about
    the same (`python bench/dither_speed.py`, 2-core machine shared with other
    jobs; docs/rendering.md has the whole table).
    """
    lead, (h, w) = images.shape[:-3], images.shape[-3:-1]
    flat = images.reshape(-1, h, w, images.shape[-1])
    n = len(flat)
    index = np.zeros((n, h, w), np.intp)
    if n == 0:
        return index.reshape(*lead, h, w)
    lab = oklab(_rgb(flat))
    alpha = flat[..., 3] if flat.shape[-1] == 4 else np.full((n, h, w), 255, np.uint8)
    visible = (alpha >= 128).astype(np.float64)  # a transparent pixel passes no error on
    big = np.where(valid[..., None], 0.0, np.inf) if valid is not None else np.zeros((1, 1, 1))
    lo = np.where(np.isfinite(big), pal, np.inf).min(1)  # (N or 1, 3)
    hi = np.where(np.isfinite(big), pal, -np.inf).max(1)
    sq = (pal * pal).sum(-1) + big[..., 0]  # +inf on padding inks: never the nearest
    # room for the kernel's reach: 2 rows below, 2 columns each side
    buf = np.zeros((n, h + 2, w + 4, 3))
    buf[:, :h, 2 : w + 2] = lab
    rows = np.arange(n)
    shared = pal.shape[0] == 1
    ink_t = np.ascontiguousarray(pal[0].T)  # (3, K)
    for y in range(h):
        step = 1 if y % 2 == 0 else -1
        for x in range(w) if step == 1 else range(w - 1, -1, -1):
            want = np.clip(buf[:, y, x + 2], lo, hi)
            # |want - ink|^2 less |want|^2, the same for every ink; einsum, not @:
            # BLAS on an inner dimension of 3 is several times slower here
            dots = (
                np.einsum("nc,ck->nk", want, ink_t)
                if shared
                else np.einsum("nc,nkc->nk", want, pal)
            )
            d = sq - 2 * dots
            k = d.argmin(1)
            index[:, y, x] = k
            got = pal[0, k] if shared else pal[rows, k]
            err = (want - got) * visible[:, y, x, None]
            for dy, dx, weight in kernel:
                buf[:, y + dy, x + 2 + step * dx] += weight * err
    return index.reshape(*lead, h, w)
