"""The latent space, computed: the test set's map and four-punk grids (devolve time).

The bottleneck is the encoder's last layer output; a punk's code is that
(h, w, c) output flattened. Two art pieces come from it, both stored in
art.npz by `punkforge.training.network_art.devolve_art` so that
`punkforge render` draws them without TensorFlow
(`punkforge.rendering.latent_map`):

- map: every test punk's code projected to 2-D (`project`), ``map_xy``
  (N, 2) float32 in test-set order. Rendering snaps the points to the
  poster's grid with an optimal assignment (a change of paper or dpi
  re-snaps them without re-devolving).
- grid: an N x N bilinear mix of four punks' codes (`bilinear_codes`),
  decoded, ``grid`` (N*N, H, W, C) uint8 row-major and ``grid_ids`` (4,).

Why t-SNE is the default projection (bench/latent_map.py, docs/performance.md:
the 1,000 test punks of a trained default network, codes of 2,592 numbers):
it keeps neighbours best. Trustworthiness at k = 10 is 0.988 for t-SNE, 0.981
for UMAP and 0.826 for PCA; after the snap to the grid 0.922, 0.902 and 0.815;
10-NN overlap after the snap 0.45, 0.42 and 0.19. It takes about 3 s (on 50
principal components, one thread); UMAP (1.7 s) would add umap-learn, numba
and LLVM to the install for less. PCA stays as the linear, instant choice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits  # comes with scikit-learn

from punkforge.data.punks import Punks, to_uint8
from punkforge.recipe.art_section import map_options
from punkforge.recipe.sections import Recipe

PERPLEXITY = 30.0  # t-SNE's usual neighbourhood size; lowered for tiny test sets
TSNE_DIMS = 50  # t-SNE runs on the codes' first 50 principal components (scikit-learn's advice)


def flat_codes(z: np.ndarray) -> np.ndarray:
    """Bottleneck outputs (N, h, w, c) -> codes (N, h*w*c) float64, one row per punk."""
    return np.asarray(z, np.float64).reshape(len(z), -1)


def project(codes: np.ndarray, method: str, seed: int) -> np.ndarray:
    """Codes (N, D) -> (N, 2) float32 points: "tsne" or "pca", deterministic for a seed.

    t-SNE starts from random points drawn with `seed`, so each seed gives its
    own arrangement; PCA is the same for every seed.

    Fewer than three punks (or codes that do not vary) cannot be projected
    meaningfully; they come back on a line, in order.
    """
    n = len(codes)
    if n < 3 or not np.ptp(codes, axis=0).any():
        return np.stack([np.arange(n), np.zeros(n)], axis=1).astype(np.float32)
    # one BLAS/OpenMP thread: the same sums in the same order on any number of cores
    # (t-SNE's gradient is summed in parallel otherwise), and about 3 s for 1,000
    # punks either way; idle BLAS threads that spin would cost more on a busy machine
    with threadpool_limits(1):
        return _project(codes, method, seed)


def _project(codes: np.ndarray, method: str, seed: int) -> np.ndarray:
    # scikit-learn is heavy to import (about a second) and only devolving a map needs it;
    # randomized SVD (seeded, so deterministic) is ~10x faster than a full one here
    n = len(codes)
    if method == "pca":
        from sklearn.decomposition import PCA

        xy = PCA(2, svd_solver="randomized", random_state=seed).fit_transform(codes)
    elif method == "tsne":
        from sklearn.decomposition import PCA
        from sklearn.manifold import TSNE

        if min(codes.shape) > TSNE_DIMS:  # faster, and the same neighbours (bench/latent_map.py)
            pca = PCA(TSNE_DIMS, svd_solver="randomized", random_state=seed)
            codes = pca.fit_transform(codes)
        perplexity = min(PERPLEXITY, (n - 1) / 3)
        # a random start, seeded: another seed, another arrangement (a PCA start would
        # ignore the seed), and as many neighbours kept (bench/latent_map.py)
        tsne = TSNE(2, perplexity=perplexity, init="random", random_state=seed, n_jobs=1)
        xy = tsne.fit_transform(codes)
    else:
        raise ValueError(f"unknown projection {method!r}")
    return np.asarray(xy, np.float32)


def bilinear_codes(corners: np.ndarray, n: int) -> np.ndarray:
    """Four codes a, b, c, d (4, ...) -> (n*n, ...) float32, row-major from the top left.

    Cell (row i, column j) is (1-u)(1-v) a + u(1-v) b + (1-u)v c + uv d with
    u = j / (n-1) and v = i / (n-1): a top-left, b top-right, c bottom-left,
    d bottom-right, and the four corner cells are the four codes exactly
    (the other weights are exactly 0).
    """
    a, b, c, d = np.asarray(corners, np.float32)
    t = np.linspace(0.0, 1.0, n, dtype=np.float32)
    v, u = (x.reshape(n * n, *([1] * a.ndim)) for x in np.meshgrid(t, t, indexing="ij"))
    return (1 - u) * (1 - v) * a + u * (1 - v) * b + (1 - u) * v * c + u * v * d


def latent_arrays(
    r: Recipe,
    encode: Callable[[np.ndarray], np.ndarray],
    decode: Callable[[np.ndarray], np.ndarray],
    punks: Punks,
) -> dict[str, np.ndarray]:
    """art.npz's map and grid arrays (empty when the recipe asks for neither)."""
    h, w, c = punks.test.shape[1:]
    xy = np.zeros((0, 2), np.float32)
    opts = map_options(r.art)
    if opts is not None:
        seed = r.seed if opts.seed is None else opts.seed
        xy = project(flat_codes(encode(punks.test)), opts.projection, seed)
    grid = np.zeros((0, h, w, c), np.uint8)
    if r.art.grid:
        picks = [punks.position(x, "art.grid", r.data.test_limit) for x in r.art.grid]
        z = bilinear_codes(encode(punks.test[picks]), r.art.grid_size)
        grid = to_uint8(decode(z))
    return {"map_xy": xy, "grid": grid, "grid_ids": _ids(r.art.grid)}


def _ids(ids: Sequence[Any]) -> np.ndarray:
    return np.array([str(x) for x in ids], dtype=str).reshape(-1)
