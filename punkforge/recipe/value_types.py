"""The value kinds a recipe key can take, as pydantic field types, each with its JSON Schema.

A recipe model declares a key once, e.g. `epochs: Int = Field(10, ge=1, le=MAX_EPOCHS,
description=...)`: the type says how the value is read, `Field` holds the default,
the limits and the help text, and validation, the JSON Schema and the error
messages (`error_messages`) all read them from there.

Scalars are strict (TOML `true` is not 1, `"3"` is not 3, `32.0` is not 32) and
numbers must be finite. Values that TOML writes in more than one way (`kernel = 3`
or `[3, 3]`, `output_padding = "auto"`, a palette name or a list of colours) are
read by a `BeforeValidator` that returns one normal form, so a mistake gives one
error rather than one per alternative. Every problem those readers find is a
`problem(...)` error whose text is the finished sentence the user reads.
"""

from __future__ import annotations

import difflib
import json
import math
from typing import Annotated, Any, ClassVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from punkforge.recipe import paper

Pair = tuple[int, int]

PROBLEM = "recipe"  # the error type of every problem found by punkforge's own readers


def problem(text: str, at: str = "") -> PydanticCustomError:
    """A validation error whose message is `text`; `at` is a dotted sub-key below the model."""
    return PydanticCustomError(PROBLEM, "{problem}", {"problem": text, "at": at})


def describe_value(v: Any) -> str:
    """A value as the user wrote it, with its TOML kind: '"rgb" (a string)', '[3] (a list)'."""
    kind = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        tuple: "a list",
        dict: "a table",
    }.get(type(v), type(v).__name__)
    if isinstance(v, bool):
        text = "true" if v else "false"
    elif isinstance(v, float) and not math.isfinite(v):
        text = "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    elif isinstance(v, (dict, list, tuple)):
        text = json.dumps(v, default=str)
        text = text if len(text) < 60 else text[:57] + "..."
    elif isinstance(v, str):
        text = json.dumps(v)
    else:
        text = repr(v)
    return f"{text} ({kind})"


def quoted(choices: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f'"{c}"' for c in choices)


def did_you_mean(v: Any, choices: tuple[str, ...] | list[str]) -> str:
    if not isinstance(v, str):
        return ""
    close = difflib.get_close_matches(v, list(choices), n=1, cutoff=0.5)
    return f' Did you mean "{close[0]}"?' if close else ""


def is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


# ---------------------------------------------------------------- tables and scalars


