"""Recipe files -> typed, frozen recipes: defaults, every key, variants, sweeps, --set.

Each test writes TOML text into tmp_path and asserts on the typed result.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import MINIMAL, RECIPES, ROOT, write_recipe
from pydantic import BaseModel, ValidationError

from punkforge.errors import RecipeError
from punkforge.pipeline.output_folder import resolved_toml
from punkforge.recipe import paper
from punkforge.recipe.loader import (
    RecipeFile,
    deep_merge,
    loads_recipe,
    parse_key,
    parse_set,
    read_recipe_file,
)
from punkforge.recipe.plain_dicts import to_dict
from punkforge.recipe.sections import NAME_RE, Layer, OutputLayer, Recipe
from punkforge.recipe.shapes import count_params

# The format's reference example recipe, verbatim (every key, variants and a sweep).
SPEC_EXAMPLE = """\
name = "devolved-punks"   # required: 1-64 of a-z 0-9 - _ ; the output folder's name
title = "Devolved Punks"  # optional (default: name); printed on posters and the gallery
seed = 0                  # same recipe + same seed + same machine => same pixels

[data]
color = "grey"            # "grey" | "rgb" | "rgba"
train_limit = 9000        # first N training punks (quick runs), 1..9000
test_limit = 1000         # first N test punks devolved and rendered, 1..1000

[model]
activation = "relu"       # default for encoder and decoder layers
initializer = "he_normal" # default kernel initializer
encoder = [               # Conv2D layers, in order
  { filters = 32, kernel = 3 },
  { filters = 16, kernel = 3 },
  { filters = 8, kernel = 3 },
]
decoder = [               # Conv2DTranspose layers, in order
  { filters = 8, kernel = 3 },
  { filters = 16, kernel = 3 },
  { filters = 32, kernel = 3 },
]
output = { kernel = 3, activation = "sigmoid" }  # final Conv2D, padding "same", to the image's channels

[train]
epochs = 10
batch_size = 32
validation_split = 0.1
optimizer = "adam"        # "adam" | "adamw" | "sgd" | "rmsprop"
learning_rate = 0.001
loss = "binary_crossentropy"  # | "mse" | "mae"

[render]
sample = 64               # first N test punks shown in progress frames and comparison sheets

[render.poster]
paper = "18x24in"         # "A0".."A5", "<W>x<H>in", "<W>x<H>mm"
orientation = "portrait"  # | "landscape"
dpi = 300
bleed = "0in"             # e.g. "0.125in" or "3mm": added on every side, filled with background
margin = "0.5in"          # inside the trim, kept free of tiles
layout = "devolved"       # "devolved" | "pairs" (original beside devolved) | "original"
background = "#ffffff"
caption = true            # title, variant and epochs in the bottom margin
crop_marks = false        # drawn in the bleed area; needs bleed > 0
formats = ["png"]         # any of "png", "tiff", "pdf"

[render.series]
scale = 20                # integer nearest-neighbour factor: 24 px -> 480 px
layout = "devolved"       # "devolved" | "pairs"

[render.gif]
every = 1                 # a frame every N epochs; the last epoch always has one
scale = 4                 # nearest-neighbour factor of the sample grid
frame_ms = 200
hold_ms = 1500            # the last frame stays this long
label = true              # "epoch 3/10" on every frame
epoch0 = true             # start at epoch 0: the untrained network
formats = ["gif"]         # any of "gif", "webp", "mp4"

[variants.wide]           # a named variant: any keys above (but name), merged over the base
model.encoder = [ { filters = 64, kernel = 5 }, { filters = 32, kernel = 5 } ]
model.decoder = [ { filters = 32, kernel = 5 }, { filters = 64, kernel = 5 } ]

