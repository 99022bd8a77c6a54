"""Network geometry without TensorFlow: output lengths, 24x24 checks, parameter counts.

The reference formulas below are Keras 3's own (keras/src/ops/operation_utils.py:
`compute_conv_output_shape` and `compute_conv_transpose_output_shape`, via
`deconv_output_length`), written out independently of punkforge.recipe.shapes.
"""

from __future__ import annotations

import itertools
import math
import random
from pathlib import Path

import pytest
from conftest import write_recipe

from punkforge.recipe.loader import read_recipe_file
from punkforge.recipe.sections import Layer, ModelConfig, OutputLayer
from punkforge.recipe.shapes import (
    LayerShape,
    ShapeError,
    conv_out,
    count_params,
    deconv_out,
    network_shapes,
    resolve_output_padding,
)
from punkforge.recipe.toml_source import parse_key


def keras_conv(n: int, k: int, s: int, padding: str) -> int:
    if padding == "valid":
        return math.floor((n - k) / s) + 1
    return math.floor((n - 1) / s) + 1


def keras_deconv(n: int, k: int, s: int, padding: str, op: int | None) -> int:
    if op is None:
        return n * s + max(k - s, 0) if padding == "valid" else n * s
    pad = k // 2 if padding == "same" else 0
    return (n - 1) * s + k - 2 * pad + op


GRID = list(itertools.product(range(1, 30), range(1, 8), range(1, 5), ("valid", "same")))


def test_conv_out_matches_keras_on_a_grid() -> None:
    for n, k, s, padding in GRID:
        assert conv_out(n, k, s, padding) == keras_conv(n, k, s, padding), (n, k, s, padding)


def test_deconv_out_matches_keras_on_a_grid() -> None:
    for n, k, s, padding in GRID:
        for op in (None, *range(s)):
            got = deconv_out(n, k, s, padding, op)
            assert got == keras_deconv(n, k, s, padding, op), (n, k, s, padding, op)


@pytest.mark.parametrize(
    ("n", "k", "s", "padding", "want"),
    [
        (24, 3, 1, "valid", 22),
        (24, 5, 1, "valid", 20),
        (24, 3, 1, "same", 24),
        (24, 4, 2, "same", 12),
        (25, 4, 2, "same", 13),  # same: ceil(n / s)
        (24, 3, 2, "valid", 11),
        (24, 4, 3, "valid", 7),
        (2, 3, 1, "valid", 0),  # vanished
    ],
)
def test_conv_out_known_values(n: int, k: int, s: int, padding: str, want: int) -> None:
    assert conv_out(n, k, s, padding) == want


@pytest.mark.parametrize(
    ("n", "k", "s", "padding", "op", "want"),
    [
        (22, 3, 1, "valid", None, 24),
        (12, 4, 2, "same", None, 24),
        (12, 2, 2, "valid", None, 24),
        (11, 3, 2, "valid", None, 23),  # max(k - s, 0) = 1
        (11, 3, 2, "valid", 1, 24),  # (11 - 1) * 2 + 3 + 1
        (12, 3, 2, "same", 1, 24),  # (12 - 1) * 2 + 3 - 2 + 1
        (6, 1, 4, "valid", None, 24),  # a stride larger than the kernel
        (1, 4, 2, "same", 0, 0),  # can vanish: (1 - 1) * 2 + 4 - 4 + 0
    ],
)
def test_deconv_out_known_values(n: int, k: int, s: int, padding: str, op: int | None,
                                 want: int) -> None:  # fmt: skip
    assert deconv_out(n, k, s, padding, op) == want


def _model(encoder: list[Layer], decoder: list[Layer], out_kernel: int = 3) -> ModelConfig:
    return ModelConfig(
        encoder=tuple(encoder), decoder=tuple(decoder),
        output=OutputLayer(kernel=(out_kernel, out_kernel), activation="sigmoid"),
    )  # fmt: skip