class Table(BaseModel):
    """A recipe table: frozen, unknown keys refused, scalars strict."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    TABLE: ClassVar[str] = "a table"  # how error messages name a value of this kind


Int = Annotated[int, Strict()]
Bool = Annotated[bool, Strict()]
Str = Annotated[str, Strict()]
# Strict floats still take an int (TOML `learning_rate = 1`); NaN and infinity never.
Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]


def _checked(parse: Any, pattern: str | None = None) -> Any:
    """A string read by `parse` (a `paper` function that raises ValueError with what it wants)."""

    def check(v: str) -> str:
        try:
            parse(v)
        except ValueError as err:
            raise problem(f"expected {err}, found {describe_value(v)}.") from None
        return v

    schema: dict[str, Any] = {"type": "string"}
    if pattern:
        schema["pattern"] = pattern
    return Annotated[str, Strict(), AfterValidator(check), WithJsonSchema(schema)]


def _lower_color(v: str) -> str:
    r, g, b = paper.parse_color(v)
    return f"#{r:02x}{g:02x}{b:02x}"


COLOR_PATTERN = "^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"
PaperSize = _checked(paper.parse_paper)
Length = _checked(paper.parse_length)
Color = _checked(paper.parse_color, COLOR_PATTERN)


def named(pattern: str, help: str) -> Any:
    """A string matching `pattern` (a name), explained as `help` when it does not."""
    import re

    rx = re.compile(pattern)

    def check(v: str) -> str:
        if not rx.match(v):
            raise problem(f"expected {help}, found {describe_value(v)}.")
        return v

    return Annotated[
        str, Strict(), AfterValidator(check), WithJsonSchema({"type": "string", "pattern": pattern})
    ]


# ---------------------------------------------------------------- pairs


def _int_schema(lo: int, hi: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": lo, "maximum": hi}


def _read_pair(v: Any, lo: int, hi: int) -> Pair:
    """An int n -> (n, n); [h, w] -> (h, w); each from lo to hi."""
    if is_int(v):
        items, subs = [v, v], ["", ""]
    elif isinstance(v, (list, tuple)) and len(v) == 2:
        items, subs = list(v), ["[0]", "[1]"]
    else:
        raise problem(f"expected an integer or a list [h, w] of two, found {describe_value(v)}.")
    for x, sub in zip(items, subs, strict=True):
        if not is_int(x):
            nan = isinstance(x, float) and not math.isfinite(x)
            why = ": NaN and infinity are not values a recipe can use" if nan else ""
            raise problem(f"expected an integer, found {describe_value(x)}{why}.", sub)
        if not lo <= x <= hi:
            raise problem(f"expected an integer from {lo} to {hi}, found {describe_value(x)}.", sub)
    return (items[0], items[1])


def pair_schema(lo: int, hi: int) -> dict[str, Any]:
    item = _int_schema(lo, hi)
    return {"oneOf": [item, {"type": "array", "items": item, "minItems": 2, "maxItems": 2}]}


def IntPair(lo: int, hi: int) -> Any:
    """An int or [h, w], each from lo to hi, kept as an (h, w) tuple."""
    return Annotated[
        Pair, BeforeValidator(lambda v: _read_pair(v, lo, hi)), WithJsonSchema(pair_schema(lo, hi))
    ]


def IntPairOrAuto(lo: int, hi: int, optional: bool = False) -> Any:
    """ "auto", or an int or [h, w] each from lo to hi (None allowed when `optional`)."""

    def read(v: Any) -> Any:
        if v == "auto" or (optional and v is None):
            return v
        if isinstance(v, str):
            raise problem(
                f'expected "auto", an integer or a list [h, w] of two, found {describe_value(v)}.'
            )
        return _read_pair(v, lo, hi)

    schema = {"oneOf": [{"const": "auto"}, *pair_schema(lo, hi)["oneOf"]]}
    tp = Pair | str | None if optional else Pair | str
    return Annotated[tp, BeforeValidator(read), WithJsonSchema(schema)]


# ---------------------------------------------------------------- palettes and morph ids


def _read_palette(v: Any, names: tuple[str, ...]) -> Any:
    if isinstance(v, str):
        if v not in names:
            hint = did_you_mean(v, names)
            raise problem(
                f"expected one of {quoted(names)} or a list of colours '#rrggbb', "
                f"found {describe_value(v)}.{hint}"
            )
        return v
    if not isinstance(v, (list, tuple)) or not 1 <= len(v) <= 256:
        raise problem(
            f"expected one of {quoted(names)} or a list of 1 to 256 colours '#rrggbb', "
            f"found {describe_value(v)}."
        )
    out = []
    for i, c in enumerate(v):
        try:
            if not isinstance(c, str):
                raise ValueError("a colour '#rrggbb'")
            out.append(_lower_color(c))
        except ValueError:
            raise problem(
                f"expected a colour '#rrggbb', found {describe_value(c)}.", f"[{i}]"
            ) from None
    return tuple(out)


def Palette(names: tuple[str, ...]) -> Any:
    """One of `names`, or 1..256 colours normalised to lower-case '#rrggbb'."""
    colour = {"type": "string", "pattern": COLOR_PATTERN}
    schema = {
        "oneOf": [
            {"enum": list(names)},
            {"type": "array", "items": colour, "minItems": 1, "maxItems": 256},
        ]
    }
    return Annotated[
        str | tuple[str, ...],
        BeforeValidator(lambda v: _read_palette(v, names)),
        WithJsonSchema(schema),
    ]


MorphId = int | str


MAX_MORPH_PATH = 16  # punks one morph path may pass through


def _read_morph(v: Any) -> tuple[tuple[MorphId, ...], ...]:
    if not isinstance(v, (list, tuple)):
        raise problem(f"expected a list of [a, b] id pairs, found {describe_value(v)}.")
    out = []
    for i, p in enumerate(v):
        ok = isinstance(p, (list, tuple)) and 2 <= len(p) <= MAX_MORPH_PATH
        if not ok or not all(is_int(x) or isinstance(x, str) for x in p):
            raise problem(
                f"expected a pair of ids like [9000, 9001] (or a path through up to "
                f"{MAX_MORPH_PATH}, like [9000, 9001, 9002], or file stems like "
                f'["cat", "dog"]), found {describe_value(p)}.',
                f"[{i}]",
            )
        out.append(tuple(p))
    return tuple(out)


Morph = Annotated[
    tuple[tuple[MorphId, ...], ...],
    BeforeValidator(_read_morph),
    WithJsonSchema(
        {
            "type": "array",
            "items": {
                "type": "array",
                "items": {"type": ["integer", "string"]},
                "minItems": 2,
                "maxItems": MAX_MORPH_PATH,
            },
        }
    ),
]
