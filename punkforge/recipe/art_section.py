"""[art] as typed, frozen models: pictures made from the trained network when devolving.

`ArtConfig` is the table; `Bend` one network-bending operation on a layer's
output, with a fixed value or a keyframe range (`from`, `to`, `frames`: the
value moves, and bend-<k>.gif shows the sample as it does). Which layers
exist and which test ids are valid depend on the rest of the recipe, so those
are checked with it (`checks.check_art`).
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
from punkforge.recipe.limits import MAX_BEND_FRAMES
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
# The ops whose parameter may be a keyframe range, and that parameter. rotate
# (quarter turns only), ablate (a set of channels) and invert have nothing to
# move smoothly between.
KEYFRAMED = {"scale": "value", "noise": "std"}
RANGE_KEYS = ("from_", "to", "frames")  # field names; TOML writes `from`


def _required(op: str, param: str) -> dict[str, Any]:
    """The JSON Schema of what op needs: its parameter, or a whole keyframe range."""
    if not param:
        return {}
    if op in KEYFRAMED:
        return {"anyOf": [{"required": [param]}, {"required": ["from", "to", "frames"]}]}
    return {"required": [param]}


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
    from_: Number | None = Field(
        None,
        alias="from",
        description="a keyframe range (scale, noise): the value of bend-<k>.gif's first frame",
    )
    to: Number | None = Field(None, description="a keyframe range: the value of its last frame")
    frames: Int | None = Field(
        None, ge=2, le=MAX_BEND_FRAMES, description="a keyframe range: frames of bend-<k>.gif"
    )

    model_config = ConfigDict(
        json_schema_extra={
            "allOf": [
                {"if": {"properties": {"op": {"const": op}}}, "then": _required(op, param)}
                for op, param in BEND_PARAM.items()
            ]
        },
    )

    @property
    def params(self) -> dict[str, Any]:
        """The op's parameter as written in TOML: {} or {"value": 1.5} etc."""
        if self.keyframed:
            return {"from": self.from_, "to": self.to, "frames": self.frames}
        key = BEND_PARAM[self.op]
        return (
            {key: list(self.channels) if key == "channels" else getattr(self, key)} if key else {}
        )

    @property
    def keyframed(self) -> bool:
        """True when the value moves (from, to, frames) and the bend has an animation."""
        return self.frames is not None

    def values(self) -> list[float]:
        """A keyframe range's value at each frame i: from + (to - from) * i / (frames - 1)."""
        if self.frames is None or self.from_ is None or self.to is None:
            return []
        n = self.frames
        return [self.from_ + (self.to - self.from_) * i / (n - 1) for i in range(n)]

    def at(self, value: float) -> Bend:
        """This bend with its parameter fixed at `value` (one frame of a keyframe range)."""
        return Bend(layer=self.layer, op=self.op, **{KEYFRAMED[self.op]: value})

    @property
    def still(self) -> Bend:
        """The bend as the devolved images, morphs and feedback see it: a range at `from`."""
        return self.at(self.from_) if self.keyframed and self.from_ is not None else self

    @model_validator(mode="after")
    def _params(self) -> Bend:
        if set(RANGE_KEYS) & self.model_fields_set:
            return self._keyframes()
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

    def _keyframes(self) -> Bend:
        """A keyframe range: an op that can move, all of from, to and frames, no fixed value."""
        need = KEYFRAMED.get(self.op)
        example = f'{{ layer = "{self.layer}", op = "scale", from = 0.5, to = 3.0, frames = 48 }}'
        if need is None:
            raise problem(
                f'op "{self.op}" takes no keyframe range: only scale (value) and noise (std) '
                f"move. Remove from, to and frames, e.g. {example}.",
                next(k for k in ("from", "to", "frames") if self._has(k)),
            )
        for key in ("from", "to", "frames"):
            if not self._has(key) or self._range_value(key) is None:
                raise problem(
                    f"a keyframe range needs from, to and frames, e.g. {example}; add {key}.",
                    key,
                )
        for key in ("value", "channels", "std"):
            if key in self.model_fields_set:
                raise problem(
                    f'a keyframe range replaces {need}: op "{self.op}" with from, to and '
                    f"frames takes no {key}; remove {key}.",
                    key,
                )
        if self.op == "noise" and min(self.from_ or 0.0, self.to or 0.0) < 0:
            raise problem(
                "expected a standard deviation of 0 or more for from and to, found "
                f"from = {self.from_:g}, to = {self.to:g}.",
                "from" if (self.from_ or 0.0) < 0 else "to",
            )
        return self

    def _has(self, key: str) -> bool:
        return ("from_" if key == "from" else key) in self.model_fields_set

    def _range_value(self, key: str) -> Any:
        return getattr(self, "from_" if key == "from" else key)


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
        description="pairs [a, b] of test ids (file stems for folders), or paths "
        "[a, b, c, ...] through up to 16; default none",
    )
    morph_closed: Bool = Field(
        False, description="every morph path returns to its first image: a seamless loop"
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