[sweep]                   # a grid: every combination is a variant over the base
"train.epochs" = [5, 20]
"model.activation" = ["relu", "elu"]
"""  # noqa: E501 - verbatim from the spec

SPEC_VARIANTS = [
    "base",
    "wide",
    "epochs-5_activation-relu",
    "epochs-5_activation-elu",
    "epochs-20_activation-relu",
    "epochs-20_activation-elu",
]


def astuple(m: BaseModel) -> tuple[Any, ...]:
    return tuple(getattr(m, k) for k in type(m).model_fields)


def load(tmp_path: Path, text: str, sets: tuple[str, ...] = ()) -> RecipeFile:
    return read_recipe_file(write_recipe(tmp_path, text), sets)


def base_of(tmp_path: Path, text: str, sets: tuple[str, ...] = ()) -> Recipe:
    rf = load(tmp_path, text, sets)
    assert rf.variants[0].name == "base"
    return rf.variants[0].recipe


def variant(rf: RecipeFile, name: str) -> Recipe:
    found = {v.name: v.recipe for v in rf.variants}
    assert name in found, f"no variant {name!r} in {sorted(found)}"
    return found[name]


# ---------------------------------------------------------------- defaults


def test_minimal_recipe_takes_every_default_from_the_spec(tmp_path: Path) -> None:
    r = base_of(tmp_path, MINIMAL)
    assert (r.name, r.title, r.seed) == ("t", "t", 0)
    assert (r.data.color, r.data.train_limit, r.data.test_limit) == ("grey", 9000, 1000)
    m = r.model
    assert (m.activation, m.initializer) == ("relu", "he_normal")
    assert [x.filters for x in m.encoder] == [32, 16, 8]
    assert [x.filters for x in m.decoder] == [8, 16, 32]
    for layer in (*m.encoder, *m.decoder):
        assert layer.kernel == (3, 3)
        assert layer.strides == (1, 1)
        assert layer.padding == "valid"
        assert layer.output_padding is None
        assert (layer.activation, layer.initializer) == ("relu", "he_normal")
    assert m.output == OutputLayer(kernel=(3, 3), activation="sigmoid")
    t = r.train
    assert (t.epochs, t.batch_size, t.validation_split) == (10, 32, 0.1)
    assert (t.optimizer, t.learning_rate, t.loss) == ("adam", 0.001, "binary_crossentropy")
    assert r.render.sample == 64
    p = r.render.poster
    assert (p.paper, p.orientation, p.dpi, p.bleed, p.margin) == (
        "18x24in", "portrait", 300, "0in", "0.5in",
    )  # fmt: skip
    assert (p.layout, p.background, p.caption, p.crop_marks, p.formats) == (
        "devolved", "#ffffff", True, False, ("png",),
    )  # fmt: skip
    s = r.render.series
    assert (s.scale, s.layout) == (20, "devolved")
    g = r.render.gif
    assert (g.every, g.scale, g.frame_ms, g.hold_ms, g.label, g.formats) == (
        1, 4, 200, 1500, True, ("gif",),
    )  # fmt: skip


def test_defaults_are_the_spec_example_written_out(tmp_path: Path) -> None:
    """The spec's example without variants/sweep is exactly the defaults."""
    base_text = SPEC_EXAMPLE.split("[variants.wide]")[0]
    explicit = base_of(tmp_path, base_text)
    implicit = base_of(tmp_path, 'name = "devolved-punks"\ntitle = "Devolved Punks"\n')
    assert explicit == implicit


def test_only_variants_and_sweep_default_to_empty(tmp_path: Path) -> None:
    rf = load(tmp_path, MINIMAL)
    assert [v.name for v in rf.variants] == ["base"]


@pytest.mark.parametrize(
    ("color", "channels", "params"),
    [("grey", 1, 12_785), ("rgb", 3, 13_939), ("rgba", 4, 14_516)],
)
def test_seed_network_parameter_count(
    tmp_path: Path, color: str, channels: int, params: int
) -> None:
    r = base_of(tmp_path, f'name = "t"\n[data]\ncolor = "{color}"\n')
    assert r.channels == channels
    assert count_params(r.model, r.channels) == params


def test_recipe_is_frozen(tmp_path: Path) -> None:
    r = base_of(tmp_path, MINIMAL)
    with pytest.raises(ValidationError, match="frozen"):
        r.seed = 1  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        r.train.epochs = 1  # type: ignore[misc]


# ---------------------------------------------------------------- every key


def test_every_key_of_the_spec_example_parses(tmp_path: Path) -> None:
    rf = load(tmp_path, SPEC_EXAMPLE)
    assert rf.name == "devolved-punks"
    assert rf.title == "Devolved Punks"
    assert [v.name for v in rf.variants] == SPEC_VARIANTS
    wide = variant(rf, "wide")
    assert [(x.filters, x.kernel) for x in wide.model.encoder] == [(64, (5, 5)), (32, (5, 5))]
    assert [(x.filters, x.kernel) for x in wide.model.decoder] == [(32, (5, 5)), (64, (5, 5))]
    assert wide.train.epochs == 10  # untouched keys come from the base
    for v in rf.variants:
        assert v.recipe.name == "devolved-punks"  # every variant writes into one folder
        assert v.source == str(write_recipe(tmp_path, SPEC_EXAMPLE))