def test_seed_network_shapes_and_params() -> None:
    rows = network_shapes(ModelConfig(), 1)
    assert [(r.index, r.kind, r.out, r.params) for r in rows] == [
        ("encoder[0]", "Conv2D", (22, 22, 32), 3 * 3 * 1 * 32 + 32),
        ("encoder[1]", "Conv2D", (20, 20, 16), 3 * 3 * 32 * 16 + 16),
        ("encoder[2]", "Conv2D", (18, 18, 8), 3 * 3 * 16 * 8 + 8),
        ("decoder[0]", "Conv2DTranspose", (20, 20, 8), 3 * 3 * 8 * 8 + 8),
        ("decoder[1]", "Conv2DTranspose", (22, 22, 16), 3 * 3 * 8 * 16 + 16),
        ("decoder[2]", "Conv2DTranspose", (24, 24, 32), 3 * 3 * 16 * 32 + 32),
        ("output", "Conv2D", (24, 24, 1), 3 * 3 * 32 * 1 + 1),
    ]
    assert all(isinstance(r, LayerShape) for r in rows)
    assert count_params(ModelConfig(), 1) == 12_785


@pytest.mark.parametrize(("channels", "params"), [(1, 12_785), (3, 13_939), (4, 14_516)])
def test_seed_network_params_per_colour_mode(channels: int, params: int) -> None:
    assert count_params(ModelConfig(), channels) == params
    assert network_shapes(ModelConfig(), channels)[-1].out == (24, 24, channels)


def _same(filters: int, kernel: int, strides: int) -> Layer:
    return Layer(filters=filters, kernel=kernel, strides=strides, padding="same")


def test_params_of_asymmetric_kernels_and_strides() -> None:
    m = _model(
        [_same(32, 4, 2), _same(64, 4, 2), _same(4, 3, 1)],
        [_same(64, 4, 2), _same(32, 4, 2)],
    )
    rows = network_shapes(m, 1)
    assert [r.out for r in rows] == [
        (12, 12, 32), (6, 6, 64), (6, 6, 4), (12, 12, 64), (24, 24, 32), (24, 24, 1),
    ]  # fmt: skip
    assert count_params(m, 1) == 72_933  # recipes/strided-punks.toml, as `list` shows it
    m2 = _model(
        [Layer(filters=16, kernel=(7, 5))], [Layer(filters=16, kernel=(7, 5))], out_kernel=1
    )
    assert [r.out for r in network_shapes(m2, 3)] == [(18, 20, 16), (24, 24, 16), (24, 24, 3)]
    assert count_params(m2, 3) == (7 * 5 * 3 * 16 + 16) + (7 * 5 * 16 * 16 + 16) + (16 * 3 + 3)


def test_output_padding_per_axis() -> None:
    # 24 -> 12 -> ((12 - 1) * 2 + 1 + 1, (12 - 1) * 2 + 2 + 0) = (24, 24)
    enc = Layer(filters=8, kernel=(3, 3), strides=(2, 2), padding="same")
    m = _model([enc], [Layer(filters=8, kernel=(1, 2), strides=(2, 2), output_padding=(1, 0))])
    assert network_shapes(m, 1)[1].out == (24, 24, 8)


def test_layer_activation_is_reported() -> None:
    m = _model([Layer(filters=8, activation="tanh")], [Layer(filters=8, activation="elu")])
    assert [r.activation for r in network_shapes(m, 1)] == ["tanh", "elu", "sigmoid"]


def test_a_network_without_hidden_layers_is_24x24() -> None:
    assert [r.out for r in network_shapes(_model([], []), 4)] == [(24, 24, 4)]


