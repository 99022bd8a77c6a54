"""Network geometry without TensorFlow: layer output shapes and parameter counts.

Mirrors Keras 3's own formulas for Conv2D and Conv2DTranspose so that
`validate` and `list` can say which layer breaks a network, and how many
parameters it has, in milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from punkforge.recipe import Layer, ModelConfig

SIZE = 24


@dataclass(frozen=True)
class LayerShape:
    """One row of `punkforge list`: a layer, its output shape and parameters."""

    index: str  # "encoder[0]", "decoder[2]", "output"
    kind: str  # "Conv2D" | "Conv2DTranspose"
    out: tuple[int, int, int]  # (h, w, channels)
    params: int
    activation: str


def conv_out(n: int, kernel: int, stride: int, padding: str) -> int:
    """Output length of a Conv2D along one axis (Keras' formula)."""
    if padding == "same":
        return math.ceil(n / stride)
    return (n - kernel) // stride + 1


def deconv_out(n: int, kernel: int, stride: int, padding: str, output_padding: int | None) -> int:
    """Output length of a Conv2DTranspose along one axis (Keras' formula)."""
    if output_padding is None:
        if padding == "valid":
            return n * stride + max(kernel - stride, 0)
        return n * stride
    pad = kernel // 2 if padding == "same" else 0
    return (n - 1) * stride + kernel - 2 * pad + output_padding


class ShapeError(ValueError):
    """A network that does not work; `key` names the layer (e.g. model.encoder[2])."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def _fmt(shape: tuple[int, int, int]) -> str:
    return f"{shape[0]}x{shape[1]}x{shape[2]}"


def network_shapes(model: ModelConfig, channels: int) -> list[LayerShape]:
    """Every layer's output shape and parameter count for a (24, 24, channels) input.

    Raises ShapeError naming the layer when a size drops to zero or below, when
    output_padding is not smaller than the stride, or when the decoder does not
    give back 24x24.
    """
    rows: list[LayerShape] = []
    h, w, c = SIZE, SIZE, channels
    trace = [f"input {_fmt((h, w, c))}"]

    def add(index: str, kind: str, layer: Layer, nh: int, nw: int) -> None:
        nonlocal h, w, c
        kh, kw = layer.kernel
        if nh < 1 or nw < 1:
            trace.append(f"{index} {nh}x{nw}")
            raise ShapeError(
                f"model.{index}",
                f"{kind} with kernel {kh}x{kw}, strides {layer.strides[0]}x{layer.strides[1]}, "
                f"padding '{layer.padding}' turns {h}x{w} into {nh}x{nw}: the image has "
                f"vanished (shapes: {' -> '.join(trace)}). Use a smaller kernel or stride, "
                'padding = "same", or fewer layers',
            )
        params = kh * kw * c * layer.filters + layer.filters
        h, w, c = nh, nw, layer.filters
        trace.append(f"{index} {_fmt((h, w, c))}")
        rows.append(LayerShape(index, kind, (h, w, c), params, layer.activation))

    for i, layer in enumerate(model.encoder):
        (kh, kw), (sh, sw) = layer.kernel, layer.strides
        add(
            f"encoder[{i}]",
            "Conv2D",
            layer,
            conv_out(h, kh, sh, layer.padding),
            conv_out(w, kw, sw, layer.padding),
        )
    for i, layer in enumerate(model.decoder):
        (kh, kw), (sh, sw) = layer.kernel, layer.strides
        op = layer.output_padding
        if op is not None and (op[0] >= sh or op[1] >= sw):
            raise ShapeError(
                f"model.decoder[{i}].output_padding",
                f"output_padding {list(op)} must be smaller than strides {[sh, sw]} "
                "(Keras refuses it otherwise)",
            )
        add(
            f"decoder[{i}]",
            "Conv2DTranspose",
            layer,
            deconv_out(h, kh, sh, layer.padding, op[0] if op else None),
            deconv_out(w, kw, sw, layer.padding, op[1] if op else None),
        )
    if (h, w) != (SIZE, SIZE):
        last = f"decoder[{len(model.decoder) - 1}]" if model.decoder else "encoder"
        raise ShapeError(
            f"model.{last}" if model.decoder else "model.decoder",
            f"the network gives back {h}x{w}, not 24x24 (shapes: {' -> '.join(trace)}). "
            "Make the decoder mirror the encoder: each valid kxk Conv2D takes k-1 pixels "
            "away and each valid kxk Conv2DTranspose gives k-1 back; a stride s divides "
            "the size by s and a transposed stride s multiplies it",
        )
    okh, okw = model.output.kernel
    rows.append(
        LayerShape(
            "output",
            "Conv2D",
            (h, w, channels),
            okh * okw * c * channels + channels,
            model.output.activation,
        )
    )
    return rows


def count_params(model: ModelConfig, channels: int) -> int:
    """Total trainable parameters (the seed network on grey: 12,785)."""
    return sum(r.params for r in network_shapes(model, channels))