def test_every_key_set_to_a_non_default_value(tmp_path: Path) -> None:
    r = base_of(
        tmp_path,
        """
        name = "all_keys-1"
        title = "All Keys"
        seed = 42
        [data]
        color = "rgba"
        train_limit = 100
        test_limit = 20
        [model]
        activation = "elu"
        initializer = "glorot_uniform"
        [[model.encoder]]  # a list of tables may also be written as [[...]]
        filters = 4
        kernel = 5
        strides = 2
        padding = "same"
        activation = "tanh"
        initializer = "lecun_normal"
        [[model.decoder]]
        filters = 6
        kernel = [1, 2]
        strides = 2
        padding = "valid"
        output_padding = [1, 0]
        [model.output]
        kernel = [1, 3]
        activation = "linear"
        [train]
        epochs = 3
        batch_size = 8
        validation_split = 0.2
        optimizer = "rmsprop"
        learning_rate = 0.01
        loss = "mae"
        [render]
        sample = 16
        [render.poster]
        paper = "A4"
        orientation = "landscape"
        dpi = 150
        bleed = "3mm"
        margin = "10mm"
        layout = "pairs"
        background = "#14142b"
        caption = false
        crop_marks = true
        formats = ["png", "tiff", "pdf"]
        [render.series]
        scale = 10
        layout = "pairs"
        [render.gif]
        every = 2
        scale = 3
        frame_ms = 40
        hold_ms = 500
        label = false
        epoch0 = false
        formats = ["gif", "webp", "mp4"]
        loop = "boomerang"
        """,
    )
    assert (r.name, r.title, r.seed) == ("all_keys-1", "All Keys", 42)
    assert (r.data.color, r.data.train_limit, r.data.test_limit, r.channels) == ("rgba", 100, 20, 4)
    enc, dec = r.model.encoder[0], r.model.decoder[0]
    assert enc == Layer(
        filters=4, kernel=(5, 5), strides=(2, 2), padding="same", activation="tanh",
        initializer="lecun_normal",
    )  # fmt: skip
    # 24 -> 12 (same, stride 2) -> (12 - 1) * 2 + [1, 2] + [1, 0] = 24
    assert dec == Layer(
        filters=6, kernel=(1, 2), strides=(2, 2), padding="valid", activation="elu",
        initializer="glorot_uniform", output_padding=(1, 0),
    )  # fmt: skip
    assert r.model.output == OutputLayer(kernel=(1, 3), activation="linear")
    assert astuple(r.train) == (3, 8, 0.2, "rmsprop", 0.01, "mae")
    assert r.render.sample == 16
    assert astuple(r.render.poster) == (
        "A4", "landscape", 150, "3mm", "10mm", "pairs", "#14142b", False, True,
        ("png", "tiff", "pdf"),
    )  # fmt: skip
    assert astuple(r.render.series) == (10, "pairs")
    assert astuple(r.render.gif) == (
        2,
        3,
        40,
        500,
        False,
        False,
        ("gif", "webp", "mp4"),
        "boomerang",
    )


def test_title_defaults_to_name(tmp_path: Path) -> None:
    r = base_of(tmp_path, 'name = "my-punks"\n')
    assert r.title == "my-punks"
    assert r.display_title == "my-punks"
    assert load(tmp_path, 'name = "my-punks"\n').title == "my-punks"
    assert base_of(tmp_path, 'name = "my-punks"\ntitle = "Mine"\n').display_title == "Mine"


def test_float_keys_accept_an_integer(tmp_path: Path) -> None:
    r = base_of(tmp_path, 'name = "t"\n[train]\nlearning_rate = 1\nvalidation_split = 0\n')
    assert r.train.learning_rate == 1.0 and isinstance(r.train.learning_rate, float)
    assert r.train.validation_split == 0.0


# ---------------------------------------------------------------- layers


@pytest.mark.parametrize(
    ("kernel", "strides", "padding", "want_kernel", "want_strides"),
    [
        ("3", "1", "valid", (3, 3), (1, 1)),
        ("[3, 3]", "[1, 1]", "valid", (3, 3), (1, 1)),
        ("[3, 5]", "1", "valid", (3, 5), (1, 1)),
        ("2", "[2, 1]", "same", (2, 2), (2, 1)),
        ("[4, 2]", "[2, 2]", "same", (4, 2), (2, 2)),
    ],
)
def test_kernel_and_strides_take_an_int_or_a_pair(
    tmp_path: Path, kernel: str, strides: str, padding: str,
    want_kernel: tuple[int, int], want_strides: tuple[int, int],
) -> None:  # fmt: skip
    layer = f'{{ filters = 4, kernel = {kernel}, strides = {strides}, padding = "{padding}" }}'
    r = base_of(tmp_path, f'name = "t"\n[model]\nencoder = [{layer}]\ndecoder = [{layer}]\n')
    for x in (r.model.encoder[0], r.model.decoder[0]):
        assert (x.kernel, x.strides, x.padding) == (want_kernel, want_strides, padding)


