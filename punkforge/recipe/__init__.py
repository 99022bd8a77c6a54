"""Stage 1, the recipe: typed recipe data, TOML loading, shapes, schema and paper sizes.

`types` holds the typed recipe (every default and limit, once); `load` turns
TOML text, variants, sweeps and `--set` into validated `Variant`s; `text`
reads files and finds lines for error messages; `shapes` computes layer
shapes without TensorFlow; `schema` writes the JSON Schema; `paper` knows
paper sizes, lengths and colours; `starter` writes new recipes. Nothing here
imports TensorFlow. The recipe types are re-exported here.
"""

from punkforge.recipe.types import (
    COLORS,
    GIF_FORMATS,
    NAME_HELP,
    NAME_RE,
    DataConfig,
    GifConfig,
    Layer,
    ModelConfig,
    OutputLayer,
    Pair,
    PosterConfig,
    Recipe,
    RenderConfig,
    SeriesConfig,
    TrainConfig,
    Variant,
    layer_to_dict,
    to_dict,
    training_dict,
)

__all__ = [
    "COLORS",
    "GIF_FORMATS",
    "NAME_HELP",
    "NAME_RE",
    "DataConfig",
    "GifConfig",
    "Layer",
    "ModelConfig",
    "OutputLayer",
    "Pair",
    "PosterConfig",
    "Recipe",
    "RenderConfig",
    "SeriesConfig",
    "TrainConfig",
    "Variant",
    "layer_to_dict",
    "to_dict",
    "training_dict",
]
