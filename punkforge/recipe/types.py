"""The recipe as typed, frozen data: one dataclass per TOML table.

Every default lives here, once, as the field's default; a field's metadata
holds its help text and the limits the loader checks (`recipe_load`) and the
JSON Schema states (`schema`). A TOML key, its field and the parameter that
receives it share one name. This module imports nothing heavy.
"""

# ruff: noqa: RUF009 - `opt` returns a dataclasses.field; the defaults it holds are immutable

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

NAME_RE = re.compile(r"^[a-z0-9_-]{1,64}$")
NAME_HELP = "1-64 characters of a-z 0-9 - _"

ACTIVATIONS = (
    "relu",
    "elu",
    "selu",
    "gelu",
    "leaky_relu",
    "relu6",
    "silu",
    "swish",
    "mish",
    "tanh",
    "sigmoid",
    "hard_sigmoid",
    "softplus",
    "softsign",
    "exponential",
    "linear",
)
INITIALIZERS = (
    "he_normal",
    "he_uniform",
    "glorot_normal",
    "glorot_uniform",
    "lecun_normal",
    "lecun_uniform",
    "random_normal",
    "random_uniform",
    "truncated_normal",
    "orthogonal",
)
COLORS = ("grey", "rgb", "rgba")
OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
LOSSES = ("binary_crossentropy", "mse", "mae")
LAYOUTS_POSTER = ("devolved", "pairs", "original")
LAYOUTS_SERIES = ("devolved", "pairs")
POSTER_FORMATS = ("png", "tiff", "pdf")
GIF_FORMATS = ("gif", "webp", "mp4")

# Limits that keep a hand-written recipe from exhausting memory or disk.
MAX_EPOCHS = 10_000
MAX_FILTERS = 1024
MAX_KERNEL = 24
MAX_LAYERS = 16
MAX_DPI = 1200
MAX_SERIES_SCALE = 100
MAX_GIF_SCALE = 32


def opt(default: Any, help: str, **limits: Any) -> Any:
    """A dataclass field carrying its default, help text and limits."""
    meta = {"help": help, **limits}
    if isinstance(default, (list, tuple, dict)):
        return field(default_factory=lambda: default, metadata=meta)
    return field(default=default, metadata=meta)


Pair = tuple[int, int]


@dataclass(frozen=True)
class Layer:
    """One Conv2D (encoder) or Conv2DTranspose (decoder) layer."""

    filters: int = opt(None, "number of filters", min=1, max=MAX_FILTERS, required=True)
    kernel: Pair = opt((3, 3), "kernel size: an int or [h, w]", min=1, max=MAX_KERNEL)
    strides: Pair = opt((1, 1), "strides: an int or [h, w]", min=1, max=MAX_KERNEL)
    padding: str = opt("valid", "'valid' or 'same'", choices=("valid", "same"))
    activation: str = opt("", "activation (default: model.activation)", choices=ACTIVATIONS)
    initializer: str = opt(
        "", "kernel initializer (default: model.initializer)", choices=INITIALIZERS
    )
    output_padding: Pair | None = opt(
        None, "decoder only: extra rows/cols on the output, each < strides", min=0, max=MAX_KERNEL
    )


@dataclass(frozen=True)
class OutputLayer:
    """The final Conv2D (padding 'same') back to the image's channels."""

    kernel: Pair = opt((3, 3), "kernel size: an int or [h, w]", min=1, max=MAX_KERNEL)
    activation: str = opt("sigmoid", "activation of the output layer", choices=ACTIVATIONS)


SEED_ENCODER = (Layer(32), Layer(16), Layer(8))
SEED_DECODER = (Layer(8), Layer(16), Layer(32))


@dataclass(frozen=True)
class DataConfig:
    """[data]: which punks, in which colour mode."""

    color: str = opt("grey", "colour mode", choices=COLORS)
    train_limit: int = opt(9000, "first N training punks", min=1, max=9000)
    test_limit: int = opt(1000, "first N test punks devolved and rendered", min=1, max=1000)


@dataclass(frozen=True)
class ModelConfig:
    """[model]: the autoencoder's layers."""

    activation: str = opt("relu", "default activation of hidden layers", choices=ACTIVATIONS)
    initializer: str = opt("he_normal", "default kernel initializer", choices=INITIALIZERS)
    encoder: tuple[Layer, ...] = opt(SEED_ENCODER, "Conv2D layers, in order", max=MAX_LAYERS)
    decoder: tuple[Layer, ...] = opt(
        SEED_DECODER, "Conv2DTranspose layers, in order", max=MAX_LAYERS
    )
    output: OutputLayer = opt(OutputLayer(), "the final Conv2D to the image's channels")


@dataclass(frozen=True)
class TrainConfig:
    """[train]: the optimisation."""

    epochs: int = opt(10, "training epochs", min=1, max=MAX_EPOCHS)
    batch_size: int = opt(32, "punks per batch", min=1, max=9000)
    validation_split: float = opt(
        0.1, "fraction of the training punks held out (the last ones)", min=0.0, max=0.9
    )
    optimizer: str = opt("adam", "optimiser", choices=OPTIMIZERS)
    learning_rate: float = opt(0.001, "learning rate", min=1e-7, max=10.0)
    loss: str = opt("binary_crossentropy", "loss function", choices=LOSSES)


