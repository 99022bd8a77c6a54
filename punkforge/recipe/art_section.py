"""[art] as typed, frozen models: pictures made from the trained network when devolving.

`ArtConfig` is the table; `Bend` one network-bending operation on a layer's
output. Which layers exist and which test ids are valid depend on the rest of
the recipe, so those are checked with it (`checks.check_art`).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    WithJsonSchema,
    model_validator,
)

from punkforge.recipe.error_messages import translate
from punkforge.recipe.value_types import (
    Bool,
    Int,
    Morph,
    MorphId,
    Number,
    Table,
    describe_value,
    named,
    problem,
)

BEND_OPS = ("scale", "ablate", "noise", "invert", "rotate")

BEND_PARAM = {
    "scale": "value",
    "ablate": "channels",
    "noise": "std",
    "invert": "",
    "rotate": "value",
}
BEND_EXAMPLE = {"value": "value = 1.5", "channels": "channels = [0, 3]", "std": "std = 0.1"}
ROTATIONS = (90, 180, 270)


class Bend(Table):
    """One network-bending operation on a layer's output, at devolve time."""

    TABLE: ClassVar[str] = 'a bend table like { layer = "decoder.1", op = "scale", value = 1.5 }'

    layer: named(r"^(encoder|decoder)\.\d+$", '"encoder.<i>" or "decoder.<i>" (0-based)') = Field(
        description="'encoder.<i>' or 'decoder.<i>' (0-based)", examples=["decoder.1"]
    )
    op: Literal[BEND_OPS] = Field(  # type: ignore[valid-type]
        description="scale (value), ablate (channels), noise (std), invert, rotate (value)",
        examples=["scale"],
    )
    value: Number | None = Field(None, description="scale: the factor; rotate: 90, 180 or 270")
    channels: tuple[Annotated[int, Strict(), Field(ge=0)], ...] = Field(
        (), description="ablate: the channels set to zero"
    )
    std: Number | None = Field(None, ge=0.0, description="noise: the standard deviation")

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {
                    "if": {"properties": {"op": {"const": op}}},
                    "then": {"required": [param]} if param else {},
                }
                for op, param in BEND_PARAM.items()
            ]
        }
    )

    @property
    def params(self) -> dict[str, Any]:
        """The op's parameter as written in TOML: {} or {"value": 1.5} etc."""
        key = BEND_PARAM[self.op]
        return (
            {key: list(self.channels) if key == "channels" else getattr(self, key)} if key else {}
        )

    @model_validator(mode="after")
    def _params(self) -> Bend:
        need = BEND_PARAM[self.op]
        for key in ("value", "channels", "std"):
            if key in self.model_fields_set and key != need:
                takes = f"only {need}" if need else "no parameters"
                raise problem(f'op "{self.op}" takes {takes}; remove {key}.', key)
        if need and (need not in self.model_fields_set or getattr(self, need) in (None, ())):
            raise problem(
                f'op "{self.op}" needs {need}, e.g. {{ layer = "{self.layer}", '
                f'op = "{self.op}", {BEND_EXAMPLE[need]} }}.',
                need,
            )
        if self.op == "rotate" and self.value not in ROTATIONS:
            raise problem(
                f'expected 90, 180 or 270 for op "rotate", found {describe_value(self.value)}.',
                "value",
            )
        return self


# ---------------------------------------------------------------- the latent space

PROJECTIONS = ("tsne", "pca")
MAP_TILES = ("devolved", "original")


class MapOptions(Table):
    """[art] map as a table: how the latent map is laid out and drawn."""

    TABLE: ClassVar[str] = 'true, or a table like { tiles = "devolved", projection = "tsne" }'

    tiles: Literal[MAP_TILES] = Field(  # type: ignore[valid-type]
        "devolved", description="the punks on the map: devolved or original"
    )
    projection: Literal[PROJECTIONS] = Field(  # type: ignore[valid-type]
        "tsne", description="codes to 2-D: tsne (neighbours kept) or pca (linear, fast)"
    )
    seed: Int | None = Field(
        None,
        ge=0,
        description="t-SNE's seed (another seed, another arrangement); default the recipe's",
    )


def _read_map(v: Any) -> Any:
    """false, true or a MapOptions table, with one readable error for anything else."""
    if isinstance(v, (bool, MapOptions)):
        return v
    if isinstance(v, dict):
        try:
            return MapOptions.model_validate(v)
        except ValidationError as err:
            # the table's own first problem, worded like every other recipe error
            found = translate(err.errors()[0], MapOptions)
            raise problem(found.problem, ".".join(str(p) for p in found.path)) from None
    table = MapOptions.TABLE.removeprefix("true, or ")
    raise problem(f"expected true, false or {table}, found {describe_value(v)}.")


MapSetting = Annotated[Bool | MapOptions, BeforeValidator(_read_map)]


def _read_grid(v: Any) -> tuple[MorphId, ...]:
    if not isinstance(v, (list, tuple)) or len(v) not in (0, 4):
        raise problem(
            "expected four test ids [a, b, c, d] like [9000, 9001, 9002, 9003] (file stems "
            f'like ["a", "b", "c", "d"] for a folder), or [] for none; found {describe_value(v)}.'
        )
    for i, x in enumerate(v):
        if isinstance(x, bool) or not isinstance(x, (int, str)):
            found = describe_value(x)
            raise problem(f"expected a test id or a file stem, found {found}.", f"[{i}]")
    return tuple(v)


GridIds = Annotated[
    tuple[MorphId, ...],
    BeforeValidator(_read_grid),
    WithJsonSchema(
        {
            "type": "array",
            "items": {"type": ["integer", "string"]},
            "anyOf": [{"maxItems": 0}, {"minItems": 4, "maxItems": 4}],
        }
    ),
]


def map_options(art: ArtConfig) -> MapOptions | None:
    """The map's options: None for map = false, the defaults for map = true."""
    if art.map is False:
        return None
    return MapOptions() if art.map is True else art.map


# ---------------------------------------------------------------- the table


class ArtConfig(Table):
    """[art]: more pictures from the trained network, made when devolving."""

    morph: Morph = Field(
        (),
        description="pairs [a, b] of test ids (file stems for folders); default none",
    )
    morph_steps: Int = Field(24, ge=2, le=240, description="frames of each morph")
    feedback: Int = Field(
        0, ge=0, le=64, description="N > 0: devolve the devolved images again, N generations"
    )
    bend: tuple[Bend, ...] = Field((), max_length=64, description="network bending at devolve time")
    # the latent space (punkforge.training.latent, punkforge.rendering.latent_map)
    map: MapSetting = Field(
        False,
        description="true (or a table of options): the test set laid out by its latent codes "
        "on a full grid, as a print-ready map poster (map.png)",
    )
    grid: GridIds = Field(
        (),
        description="four test ids [a, b, c, d] (file stems for folders): an N x N mix of "
        "their encodings, decoded (grid-a-b-c-d.png); default none",
    )
    grid_size: Int = Field(8, ge=2, le=32, description="N: the grid's rows and columns")
