"""The JSON Schema of the recipe format agrees with the loader and the shipped recipes."""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from conftest import RECIPES
from test_recipe import SPEC_EXAMPLE

from punkforge.recipe.key_paths import leaf_keys
from punkforge.recipe.schema import recipe_schema
from punkforge.recipe.sections import Recipe
from punkforge.recipe.starter import starter_text

TABLES = [
    "name", "title", "seed", "data", "model", "train", "render", "art", "variants", "sweep",
]  # fmt: skip


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return recipe_schema()


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_is_json_of_draft_2020_12(schema: dict[str, Any]) -> None:
    again = json.loads(json.dumps(schema))
    assert again == schema
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["name"]


def test_schema_has_every_top_level_table(schema: dict[str, Any]) -> None:
    assert list(schema["properties"]) == TABLES
    render = schema["properties"]["render"]["properties"]
    assert {"sample", "poster", "series", "gif"} <= set(render)


def test_schema_names_every_key_the_loader_knows(schema: dict[str, Any]) -> None:
    for key in leaf_keys(Recipe):
        node = schema
        for part in key.split("."):
            node = node["properties"][part]
        assert node.get("description"), key


def test_schema_defaults_are_the_recipe_defaults(schema: dict[str, Any]) -> None:
    p = schema["properties"]
    assert p["train"]["properties"]["epochs"]["default"] == 10
    assert p["render"]["properties"]["poster"]["properties"]["paper"]["default"] == "18x24in"
    assert p["data"]["properties"]["color"]["enum"] == ["grey", "rgb", "rgba"]
    assert p["train"]["properties"]["epochs"]["minimum"] == 1


def test_the_validator_accepts_the_schema(validator: Any) -> None:
    assert validator.is_valid({"name": "x"})
    assert not validator.is_valid({})


@pytest.mark.parametrize("path", RECIPES, ids=[p.name for p in RECIPES])
def test_every_shipped_recipe_matches_the_schema(validator: Any, path: Path) -> None:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    errors = [e.message for e in validator.iter_errors(data)]
    assert errors == []


def test_spec_example_and_starter_match_the_schema(validator: Any) -> None:
    assert list(validator.iter_errors(tomllib.loads(SPEC_EXAMPLE))) == []
    assert list(validator.iter_errors(tomllib.loads(starter_text("my-punks")))) == []


def test_pairs_and_output_padding_match_the_loader(validator: Any) -> None:
    layer = {"filters": 8, "kernel": [3, 5], "strides": 1, "output_padding": 0}
    assert validator.is_valid({"name": "x", "model": {"decoder": [layer]}})
    assert not validator.is_valid({"name": "x", "model": {"decoder": [{**layer, "kernel": 0}]}})
    assert not validator.is_valid({"name": "x", "model": {"decoder": [{**layer, "kernel": [3]}]}})


BASE = tomllib.loads(SPEC_EXAMPLE)


def _with(path: list[str | int], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    node: Any = data
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["colour"], "rgb"),
        (["data", "colour"], "rgb"),
        (["model", "activaton"], "relu"),
        (["model", "encoder", 0, "kernal"], 3),
        (["model", "output", "kernal"], 3),
        (["train", "epoch"], 3),
        (["render", "sampel"], 3),
        (["render", "poster", "papr"], "A4"),
        (["render", "series", "scal"], 3),
        (["render", "gif", "fram_ms"], 40),
        (["variants", "wide", "trian"], {"epochs": 3}),
        (["variants", "wide", "name"], "other"),
        (["sweep", "train.epoch"], [1, 2]),
    ],
)
def test_schema_rejects_an_unknown_key(validator: Any, path: list[str | int], value: Any) -> None:
    assert validator.is_valid(BASE)
    assert not validator.is_valid(_with(path, value))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (["train", "epochs"], 0),
        (["train", "epochs"], "3"),
        (["train", "epochs"], True),
        (["train", "epochs"], 2.5),
        (["data", "train_limit"], 9001),
        (["data", "color"], "cmyk"),
        (["render", "poster", "dpi"], 5),
        (["render", "poster", "background"], "white"),
        (["render", "poster", "formats"], ["jpg"]),
        (["render", "poster", "formats"], []),
        (["name"], "Devolved"),
        (["name"], "a/b"),
        (["model", "encoder"], {"filters": 8}),
        (["model", "encoder", 0, "filters"], 0),
        (["variants", "Wide"], {}),
        (["sweep", "train.epochs"], []),
    ],
)
def test_schema_rejects_wrong_types_and_ranges(validator: Any, path: list[str | int],
                                               value: Any) -> None:  # fmt: skip
    assert not validator.is_valid(_with(path, value))
