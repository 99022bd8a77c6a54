"""JSON Schema of the recipe format, generated from the pydantic models in `sections`.

`punkforge schema` prints it; editors can use it to complete and check TOML.
pydantic writes each table once under `$defs`; here they are inlined (the
format has no recursion), so every key reads as `properties.train.properties.
epochs`, and pydantic's generated titles are dropped. `[variants]` and
`[sweep]`, which are about the file rather than one recipe, are added here.
"""

from __future__ import annotations

from typing import Any

from punkforge.recipe.key_paths import leaf_keys
from punkforge.recipe.sections import NAME_RE, Recipe


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """Replace every {"$ref": "#/$defs/X", ...} by X itself, and drop generated titles."""
    if isinstance(node, list):
        return [_inline(x, defs) for x in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    out: dict[str, Any] = {}
    for k, v in node.items():
        if k == "title":
            continue
        if k == "properties":  # keys here are names, not schema keywords
            out[k] = {name: _inline(sub, defs) for name, sub in v.items()}
        elif k == "default" and v in ("", None):
            continue  # "inherit" markers (a layer's activation) and "not set" (output_padding)
        else:
            out[k] = _inline(v, defs)
    return out


def recipe_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a recipe file."""
    raw = Recipe.model_json_schema()
    base = _inline({k: v for k, v in raw.items() if k != "$defs"}, raw.get("$defs", {}))
    overrides = {k: {**v} for k, v in base["properties"].items() if k != "name"}
    base["properties"]["variants"] = {
        "description": "named variants: any keys of the recipe but name, merged over the base",
        "type": "object",
        "propertyNames": {"pattern": NAME_RE.pattern},
        "additionalProperties": {
            "type": "object",
            "properties": overrides,
            "additionalProperties": False,
        },
    }
    base["properties"]["sweep"] = {
        "description": 'a grid: dotted key (e.g. "train.epochs") -> list of values',
        "type": "object",
        "propertyNames": {"enum": [k for k in leaf_keys(Recipe) if k != "name"]},
        "additionalProperties": {"type": "array", "minItems": 1},
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://punkforge.example/recipe.schema.json",
        "title": "punkforge recipe",
        **base,
    }