def test_not_24x24_names_the_layer_and_the_shapes() -> None:
    m = _model(
        [Layer(filters=8), Layer(filters=8), Layer(filters=8)], [Layer(filters=8), Layer(filters=8)]
    )
    with pytest.raises(ShapeError) as err:
        network_shapes(m, 1)
    assert err.value.key == "model.decoder[1]"
    msg = str(err.value)
    assert "22x22" in msg and "24x24" in msg
    assert "encoder[2] 18x18x8" in msg and "decoder[1] 22x22x8" in msg


def test_too_large_names_the_last_decoder_layer() -> None:
    m = _model(
        [Layer(filters=8, kernel=(3, 3), strides=(2, 2), padding="same")],
        [Layer(filters=8, kernel=(3, 3), strides=(2, 2), padding="valid")],
    )
    with pytest.raises(ShapeError) as err:
        network_shapes(m, 1)
    assert err.value.key == "model.decoder[0]"
    assert "25x25" in str(err.value)  # 12 * 2 + max(3 - 2, 0)


def test_no_decoder_names_the_decoder() -> None:
    with pytest.raises(ShapeError) as err:
        network_shapes(_model([Layer(filters=8)], []), 1)
    assert err.value.key == "model.decoder"
    assert "22x22" in str(err.value)


def test_vanishing_image_names_the_layer() -> None:
    m = _model(
        [Layer(filters=8, kernel=(13, 13)), Layer(filters=8, kernel=(13, 13)), Layer(filters=8)],
        [Layer(filters=8)],
    )
    with pytest.raises(ShapeError) as err:
        network_shapes(m, 1)
    assert err.value.key == "model.encoder[1]"
    msg = str(err.value)
    assert "vanished" in msg and "12x12" in msg and "0x0" in msg


def test_vanishing_in_the_decoder() -> None:
    # 24 -> 1 (same, stride 24) -> (1 - 1) * 2 + 4 - 2 * 2 + 0 = 0
    m = _model(
        [Layer(filters=8, kernel=(4, 4), strides=(24, 24), padding="same")],
        [Layer(filters=8, kernel=(4, 4), strides=(2, 2), padding="same", output_padding=(0, 0))],
    )
    with pytest.raises(ShapeError) as err:
        network_shapes(m, 1)
    assert err.value.key == "model.decoder[0]"
    assert "vanished" in str(err.value)


def test_output_padding_smaller_than_strides_is_allowed() -> None:
    # 24 -> (11, 8) -> ((11 - 1) * 2 + 3 + 1, (8 - 1) * 3 + 3 + 0) = (24, 24)
    m = _model(
        [Layer(filters=8, kernel=(3, 3), strides=(2, 3))],
        [Layer(filters=8, kernel=(3, 3), strides=(2, 3), output_padding=(1, 0))],
    )
    assert network_shapes(m, 1)[1].out == (24, 24, 8)


@pytest.mark.parametrize("op", [(2, 0), (0, 3), (5, 5)])
def test_output_padding_must_be_smaller_than_strides(op: tuple[int, int]) -> None:
    m = _model(
        [Layer(filters=8, kernel=(3, 3), strides=(2, 3))],
        [Layer(filters=8, kernel=(3, 3), strides=(2, 3), output_padding=op)],
    )
    with pytest.raises(ShapeError) as err:
        network_shapes(m, 1)
    assert err.value.key == "model.decoder[0].output_padding"
    assert "smaller than strides" in str(err.value)


# ---------------------------------------------------------------- "auto" output_padding


# Each candidate a Conv2DTranspose may take: Keras' default (None) or [h, w] below the strides.
def _candidates(s: tuple[int, int]) -> list[tuple[int, int] | None]:
    return [None, *itertools.product(range(s[0]), range(s[1]))]


def _ref_deconv(hw: tuple[int, int], layer: Layer, op: tuple[int, int] | None) -> tuple[int, int]:
    return tuple(  # type: ignore[return-value]
        keras_deconv(n, k, s, layer.padding, None if op is None else o)
        for n, k, s, o in zip(hw, layer.kernel, layer.strides, op or (0, 0), strict=True)
    )


