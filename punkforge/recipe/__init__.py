"""Stage 1, the recipe: typed recipe data, TOML loading, shapes, schema and paper sizes.

`types` (and `art`) hold the typed recipe as pydantic models (every key's type,
default, limit and help, once); `fields` the kinds of value a key can take;
`plain` the recipe as plain dicts and training keys; `checks`
what spans several tables; `load` turns TOML text, variants, sweeps and
`--set` into validated `Variant`s, with `explain` putting pydantic's errors
into a recipe's words; `text` reads files and knows where keys are written;
`shapes` computes layer shapes and "auto" output_padding without TensorFlow;
`schema` writes the JSON Schema; `paper` knows paper sizes, lengths and
colours; `starter` writes new recipes. Nothing here imports TensorFlow. The
recipe types are re-exported here.
"""

from punkforge.recipe.art import BEND_OPS, ArtConfig, Bend
from punkforge.recipe.plain import layer_to_dict, leaf_keys, predict_dict, to_dict, training_dict
from punkforge.recipe.types import (
    COLORS,
    CPUNKS,
    FITS,
    GIF_FORMATS,
    NAME_HELP,
    NAME_RE,
    PALETTES,
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
)

__all__ = [
    "BEND_OPS",
    "COLORS",
    "CPUNKS",
    "FITS",
    "GIF_FORMATS",
    "NAME_HELP",
    "NAME_RE",
    "PALETTES",
    "ArtConfig",
    "Bend",
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
    "leaf_keys",
    "predict_dict",
    "to_dict",
    "training_dict",
]