def test_layers_inherit_activation_and_initializer_from_the_model(tmp_path: Path) -> None:
    r = base_of(
        tmp_path,
        """
        name = "t"
        [model]
        activation = "elu"
        initializer = "glorot_uniform"
        encoder = [
          { filters = 8, activation = "tanh" },
          { filters = 8, initializer = "orthogonal" },
        ]
        decoder = [
          { filters = 8 },
          { filters = 8, activation = "selu", initializer = "he_uniform" },
        ]
        """,
    )
    got = [(x.activation, x.initializer) for x in (*r.model.encoder, *r.model.decoder)]
    assert got == [
        ("tanh", "glorot_uniform"),
        ("elu", "orthogonal"),
        ("elu", "glorot_uniform"),
        ("selu", "he_uniform"),
    ]
    assert r.model.output.activation == "sigmoid"  # the output layer keeps its own default


def test_output_padding_is_read_as_a_pair(tmp_path: Path) -> None:
    r = base_of(
        tmp_path,
        """
        name = "t"
        [model]
        encoder = [{ filters = 8, kernel = 3, strides = 2 }]
        decoder = [{ filters = 8, kernel = 3, strides = 2, output_padding = [1, 1] }]
        """,
    )
    # 24 -> 11 -> (11 - 1) * 2 + 3 + 1 = 24
    assert r.model.decoder[0].output_padding == (1, 1)


# ---------------------------------------------------------------- variants


VARIANTS_TEXT = """
name = "t"
[train]
epochs = 8
[render.poster]
paper = "A3"
dpi = 200
[variants.lowres]
render.poster.dpi = 100
[variants.tiny]
model.encoder = [{ filters = 4, kernel = 5 }]
model.decoder = [{ filters = 4, kernel = 5 }]
[variants.elu]
model = { activation = "elu" }
train = { epochs = 2 }
"""


def test_variants_run_after_base_in_file_order(tmp_path: Path) -> None:
    rf = load(tmp_path, VARIANTS_TEXT)
    assert [v.name for v in rf.variants] == ["base", "lowres", "tiny", "elu"]


def test_variant_tables_merge_deeply(tmp_path: Path) -> None:
    rf = load(tmp_path, VARIANTS_TEXT)
    low = variant(rf, "lowres")
    assert (low.render.poster.paper, low.render.poster.dpi) == ("A3", 100)
    assert low.train.epochs == 8
    assert variant(rf, "base").render.poster.dpi == 200  # the base is untouched


def test_variant_lists_replace(tmp_path: Path) -> None:
    tiny = variant(load(tmp_path, VARIANTS_TEXT), "tiny")
    assert [(x.filters, x.kernel) for x in tiny.model.encoder] == [(4, (5, 5))]
    assert [(x.filters, x.kernel) for x in tiny.model.decoder] == [(4, (5, 5))]


def test_variant_model_activation_reaches_inherited_layers(tmp_path: Path) -> None:
    elu = variant(load(tmp_path, VARIANTS_TEXT), "elu")
    assert elu.train.epochs == 2
    assert {x.activation for x in (*elu.model.encoder, *elu.model.decoder)} == {"elu"}
    assert len(elu.model.encoder) == 3  # the base's layers stay


def test_deep_merge() -> None:
    base = {"a": {"b": 1, "c": {"d": 2, "e": 3}}, "l": [1, 2, 3], "x": 1}
    over = {"a": {"c": {"d": 20}}, "l": [9], "y": {"z": 1}}
    assert deep_merge(base, over) == {
        "a": {"b": 1, "c": {"d": 20, "e": 3}}, "l": [9], "x": 1, "y": {"z": 1},
    }  # fmt: skip
    assert base == {"a": {"b": 1, "c": {"d": 2, "e": 3}}, "l": [1, 2, 3], "x": 1}  # not mutated
    assert deep_merge({"a": 1}, {"a": {"b": 2}}) == {"a": {"b": 2}}  # a table replaces a value


# ---------------------------------------------------------------- sweep


