"""Which projection lays out the latent map: time and neighbours kept.

    python bench/latent_map.py outputs/<recipe>/<variant> [--k 10]

Reads a finished variant folder (model.keras and devolved.npz: run the
default recipe, recipes/devolved-punks.toml, for the figures in
docs/performance.md), encodes its test punks at the bottleneck (the
encoder's last layer, flattened) and projects the codes to 2-D with PCA,
t-SNE (scikit-learn; "tsne" as punkforge runs it, on the codes' first 50
principal components, and "tsne-raw" on the full codes) and UMAP
(umap-learn, when installed: it is not a punkforge dependency). For each it
prints the seconds taken (wall and CPU), scikit-learn's trustworthiness at
k (1.0: every 2-D neighbour is a neighbour in the code space) and the k-NN
overlap (the share of each punk's k nearest codes that are also among its k
nearest 2-D points), for the free points and again after snapping them to
the map poster's full grid (the optimal assignment
`punkforge.rendering.latent_map.assign_cells`, on a near-square grid).
Each method runs once on 200 random codes first, so imports and UMAP's
just-in-time compilation are not timed; then --repeat times (the median is
shown), on --threads BLAS/OpenMP threads (1 by default: on a shared machine
idle BLAS threads spin and distort both wall and CPU time). Needs TensorFlow (to encode) and
scikit-learn.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np


def encode(folder: Path) -> np.ndarray:
    """The test punks' bottleneck codes (N, D) from the folder's model.keras."""
    from punkforge.training.autoencoder import keras_module

    keras = keras_module()
    model = keras.models.load_model(folder / "model.keras", compile=False)
    x = np.load(folder / "devolved.npz")["originals"].astype(np.float32) / 255.0
    y = x
    for layer in model.layers:
        if not layer.name.startswith("encoder_"):
            continue
        y = np.asarray(layer(y, training=False))
    return y.reshape(len(y), -1).astype(np.float64)


def knn_overlap(high: np.ndarray, low: np.ndarray, k: int) -> float:
    """Mean share of each point's k nearest neighbours that both spaces agree on."""
    from sklearn.neighbors import NearestNeighbors

    a = NearestNeighbors(n_neighbors=k + 1).fit(high).kneighbors(high, return_distance=False)
    b = NearestNeighbors(n_neighbors=k + 1).fit(low).kneighbors(low, return_distance=False)
    return float(np.mean([len(set(p[1:]) & set(q[1:])) / k for p, q in zip(a, b, strict=True)]))


def projections(seed: int) -> dict[str, object]:
    from punkforge.training.latent import project

    def raw_tsne(c: np.ndarray) -> np.ndarray:
        from sklearn.manifold import TSNE

        return TSNE(2, init="random", random_state=seed, n_jobs=1).fit_transform(c)

    out: dict[str, object] = {
        "pca": lambda c: project(c, "pca", seed),
        "tsne": lambda c: project(c, "tsne", seed),  # on the first 50 principal components
        "tsne-raw": raw_tsne,  # on the full codes
    }
    try:
        import umap  # noqa: F401
    except ImportError:
        print("(umap-learn not installed: UMAP skipped)")
        return out

    def run_umap(c: np.ndarray) -> np.ndarray:
        import umap

        return umap.UMAP(n_components=2, random_state=seed).fit_transform(c)

    out["umap"] = run_umap
    return out


def main(argv: list[str] | None = None) -> int:
    from sklearn.manifold import trustworthiness

    from punkforge.recipe.limits import grid_shape
    from punkforge.rendering.latent_map import assign_cells, cell_centres

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("folder", type=Path, help="a variant folder with model.keras")
    ap.add_argument("--k", type=int, default=10, help="neighbours compared (default 10)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3, help="timed runs; the median is shown")
    ap.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads (default 1)")
    args = ap.parse_args(argv)
    from threadpoolctl import threadpool_limits

    # one thread: on a shared machine, busy-waiting BLAS threads make times meaningless
    threadpool_limits(args.threads)
    codes = encode(args.folder)
    n, k = len(codes), args.k
    cols, rows = grid_shape(n)
    print(f"{n} codes of {codes.shape[1]} numbers; k = {k}; grid {cols} x {rows}")
    print(f"{'projection':<10} {'seconds':>8} {'cpu s':>7} {'trust':>7} {'k-NN':>6} "
          f"{'grid trust':>11} {'grid k-NN':>10} {'snap s':>7}")  # fmt: skip
    warm = np.random.default_rng(0).normal(size=(200, codes.shape[1]))
    for name, fn in projections(args.seed).items():
        fn(warm)  # type: ignore[operator]  # imports and JIT compiles (UMAP: numba) not timed
        times = []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            xy = np.asarray(fn(codes), np.float64)  # type: ignore[operator]
            times.append((time.perf_counter() - t0, time.process_time() - c0))
        dt, cpu = sorted(times)[len(times) // 2]  # the median run
        t1 = time.perf_counter()
        cells = assign_cells(xy, cols, rows)
        snap = time.perf_counter() - t1
        on_grid = cell_centres(cols, rows)[cells] * [cols, rows]
        print(
            f"{name:<10} {dt:8.2f} {cpu:7.2f} {trustworthiness(codes, xy, n_neighbors=k):7.3f} "
            f"{knn_overlap(codes, xy, k):6.3f} "
            f"{trustworthiness(codes, on_grid, n_neighbors=k):11.3f} "
            f"{knn_overlap(codes, on_grid, k):10.3f} {snap:7.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
