"""JSON Schema of the recipe format, derived from the dataclasses in `recipe`.

`punkforge schema` prints it; editors can use it to complete and check TOML.
The same field metadata that the loader enforces gives the limits here.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any

from punkforge.recipe import Layer, Pair, Recipe
from punkforge.recipe.load import leaf_keys


def _pair(lo: int, hi: int) -> dict[str, Any]:
    """An int or [h, w], each from lo to hi (the loader's limits for kernel, strides, ...)."""
    item = {"type": "integer", "minimum": lo, "maximum": hi}
    return {"oneOf": [item, {"type": "array", "items": item, "minItems": 2, "maxItems": 2}]}


def _field_schema(tp: Any, f: dataclasses.Field[Any]) -> dict[str, Any]:
    meta = f.metadata
    out: dict[str, Any] = {"description": meta.get("help", "")}
    if tp is bool:
        out["type"] = "boolean"
    elif tp is int or tp is float:
        out["type"] = "integer" if tp is int else "number"
        if meta.get("min") is not None:
            out["minimum"] = meta["min"]
        if meta.get("max") is not None:
            out["maximum"] = meta["max"]
    elif tp is str:
        out["type"] = "string"
        if meta.get("choices"):
            out["enum"] = list(meta["choices"])
        if meta.get("kind") == "name":
            out["pattern"] = "^[a-z0-9_-]{1,64}$"
        if meta.get("kind") == "color":
            out["pattern"] = "^#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$"
        if meta.get("max") is not None:
            out["maxLength"] = meta["max"]
    elif tp == Pair or Pair in typing.get_args(tp):
        out.update(_pair(meta["min"], meta["max"]))
    elif tp == tuple[str, ...]:
        out.update(
            {
                "type": "array",
                "items": {"enum": list(meta["choices"])},
                "uniqueItems": True,
                "minItems": 1,
            }
        )
    elif tp == tuple[Layer, ...]:
        out.update({"type": "array", "items": _object(Layer), "maxItems": meta.get("max")})
    elif dataclasses.is_dataclass(tp):
        out.update(_object(tp))
    if isinstance(f.default, (bool, int, float, str)) and f.default != "":
        out["default"] = f.default
    return out


def _object(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    props = {f.name: _field_schema(hints[f.name], f) for f in dataclasses.fields(cls)}
    required = [f.name for f in dataclasses.fields(cls) if f.metadata.get("required")]
    out: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


def recipe_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a recipe file."""
    base = _object(Recipe)
    overrides = {k: {**v} for k, v in base["properties"].items() if k != "name"}
    base["properties"]["variants"] = {
        "description": "named variants: any keys of the recipe but name, merged over the base",
        "type": "object",
        "propertyNames": {"pattern": "^[a-z0-9_-]{1,64}$"},
        "additionalProperties": {
            "type": "object",
            "properties": overrides,
            "additionalProperties": False,
        },
    }
    base["properties"]["sweep"] = {
        "description": 'a grid: dotted key (e.g. "train.epochs") -> list of values',
        "type": "object",
        "propertyNames": {"enum": [k for k in leaf_keys() if k != "name"]},
        "additionalProperties": {"type": "array", "minItems": 1},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://punkforge.example/recipe.schema.json",
        "title": "punkforge recipe",
        **base,
    }