def test_sweep_names_and_order_follow_the_spec(tmp_path: Path) -> None:
    rf = load(tmp_path, SPEC_EXAMPLE)
    sweep = [v for v in rf.variants if v.name not in ("base", "wide")]
    assert [v.name for v in sweep] == SPEC_VARIANTS[2:]
    for v in sweep:
        epochs, activation = v.name.split("_")
        assert v.recipe.train.epochs == int(epochs.removeprefix("epochs-"))
        act = activation.removeprefix("activation-")
        assert v.recipe.model.activation == act
        assert {x.activation for x in (*v.recipe.model.encoder, *v.recipe.model.decoder)} == {act}


def test_sweep_applies_over_the_base_not_over_variants(tmp_path: Path) -> None:
    rf = load(tmp_path, SPEC_EXAMPLE)
    for name in SPEC_VARIANTS[2:]:
        assert len(variant(rf, name).model.encoder) == 3  # the base's network, not wide's


def test_sweep_of_one_key_and_other_value_types(tmp_path: Path) -> None:
    rf = load(
        tmp_path,
        """
        name = "t"
        [sweep]
        "train.learning_rate" = [0.001, 0.01]
        "render.poster.caption" = [true, false]
        """,
    )
    names = [v.name for v in rf.variants[1:]]
    assert len(names) == 4 and len(set(names)) == 4
    assert all(NAME_RE.match(n) for n in names)
    got = [(v.recipe.train.learning_rate, v.recipe.render.poster.caption) for v in rf.variants[1:]]
    assert got == [
        (0.001, True), (0.001, False), (0.01, True), (0.01, False),
    ]  # fmt: skip
    assert names[0].startswith("learning_rate-") and "caption-true" in names[0]


def test_sweep_keys_with_the_same_last_part_get_distinct_names(tmp_path: Path) -> None:
    rf = load(
        tmp_path,
        """
        name = "t"
        [sweep]
        "render.series.scale" = [2]
        "render.gif.scale" = [3]
        """,
    )
    name = rf.variants[1].name
    assert NAME_RE.match(name)
    assert "2" in name and "3" in name and "series" in name and "gif" in name


# ---------------------------------------------------------------- --set


@pytest.mark.parametrize(
    ("item", "key", "value"),
    [
        ("train.epochs=3", "train.epochs", 3),
        ("train.epochs = 3", "train.epochs", 3),
        ("train.learning_rate=1e-3", "train.learning_rate", 0.001),
        ("data.color=rgb", "data.color", "rgb"),
        ('data.color="rgb"', "data.color", "rgb"),
        ("render.poster.caption=false", "render.poster.caption", False),
        ('render.poster.formats=["png", "pdf"]', "render.poster.formats", ["png", "pdf"]),
        ("render.poster.paper=18x24in", "render.poster.paper", "18x24in"),
        ("model.output.kernel=[1, 3]", "model.output.kernel", [1, 3]),
    ],
)
def test_parse_set_reads_toml_and_bare_words(item: str, key: str, value: object) -> None:
    assert parse_set(item) == (key, value)


@pytest.mark.parametrize(
    ("item", "expect"),
    [
        ("train.epoch=3", "Did you mean 'train.epochs'?"),
        ("epochs=3", "'epochs' is not a key"),
        ("train.epochs", "expected KEY=VALUE"),
        ("=3", "expected KEY=VALUE"),
    ],
)
def test_parse_set_refuses_unknown_keys(item: str, expect: str) -> None:
    with pytest.raises(RecipeError, match="--set") as err:
        parse_set(item)
    assert expect in str(err.value)


def test_parse_set_only_render() -> None:
    assert parse_set("render.gif.scale=2", only_render=True) == ("render.gif.scale", 2)
    with pytest.raises(RecipeError, match="render key"):
        parse_set("train.epochs=2", only_render=True)


def test_set_overrides_base_variants_and_sweep(tmp_path: Path) -> None:
    rf = load(tmp_path, VARIANTS_TEXT + '[sweep]\n"data.color" = ["rgb"]\n', ("train.epochs=3",))
    assert {v.name: v.recipe.train.epochs for v in rf.variants} == {
        "base": 3, "lowres": 3, "tiny": 3, "elu": 3, "color-rgb": 3,
    }  # fmt: skip


def test_set_overrides_only_its_key(tmp_path: Path) -> None:
    rf = load(tmp_path, VARIANTS_TEXT, ("render.poster.dpi=72", "data.color=rgb"))
    low = variant(rf, "lowres")
    assert (low.render.poster.dpi, low.render.poster.paper, low.data.color) == (72, "A3", "rgb")
    assert variant(rf, "elu").train.epochs == 2