def _random_layer(rng: random.Random, **kw: object) -> Layer:
    return Layer(
        filters=1,
        kernel=(rng.randint(1, 6), rng.randint(1, 6)),
        strides=(rng.randint(1, 3), rng.randint(1, 3)),
        padding=rng.choice(["valid", "same"]),
        **kw,
    )


def test_auto_output_padding_against_keras_formula_on_random_stacks() -> None:
    """Whatever "auto" gives, Keras' formula confirms; whatever it refuses, nothing fits."""
    rng = random.Random(20261125)
    solved = refused = 0
    for _ in range(3000):
        size = (rng.randint(8, 64), rng.randint(8, 64))
        enc = [_random_layer(rng) for _ in range(rng.randint(0, 4))]
        dec = [
            _random_layer(rng, output_padding=rng.choice(["auto", "auto", None]))
            for _ in range(rng.randint(1, 4))
        ]
        ins = [size]
        for layer in enc:
            hw, ks, ss = ins[-1], layer.kernel, layer.strides
            ins.append(
                tuple(
                    keras_conv(n, k, s, layer.padding) for n, k, s in zip(hw, ks, ss, strict=True)
                )
            )
        if min(min(x) for x in ins) < 1:
            if any(x.output_padding == "auto" for x in dec):
                with pytest.raises(ShapeError, match="vanished"):
                    resolve_output_padding(_model(enc, dec), size)
            continue
        try:
            got = resolve_output_padding(_model(enc, dec), size).decoder
        except ShapeError as err:
            got, failed = None, parse_key(err.key)
        hw = ins[-1]
        for i, layer in enumerate(dec):
            j = len(dec) - 1 - i
            if got is not None:
                op = got[i].output_padding
                assert op is None or all(
                    0 <= o < s for o, s in zip(op, layer.strides, strict=True)
                ), op
                if layer.output_padding == "auto":
                    assert _ref_deconv(hw, layer, op) == ins[j], (size, enc, dec, i)
                else:
                    assert op == layer.output_padding
                hw = _ref_deconv(hw, layer, op)
                continue
            if failed[:3] == ["model", "decoder", i]:  # refused here: nothing could fit
                assert layer.output_padding == "auto"
                if 0 <= j < len(enc):
                    assert all(_ref_deconv(hw, layer, c) != ins[j] for c in
                               _candidates(layer.strides)), (size, enc, dec, i)  # fmt: skip
                break
            # before the refused layer: an "auto" that fitted, as it must have
            op = None
            if layer.output_padding == "auto":
                fits = [c for c in _candidates(layer.strides)
                        if _ref_deconv(hw, layer, c) == ins[j]]  # fmt: skip
                assert fits, (size, enc, dec, i)
                op = fits[0]
            hw = _ref_deconv(hw, layer, op)
            if min(hw) < 1:
                break
        solved += got is not None
        refused += got is None
    assert solved > 300 and refused > 300, (solved, refused)  # both paths are exercised


def test_mirrored_stacks_with_auto_always_give_back_the_size() -> None:
    rng = random.Random(7)
    checked = 0
    for _ in range(2000):
        size = (rng.randint(8, 256), rng.randint(8, 256))
        enc = [_random_layer(rng) for _ in range(rng.randint(1, 4))]
        mirror = [x.model_copy(update={"output_padding": "auto"}) for x in reversed(enc)]
        m = _model(enc, mirror)
        try:
            rows = network_shapes(m, 3, size)
        except ShapeError as err:
            # Only where Keras cannot: an even kernel with padding "same" may need Keras'
            # default on one axis and an output_padding on the other, and it takes one or
            # the other for both.
            assert "vanished" in str(err) or '"auto" cannot give back' in str(err)
            i = parse_key(err.key)[2]
            assert "vanished" in str(err) or any(
                x.padding == "same" and 0 in (x.kernel[0] % 2, x.kernel[1] % 2) for x in [mirror[i]]
            ), (size, enc)
            continue
        assert rows[-1].out == (*size, 3)
        checked += 1
    assert checked > 1000


