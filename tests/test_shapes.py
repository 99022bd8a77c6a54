"""Network geometry without TensorFlow: output lengths, 24x24 checks, parameter counts.

The reference formulas below are Keras 3's own (keras/src/ops/operation_utils.py:
`compute_conv_output_shape` and `compute_conv_transpose_output_shape`, via
`deconv_output_length`), written out independently of punkforge.recipe.shapes.
"""

from __future__ import annotations

import itertools
import math

import pytest

from punkforge.recipe import Layer, ModelConfig, OutputLayer
from punkforge.recipe.shapes import (
    LayerShape,
    ShapeError,
    conv_out,
    count_params,
    deconv_out,
    network_shapes,
)


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


def test_params_of_asymmetric_kernels_and_strides() -> None:
    m = _model(
        [Layer(filters=32, kernel=(4, 4), strides=(2, 2), padding="same"), Layer(filters=64, kernel=(4, 4), strides=(2, 2), padding="same"),
         Layer(filters=4, kernel=(3, 3), strides=(1, 1), padding="same")],
        [Layer(filters=64, kernel=(4, 4), strides=(2, 2), padding="same"), Layer(filters=32, kernel=(4, 4), strides=(2, 2), padding="same")],
    )  # fmt: skip
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