@dataclass(frozen=True)
class PosterConfig:
    """[render.poster]: the print-ready tiled poster."""

    paper: str = opt("18x24in", "'A0'..'A5', '<W>x<H>in' or '<W>x<H>mm'", kind="paper")
    orientation: str = opt("portrait", "page orientation", choices=("portrait", "landscape"))
    dpi: int = opt(300, "dots per inch", min=36, max=MAX_DPI)
    bleed: str = opt("0in", "added on every side, e.g. '0.125in' or '3mm'", kind="length")
    margin: str = opt("0.5in", "inside the trim, kept free of tiles", kind="length")
    layout: str = opt("devolved", "what each tile shows", choices=LAYOUTS_POSTER)
    background: str = opt("#ffffff", "background colour '#rrggbb'", kind="color")
    caption: bool = opt(True, "title, variant and epochs in the bottom margin")
    crop_marks: bool = opt(False, "crop marks in the bleed (needs bleed > 0)")
    formats: tuple[str, ...] = opt(("png",), "any of png, tiff, pdf", choices=POSTER_FORMATS)


@dataclass(frozen=True)
class SeriesConfig:
    """[render.series]: one upscaled PNG per test punk."""

    scale: int = opt(
        20, "nearest-neighbour factor (24 px -> 24*scale)", min=1, max=MAX_SERIES_SCALE
    )
    layout: str = opt("devolved", "devolved alone, or original beside it", choices=LAYOUTS_SERIES)


@dataclass(frozen=True)
class GifConfig:
    """[render.gif]: the sample grid across epochs."""

    every: int = opt(
        1, "a frame every N epochs (the last epoch always has one)", min=1, max=MAX_EPOCHS
    )
    scale: int = opt(4, "nearest-neighbour factor of the sample grid", min=1, max=MAX_GIF_SCALE)
    frame_ms: int = opt(200, "milliseconds per frame", min=20, max=60_000)
    hold_ms: int = opt(1500, "milliseconds the last frame stays", min=20, max=600_000)
    label: bool = opt(True, "'epoch k/N' on every frame")
    formats: tuple[str, ...] = opt(("gif",), "any of gif, webp, mp4", choices=GIF_FORMATS)


@dataclass(frozen=True)
class RenderConfig:
    """[render]: what is drawn from the devolved punks."""

    sample: int = opt(
        64, "first N test punks in progress frames and comparison sheets", min=1, max=1000
    )
    poster: PosterConfig = opt(PosterConfig(), "the poster")
    series: SeriesConfig = opt(SeriesConfig(), "the PNG series")
    gif: GifConfig = opt(GifConfig(), "the progress animation")


@dataclass(frozen=True)
class Recipe:
    """One fully resolved network variant and how to render it."""

    name: str = opt(None, f"the output folder's name: {NAME_HELP}", kind="name", required=True)
    title: str = opt("", "printed on posters and the gallery (default: name)", max=200)
    seed: int = opt(
        0, "same recipe + same seed + same machine => same pixels", min=0, max=2**31 - 1
    )
    data: DataConfig = opt(DataConfig(), "[data]")
    model: ModelConfig = opt(ModelConfig(), "[model]")
    train: TrainConfig = opt(TrainConfig(), "[train]")
    render: RenderConfig = opt(RenderConfig(), "[render]")

    @property
    def display_title(self) -> str:
        return self.title or self.name

    @property
    def channels(self) -> int:
        return {"grey": 1, "rgb": 3, "rgba": 4}[self.data.color]


@dataclass(frozen=True)
class Variant:
    """A named variant of a recipe file: what `run` trains and renders."""

    name: str
    recipe: Recipe
    source: str  # the recipe file it came from


def _pair_out(p: Pair) -> int | list[int]:
    return p[0] if p[0] == p[1] else [p[0], p[1]]


def layer_to_dict(layer: Layer, decoder: bool) -> dict[str, Any]:
    d: dict[str, Any] = {
        "filters": layer.filters,
        "kernel": _pair_out(layer.kernel),
        "strides": _pair_out(layer.strides),
        "padding": layer.padding,
        "activation": layer.activation,
        "initializer": layer.initializer,
    }
    if decoder and layer.output_padding is not None:
        d["output_padding"] = _pair_out(layer.output_padding)
    return d


def to_dict(obj: Any) -> dict[str, Any]:
    """A recipe (or section) as plain TOML-ready data, every default written out."""
    if isinstance(obj, ModelConfig):
        return {
            "activation": obj.activation,
            "initializer": obj.initializer,
            "encoder": [layer_to_dict(x, False) for x in obj.encoder],
            "decoder": [layer_to_dict(x, True) for x in obj.decoder],
            "output": {"kernel": _pair_out(obj.output.kernel), "activation": obj.output.activation},
        }
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if dataclasses.is_dataclass(v):
            out[f.name] = to_dict(v)
        elif isinstance(v, tuple):
            out[f.name] = list(v)
        else:
            out[f.name] = v
    return out


def training_dict(recipe: Recipe) -> dict[str, Any]:
    """The part of a recipe that decides the trained weights (epochs aside)."""
    d = to_dict(recipe)
    train = dict(d["train"])
    train.pop("epochs")
    return {
        "seed": d["seed"],
        "data": {"color": d["data"]["color"], "train_limit": d["data"]["train_limit"]},
        "model": d["model"],
        "train": train,
    }
