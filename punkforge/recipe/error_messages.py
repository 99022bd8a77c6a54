"""pydantic's validation errors in a recipe's words: the key, what was expected, what was found.

`explain(err)` picks the error to show (an unknown key first: a typo is the
likely cause of everything else) and turns its `loc` into a key path and its
type into one sentence, reading the expected type, limits and choices from the
models' own field declarations (`sections`). Where the sentence came from our own
readers (`value_types.problem`), it is used as it is. The loader (`loader`) adds the
file, line and variant; nothing here knows about files.
"""

from __future__ import annotations

import difflib
import json
import math
import types as pytypes
import typing
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import annotated_types as at
from pydantic import BaseModel, ValidationError

from punkforge.recipe.key_paths import leaf_keys
from punkforge.recipe.toml_source import KeyPath, parse_key
from punkforge.recipe.value_types import PROBLEM, describe_value, did_you_mean, is_int, quoted

MISSING = object()


@dataclass(frozen=True)
class Finding:
    """One validation error as the user reads it."""

    path: KeyPath  # ['model', 'encoder', 1, 'kernel']
    problem: str  # "expected an integer from 1 to 24, found 0 (an integer)."
    found: Any = MISSING  # the value (or, for an unknown key, the key) at fault


def explain(
    err: ValidationError, root: type[BaseModel], top_extra: tuple[str, ...] = ()
) -> Finding:
    """The one error worth showing, translated (see module docstring); `root` is the model
    the error's locations start from (the `Recipe`)."""
    errors = err.errors(include_url=False)
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    return translate(first, root, top_extra)


def _strip(ann: Any) -> Any:
    """Annotated[X, ...] -> X; X | None -> X."""
    while True:
        if typing.get_origin(ann) is Annotated:
            ann = typing.get_args(ann)[0]
            continue
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if typing.get_origin(ann) in (typing.Union, pytypes.UnionType) and len(args) == 1:
            ann = args[0]
            continue
        return ann


def _lookup(loc: KeyPath, root: type[BaseModel]) -> tuple[Any, Any, list[Any]]:
    """(annotation, parent model, constraint metadata) of the value at `loc` under `root`."""
    ann: Any = root
    parent: Any = None
    meta: list[Any] = []
    for part in loc:
        ann = _strip(ann) if not isinstance(part, str) else ann
        if isinstance(part, str):
            if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
                return None, None, []
            parent = ann
            if part not in ann.model_fields:
                return None, parent, []
            f = ann.model_fields[part]
            ann, meta = f.annotation, list(f.metadata)
        else:
            args = typing.get_args(ann)
            item = args[0] if args else None
            meta = []
            if typing.get_origin(item) is Annotated:
                for extra in typing.get_args(item)[1:]:
                    meta += list(getattr(extra, "metadata", [extra]))
            ann = item
    return ann, parent, meta


def _kind(ann: Any, v: Any) -> str:
    base = _strip(ann)
    if base is int or (base is None and is_int(v)):
        return "an integer"
    return "a number"


def _limits(meta: list[Any]) -> str:
    lo = next((m.ge for m in meta if isinstance(m, at.Ge)), None)
    hi = next((m.le for m in meta if isinstance(m, at.Le)), None)
    gt = next((m.gt for m in meta if isinstance(m, at.Gt)), None)
    lt = next((m.lt for m in meta if isinstance(m, at.Lt)), None)
    if lo is not None and hi is not None:
        return f" from {lo} to {hi}"
    if gt is not None and lt is not None:
        return f" between {gt} and {lt} (both excluded)"
    if lo is not None:
        return f" of at least {lo}"
    if hi is not None:
        return f" of at most {hi}"
    return ""


def _items(ann: Any) -> str:
    """How to name the items of a list-valued key: 'layer tables', 'strings', ..."""
    args = typing.get_args(_strip(ann))
    item = _strip(args[0]) if args else None
    if isinstance(item, type) and issubclass(item, BaseModel):
        return item.TABLE.split(" like ")[0].removeprefix("a ") + "s"  # type: ignore[attr-defined]
    if typing.get_origin(item) is Literal or item is str:
        return "strings"
    if item is int:
        return "integers"
    return "values"