def test_a_wrong_size_names_the_output_padding_that_fixes_it() -> None:
    enc = Layer(filters=8, kernel=(3, 3), strides=(2, 2))
    m = _model([enc], [enc.model_copy(update={"output_padding": (0, 0)})])
    with pytest.raises(ShapeError) as err:
        network_shapes(m, 1)
    assert err.value.key == "model.decoder[0]"
    assert "gives back 23x23" in str(err.value) and "output_padding = 1" in str(err.value)
    fixed = _model([enc], [enc.model_copy(update={"output_padding": (1, 1)})])
    assert network_shapes(fixed, 1)[-1].out == (24, 24, 1)


def test_a_wrong_size_no_output_padding_can_fix_names_a_kernel() -> None:
    m = _model([Layer(filters=8)] * 3, [Layer(filters=8)] * 2)
    with pytest.raises(ShapeError, match=r"No output_padding can fix it; give model\.decoder") as e:
        network_shapes(m, 1)
    assert "kernel = 5" in str(e.value)
    fixed = _model([Layer(filters=8)] * 3, [Layer(filters=8), Layer(filters=8, kernel=(5, 5))])
    assert network_shapes(fixed, 1)[-1].out == (24, 24, 1)


def test_shapes_at_other_sizes() -> None:
    m = ModelConfig()
    assert network_shapes(m, 1, (32, 40))[-1].out == (32, 40, 1)
    assert count_params(m, 1, (32, 40)) == count_params(m, 1)  # convolutions share weights
    with pytest.raises(ShapeError, match="not 32x40"):
        network_shapes(_model([Layer(filters=8)], [Layer(filters=8, kernel=(5, 5))]), 1, (32, 40))


def test_network_shapes_at_non_square_size_with_explicit_output_padding(tmp_path: Path) -> None:
    path = write_recipe(
        tmp_path,
        """
        name = "s"
        [model]
        encoder = [{ filters = 4, kernel = 3, strides = 2, padding = "same" }]
        [[model.decoder]]
        filters = 4
        kernel = 3
        strides = 2
        padding = "same"
        output_padding = [0, 1]
        """,
    )
    model = (
        read_recipe_file(path, ["data.size=[13, 18]", 'data.source="x"']).variants[0].recipe.model
    )
    rows = network_shapes(model, 1, (13, 18))
    assert [r.out[:2] for r in rows] == [(7, 9), (13, 18), (13, 18)]


@pytest.mark.slow
def test_auto_output_padding_matches_keras_itself() -> None:
    """A few random "auto" networks built by Keras give back exactly the input size."""
    from punkforge.training.autoencoder import keras_module

    keras = keras_module()
    rng = random.Random(3)
    built = 0
    while built < 6:
        size = (rng.randint(8, 48), rng.randint(8, 48))
        enc = [_random_layer(rng) for _ in range(rng.randint(1, 3))]
        mirror = [x.model_copy(update={"output_padding": "auto"}) for x in reversed(enc)]
        try:
            want = [r.out for r in network_shapes(_model(enc, mirror), 1, size)]
        except ShapeError:
            continue
        m = resolve_output_padding(_model(enc, mirror), size)
        x = inp = keras.Input((*size, 1))
        outs = []
        for layer in m.encoder:
            x = keras.layers.Conv2D(1, layer.kernel, layer.strides, layer.padding)(x)
            outs.append(tuple(x.shape[1:]))
        for layer in m.decoder:
            x = keras.layers.Conv2DTranspose(
                1, layer.kernel, layer.strides, layer.padding, output_padding=layer.output_padding
            )(x)
            outs.append(tuple(x.shape[1:]))
        keras.Model(inp, x)
        assert outs == [(h, w, 1) for h, w, _ in want[:-1]], (size, enc)
        built += 1
