"""Network geometry without TensorFlow: layer output shapes, "auto" padding, parameter counts.

Mirrors Keras 3's own formulas for Conv2D and Conv2DTranspose so that
`validate` and `list` can say which layer breaks a network, and how to fix
it, in milliseconds. Works at any image size (the data's size; 24x24 for
cpunks10k).

Decoder layer i mirrors encoder layer n_dec - 1 - i: the last decoder layer
mirrors the first encoder layer (so it gives back the image's size), the one
before it the second, and so on; with as many decoder as encoder layers that is
encoder n - 1 - i. `output_padding = "auto"` on a decoder layer is the value
that makes it give back exactly the size its mirrored encoder layer took in.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from punkforge.recipe.sections import Layer, ModelConfig

SIZE = 24
MAX_KERNEL = 24  # as sections.MAX_KERNEL; a fix is only suggested within the recipe's limits
Size = tuple[int, int]


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


def _fmt(shape: tuple[int, ...]) -> str:
    return "x".join(map(str, shape))


def _toml(v: Any) -> str:
    if v is None:
        return "none"
    return str(v[0]) if v[0] == v[1] else f"[{v[0]}, {v[1]}]"


def _deconv(hw: Size, layer: Layer, op: Any) -> Size:
    (kh, kw), (sh, sw) = layer.kernel, layer.strides
    o = op if isinstance(op, tuple) else None
    return (
        deconv_out(hw[0], kh, sh, layer.padding, o[0] if o else None),
        deconv_out(hw[1], kw, sw, layer.padding, o[1] if o else None),
    )


def _conv(hw: Size, layer: Layer) -> Size:
    (kh, kw), (sh, sw) = layer.kernel, layer.strides
    return conv_out(hw[0], kh, sh, layer.padding), conv_out(hw[1], kw, sw, layer.padding)


def _vanished(
    key: str, kind: str, layer: Layer, before: Size, after: Size, trace: str
) -> ShapeError:
    (kh, kw), (sh, sw) = layer.kernel, layer.strides
    return ShapeError(
        f"model.{key}",
        f"{kind} with kernel {kh}x{kw}, strides {sh}x{sw}, padding '{layer.padding}' turns "
        f"{_fmt(before)} into {_fmt(after)}: the image has vanished (shapes: {trace}). Use a "
        'smaller kernel or stride, padding = "same", or fewer layers.',
    )


def mirrored(model: ModelConfig, i: int) -> int | None:
    """The encoder layer decoder layer i mirrors, or None (more decoder than encoder layers)."""
    j = len(model.decoder) - 1 - i
    return j if 0 <= j < len(model.encoder) else None


def _auto(hw: Size, kernel: Size, strides: Size, padding: str, target: Size) -> Size | None:
    """The output_padding (None: Keras' default) giving `target` from `hw`; raises ValueError.

    Keras takes None or a value for both axes, so None only when both axes fit it.
    """
    if all(deconv_out(n, k, s, padding, None) == t
           for n, k, s, t in zip(hw, kernel, strides, target, strict=True)):  # fmt: skip
        return None
    ops = []
    for n, k, s, t in zip(hw, kernel, strides, target, strict=True):
        need = t - deconv_out(n, k, s, padding, 0)
        if not 0 <= need < s:
            raise ValueError
        ops.append(need)
    return (ops[0], ops[1])


def _kernel_fix(hw: Size, layer: Layer, target: Size) -> str:
    """'kernel = K': the nearest kernel with which "auto" reaches target, or ''."""
    kernels = range(1, MAX_KERNEL + 1)
    explicit, default = [], []  # per axis: kernels an output_padding fits / Keras' default fits
    for n, s, t in zip(hw, layer.strides, target, strict=True):
        explicit.append([k for k in kernels
                         if 0 <= t - deconv_out(n, k, s, layer.padding, 0) < s])  # fmt: skip
        default.append([k for k in kernels if deconv_out(n, k, s, layer.padding, None) == t])
    pairs = [*itertools.product(*explicit), *itertools.product(*default)]
    if not pairs:
        return ""
    kh, kw = layer.kernel
    best = min(pairs, key=lambda x: (abs(x[0] - kh) + abs(x[1] - kw), x))
    return f"kernel = {_toml(best)}"


def resolve_output_padding(model: ModelConfig, size: Size) -> ModelConfig:
    """`model` with every decoder output_padding "auto" replaced by its value at `size`.

    The value (None, Keras' default, when that fits; else [h, w], each below the
    strides) makes the layer give back exactly what its mirrored encoder layer
    took in. Raises ShapeError naming the layer when no output_padding can, when
    the layer mirrors no encoder layer, or when the image vanishes on the way.
    """
    if not any(x.output_padding == "auto" for x in model.decoder):
        return model
    ins: list[Size] = [size]
    trace = [f"input {_fmt(size)}"]
    for i, layer in enumerate(model.encoder):
        nxt = _conv(ins[-1], layer)
        trace.append(f"encoder[{i}] {_fmt(nxt)}")
        if min(nxt) < 1:
            raise _vanished(f"encoder[{i}]", "Conv2D", layer, ins[-1], nxt, " -> ".join(trace))
        ins.append(nxt)
    hw = ins[-1]
    decoder = []
    for i, layer in enumerate(model.decoder):
        op = layer.output_padding
        if op == "auto":
            j = mirrored(model, i)
            if j is None:
                raise ShapeError(
                    f"model.decoder[{i}].output_padding",
                    f'"auto" needs a mirrored encoder layer, but decoder[{i}] has none: the '
                    f"decoder has {len(model.decoder)} layers and the encoder "
                    f"{len(model.encoder)}, and decoder layer i mirrors encoder layer "
                    f"{len(model.decoder) - 1} - i. Give it a number (e.g. output_padding = 0) "
                    "or remove it.",
                )
            target = ins[j]
            try:
                op = _auto(hw, layer.kernel, layer.strides, layer.padding, target)
            except ValueError:
                (kh, kw), (sh, sw) = layer.kernel, layer.strides
                lo = (_deconv(hw, layer, (0, 0)), _deconv(hw, layer, (sh - 1, sw - 1)))
                fix = _kernel_fix(hw, layer, target)
                fix = f"Give it {fix}" if fix else "Change its strides or padding"
                raise ShapeError(
                    f"model.decoder[{i}].output_padding",
                    f'"auto" cannot give back {_fmt(target)}, the size encoder[{j}] took in: '
                    f"from {_fmt(hw)} this Conv2DTranspose (kernel {kh}x{kw}, strides "
                    f"{sh}x{sw}, padding '{layer.padding}') gives {_fmt(lo[0])} to "
                    f"{_fmt(lo[1])} with output_padding 0 to {_toml((sh - 1, sw - 1))} "
                    f"(shapes: {' -> '.join(trace)}). {fix}, or make encoder[{j}] its mirror.",
                ) from None
            layer = layer.model_copy(update={"output_padding": op})
        nxt = _deconv(hw, layer, layer.output_padding)
        trace.append(f"decoder[{i}] {_fmt(nxt)}")
        if min(nxt) < 1:
            raise _vanished(f"decoder[{i}]", "Conv2DTranspose", layer, hw, nxt, " -> ".join(trace))
        hw = nxt
        decoder.append(layer)
    return model.model_copy(update={"decoder": tuple(decoder)})


def _final(model: ModelConfig, size: Size, at: int, **change: Any) -> Size | None:
    """The decoder's output size with decoder[at] changed, or None if it vanishes."""
    hw = size
    for layer in model.encoder:
        hw = _conv(hw, layer)
    for i, layer in enumerate(model.decoder):
        if i == at:
            layer = layer.model_copy(update=change)
        hw = _deconv(hw, layer, layer.output_padding)
        if min(hw) < 1:
            return None
    return hw


def _candidates(layer: Layer) -> Iterator[Any]:
    yield None
    sh, sw = layer.strides
    yield from itertools.product(range(sh), range(sw))


def _size_fix(model: ModelConfig, size: Size) -> str:
    """The smallest change that makes the network give back `size`, in words."""
    for i in reversed(range(len(model.decoder))):
        layer = model.decoder[i]
        for op in _candidates(layer):
            if op != layer.output_padding and _final(model, size, i, output_padding=op) == size:
                what = (
                    "remove its output_padding" if op is None else f"output_padding = {_toml(op)}"
                )
                return f"Fix: on model.decoder[{i}], {what}."
    last = len(model.decoder) - 1
    layer = model.decoder[last]
    (kh, kw), op = layer.kernel, layer.output_padding
    for k in sorted(itertools.product(range(1, MAX_KERNEL + 1), repeat=2),
                    key=lambda x: abs(x[0] - kh) + abs(x[1] - kw)):  # fmt: skip
        if _final(model, size, last, kernel=k) == size:
            return (
                f"No output_padding can fix it; give model.decoder[{last}] kernel = "
                f"{_toml(k)}{'' if op is None else ' (and check its output_padding)'}."
            )
    return (
        "No output_padding or kernel of one layer can fix it. Make the decoder mirror the "
        "encoder: each valid kxk Conv2D takes k-1 pixels away and each valid kxk "
        "Conv2DTranspose gives k-1 back; a stride s divides the size by s and a transposed "
        "stride s multiplies it."
    )


def network_shapes(
    model: ModelConfig, channels: int, size: Size = (SIZE, SIZE)
) -> list[LayerShape]:
    """Every layer's output shape and parameter count for an (h, w, channels) input.

    "auto" output_padding is resolved first (`resolve_output_padding`). Raises
    ShapeError naming the layer when a size drops to zero or below, when
    output_padding is not smaller than the stride, or when the decoder does not
    give back `size` (with the computed fix).
    """
    model = resolve_output_padding(model, size)
    rows: list[LayerShape] = []
    h, w, c = size[0], size[1], channels
    trace = [f"input {_fmt((h, w, c))}"]

    def add(index: str, kind: str, layer: Layer, nh: int, nw: int) -> None:
        nonlocal h, w, c
        kh, kw = layer.kernel
        if nh < 1 or nw < 1:
            trace.append(f"{index} {nh}x{nw}")
            raise _vanished(index, kind, layer, (h, w), (nh, nw), " -> ".join(trace))
        params = kh * kw * c * layer.filters + layer.filters
        h, w, c = nh, nw, layer.filters
        trace.append(f"{index} {_fmt((h, w, c))}")
        rows.append(LayerShape(index, kind, (h, w, c), params, layer.activation))

    for i, layer in enumerate(model.encoder):
        add(f"encoder[{i}]", "Conv2D", layer, *_conv((h, w), layer))
    for i, layer in enumerate(model.decoder):
        op, (sh, sw) = layer.output_padding, layer.strides
        if op is not None and (op[0] >= sh or op[1] >= sw):
            raise ShapeError(
                f"model.decoder[{i}].output_padding",
                f"output_padding {list(op)} must be smaller than strides {[sh, sw]} "
                '(Keras refuses it otherwise); "auto" picks the value that fits.',
            )
        add(f"decoder[{i}]", "Conv2DTranspose", layer, *_deconv((h, w), layer, op))
    if (h, w) != tuple(size):
        fix = _size_fix(model, tuple(size)) if model.decoder else "Add decoder layers."  # type: ignore[arg-type]
        raise ShapeError(
            f"model.decoder[{len(model.decoder) - 1}]" if model.decoder else "model.decoder",
            f"the network gives back {h}x{w}, not {_fmt(size)} (shapes: {' -> '.join(trace)}). "
            + fix,
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


def count_params(model: ModelConfig, channels: int, size: Size = (SIZE, SIZE)) -> int:
    """Total trainable parameters (the seed network on grey: 12,785)."""
    return sum(r.params for r in network_shapes(model, channels, size))