def _suggest(key: str, known: list[str], root: type[BaseModel]) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f" Did you mean '{close[0]}'?"
    elsewhere = [k for k in leaf_keys(root) if k.rsplit(".", 1)[-1] == key]
    if elsewhere:
        return f" '{key}' belongs in '{elsewhere[0]}'."
    return f" Known keys here: {', '.join(known)}."


def _toml(v: Any) -> str:
    return json.dumps(v) if isinstance(v, str) else str(v)


# pydantic error types whose message is just "expected <this>, found <value>."
_EXPECTED = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "string_type": "a string",
}
_BOUNDS = ("greater_than_equal", "less_than_equal", "greater_than", "less_than")


def translate(e: Any, root: type[BaseModel], top_extra: tuple[str, ...] = ()) -> Finding:
    """One pydantic error dict -> a Finding."""
    loc: KeyPath = list(e["loc"])
    t, v, ctx = e["type"], e.get("input"), e.get("ctx") or {}
    if t == PROBLEM:
        return Finding(loc + parse_key(ctx.get("at") or ""), ctx["problem"], v)
    ann, parent, meta = _lookup(loc, root)
    if t == "missing":
        f = parent.model_fields[loc[-1]] if parent else None
        example = f" Add it, e.g. {loc[-1]} = {_toml(f.examples[0])}." if f and f.examples else ""
        return Finding(loc, f"this required key is missing.{example}")
    if t == "extra_forbidden":
        # as TOML spells them: a field named from_ is the key `from`
        known = [f.alias or k for k, f in parent.model_fields.items()] if parent else []
        if len(loc) == 1:
            known += list(top_extra)
        return Finding(loc, "unknown key." + _suggest(str(loc[-1]), known, root), loc[-1])
    found = describe_value(v)
    if t == "literal_error":
        choices = [str(c) for c in typing.get_args(_strip(ann))]
        return Finding(loc, f"expected one of {quoted(choices)}, found {found}."
                       + did_you_mean(v, choices), v)  # fmt: skip
    sentence = _length_problem(t, ctx, ann, found)
    if sentence:
        return Finding(loc, sentence, v)
    text = _expected(t, e, ann, meta, v)
    if isinstance(v, float) and not math.isfinite(v):
        return Finding(
            loc, f"{text}, found {found}: NaN and infinity are not values a recipe can use.", v
        )
    return Finding(loc, f"{text}, found {found}.", v)


def _length_problem(t: str, ctx: dict[str, Any], ann: Any, found: str) -> str | None:
    """The whole sentence for a list or string of the wrong length; None for other errors."""
    if t in ("too_long", "too_short"):
        n = ctx.get("max_length", ctx.get("min_length"))
        what = _items(ann)
        if t == "too_short" and n == 1:
            return f"expected a non-empty list of {what}, found {found}."
        what = what.replace(" tables", "")
        return f"expected at most {n} {what}, found {ctx.get('actual_length')}."
    if t == "string_too_short":
        return f"expected a non-empty string, found {found}."
    if t == "string_too_long":
        return f"expected at most {ctx.get('max_length')} characters."
    return None


def _expected(t: str, e: Any, ann: Any, meta: list[Any], v: Any) -> str:
    """'expected ...' for a value of the wrong kind or out of bounds."""
    if t in _EXPECTED:
        return f"expected {_EXPECTED[t]}"
    if t in _BOUNDS:
        return f"expected {_kind(ann, v)}{_limits(meta)}"
    if t in ("tuple_type", "list_type"):
        return f"expected a list of {_items(ann)}"
    if t in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected {getattr(_strip(ann), 'TABLE', 'a table')}"
    # a kind of error no recipe key produces today: pydantic's own words
    return f"expected {e['msg'][0].lower()}{e['msg'][1:]}"