def test_set_with_a_bad_value_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(RecipeError) as err:
        load(tmp_path, MINIMAL, ("train.epochs=zero",))
    msg = str(err.value)
    assert "--set train.epochs" in msg and "integer" in msg and '"zero"' in msg


# ---------------------------------------------------------------- round trip


def _all_variants(tmp_path: Path) -> list[tuple[str, Recipe]]:
    out = [(f"spec/{v.name}", v.recipe) for v in load(tmp_path, SPEC_EXAMPLE).variants]
    for path in RECIPES:
        out += [(f"{path.stem}/{v.name}", v.recipe) for v in read_recipe_file(path).variants]
    return out


def test_resolved_recipe_round_trips(tmp_path: Path) -> None:
    pairs = _all_variants(tmp_path)
    assert len(pairs) >= 6
    for label, r in pairs:
        text = resolved_toml(r, label.split("/")[1])
        again = loads_recipe(text, f"{label}/recipe.toml")
        assert [v.name for v in again.variants] == ["base"], label
        assert again.variants[0].recipe == r, label
        assert to_dict(again.variants[0].recipe) == to_dict(r), label


def test_resolved_recipe_writes_every_default(tmp_path: Path) -> None:
    text = resolved_toml(base_of(tmp_path, MINIMAL), "base")
    keys = ["train_limit", "validation_split", "crop_marks", "hold_ms", "initializer", "padding",
            "strides", "[render.gif]", "[render.series]", "[model.output]"]  # fmt: skip
    for key in keys:
        assert key in text, key


# ---------------------------------------------------------------- shipped recipes


def test_there_are_shipped_recipes() -> None:
    assert len(RECIPES) >= 4, RECIPES


@pytest.mark.parametrize("path", RECIPES, ids=[p.name for p in RECIPES])
def test_every_shipped_recipe_validates(path: Path) -> None:
    rf = read_recipe_file(path)
    assert rf.name == path.stem  # the file is named after its output folder
    assert rf.variants and rf.variants[0].name == "base"
    names = [v.name for v in rf.variants]
    assert len(set(names)) == len(names)
    for v in rf.variants:
        assert NAME_RE.match(v.name)
        assert count_params(v.recipe.model, v.recipe.channels) > 0


def test_devolution_sweep_has_its_documented_variants() -> None:
    rf = read_recipe_file(ROOT / "recipes" / "devolution-sweep.toml")
    assert [v.name for v in rf.variants] == [
        "base", "kernel5", "narrow", "shallow",
        "epochs-2_activation-relu", "epochs-2_activation-elu",
        "epochs-8_activation-relu", "epochs-8_activation-elu",
    ]  # fmt: skip


# ---------------------------------------------------------------- helpers and values


def test_parse_key() -> None:
    assert parse_key("model.decoder[1].output_padding") == ["model", "decoder", 1, "output_padding"]
    assert parse_key("train.epochs") == ["train", "epochs"]


def test_paper_lengths_and_colours() -> None:
    w, h = paper.parse_paper("A4")
    assert (round(w * 25.4), round(h * 25.4)) == (210, 297)
    assert paper.parse_paper("a3") == paper.parse_paper("A3")
    assert paper.parse_paper("18x24in") == (18.0, 24.0)
    assert paper.parse_paper("210x297mm") == pytest.approx(paper.parse_paper("A4"))
    assert paper.trim_size_in("18x24in", "landscape") == (24.0, 18.0)
    assert paper.trim_size_in("24x18in", "portrait") == (18.0, 24.0)
    assert paper.parse_length("0") == 0.0
    assert paper.parse_length("0.125in") == 0.125
    assert paper.parse_length("3mm") == pytest.approx(3 / 25.4)
    assert paper.parse_color("#14142b") == (0x14, 0x14, 0x2B)
    assert paper.parse_color("#fff") == (255, 255, 255)
    assert paper.inches_to_px(18, 300) == 5400
    for bad in ("B4", "18x24", "x24in", "0x10in"):
        with pytest.raises(ValueError):
            paper.parse_paper(bad)
    for bad in ("3", "3pt", "-1in", ""):
        with pytest.raises(ValueError):
            paper.parse_length(bad)
    for bad in ("white", "#ffff", "ffffff", "#gggggg"):
        with pytest.raises(ValueError):
            paper.parse_color(bad)
