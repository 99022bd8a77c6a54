"""Dotted key paths of a recipe model tree: `train.epochs`, `model.encoder`, ...

`leaf_keys(Recipe)` lists every settable key with its pydantic FieldInfo; the
loader (`--set`, sweeps), the error messages ("Did you mean") and the JSON
Schema all read keys from here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def leaf_keys(cls: type[BaseModel], prefix: str = "") -> dict[str, Any]:
    """Every settable dotted key (`train.epochs`, `model.encoder`, ...) and its FieldInfo."""
    out: dict[str, Any] = {}
    for name, f in cls.model_fields.items():
        tp = f.annotation
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            out.update(leaf_keys(tp, f"{prefix}{name}."))
        else:
            out[f"{prefix}{name}"] = f
    return out
