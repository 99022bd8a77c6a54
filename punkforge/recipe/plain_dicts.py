"""A recipe as plain data: TOML-ready dicts, and the keys that decide training and devolving.

`to_dict` writes every default out (the resolved `recipe.toml`); `training_dict`
is what the trained weights depend on (the training store's key) and
`predict_dict` what the devolved arrays depend on. `key_paths.leaf_keys` lists every
settable dotted key (for `--set`, `[sweep]` and the schema).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from punkforge.recipe.art_section import Bend
from punkforge.recipe.sections import Layer, ModelConfig, Recipe
from punkforge.recipe.value_types import Pair


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
    op = layer.output_padding
    if decoder and op is not None:
        d["output_padding"] = op if isinstance(op, str) else _pair_out(op)
    return d


def _plain(v: Any) -> Any:
    if isinstance(v, BaseModel):
        return to_dict(v)
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    return v


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
    if isinstance(obj, Bend):
        return {"layer": obj.layer, "op": obj.op, **obj.params}
    return {name: _plain(getattr(obj, name)) for name in type(obj).model_fields}


def training_dict(recipe: Recipe) -> dict[str, Any]:
    """The part of a recipe that decides the trained weights (epochs aside).

    For cpunks10k it is what it always was (seed, color, train_limit, model,
    train); an image folder adds its source, size, fit and test_fraction.
    """
    d = to_dict(recipe)
    train = dict(d["train"])
    train.pop("epochs")
    data = {"color": d["data"]["color"], "train_limit": d["data"]["train_limit"]}
    if recipe.data.is_folder:
        data.update({k: d["data"][k] for k in ("source", "size", "fit", "test_fraction")})
    return {"seed": d["seed"], "data": data, "model": d["model"], "train": train}


def predict_dict(recipe: Recipe) -> dict[str, Any]:
    """What devolving depends on: the trained weights at their epoch, the test set, [art]."""
    d = training_dict(recipe)
    d["train"]["epochs"] = recipe.train.epochs
    d["data"]["test_limit"] = recipe.data.test_limit
    d["render"] = {"sample": recipe.render.sample}
    d["art"] = to_dict(recipe.art)
    return d
