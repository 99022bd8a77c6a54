"""The epoch sprite sheet: every recorded epoch's sample in one small PNG.

`epochs.png` holds one row of tiles per epoch (top to bottom in the order of
`snapshots.npz`, epoch 0 first when recorded) and one column per sample image,
at one pixel per image pixel and with no gaps: the gallery's epoch scrubber
(`gallery/templates/scrubber.js`) cuts tiles out of it and draws them at a
whole-number scale. One file instead of one picture per epoch keeps a variant
page light (a 64-punk, 50-epoch grey run: about 0.5 MB, see
docs/rendering.md), and it loads from disk with no server.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from punkforge.files import atomic_path
from punkforge.rendering.compositing import to_rgb
from punkforge.rendering.png_codec import palettize, write_png
from punkforge.rendering.provenance import PREFIX, ImageProvenance

SPRITE = "epochs.png"


def make_epoch_sprite(snapshots: np.ndarray, background: str) -> np.ndarray:
    """(E, S, h, w, C) uint8 -> (E*h, S*w, 3) uint8: row e, column i is sample i at epoch e.

    Transparent pixels (RGBA runs) are composited over `background`, as in
    the progress animation.
    """
    e, s, h, w, _ = snapshots.shape
    rgb = to_rgb(snapshots.reshape(e * s, h, w, -1), background).reshape(e, s, h, w, 3)
    return np.ascontiguousarray(rgb.transpose(0, 2, 1, 3, 4).reshape(e * h, s * w, 3))


def save_epoch_sprite(
    snapshots: np.ndarray,
    background: str,
    folder: Path,
    provenance: ImageProvenance | None = None,
) -> Path:
    """Write folder/epochs.png and return it: 8-bit grey for a grey run, else a
    palette PNG when it has at most 256 colours, else RGB (the smallest exact one).
    `provenance` goes in as the same iTXt chunks every punkforge PNG carries.
    """
    sprite = make_epoch_sprite(snapshots, background)
    path = folder / SPRITE
    grey = bool((sprite[..., :1] == sprite).all())
    indexed = None if grey else palettize(sprite)
    with atomic_path(path) as tmp:
        if grey:  # one byte a pixel with Pillow's best filters: 15% under the palette PNG
            info = PngImagePlugin.PngInfo()
            for f, text in provenance.fields().items() if provenance is not None else ():
                info.add_itxt(PREFIX + f, text, zip=f == "recipe")
            Image.fromarray(sprite[..., 0], "L").save(tmp, "PNG", optimize=True, pnginfo=info)
        else:
            with open(tmp, "wb") as fh:
                if indexed is None:
                    write_png(fh, sprite, provenance=provenance)
                else:
                    write_png(fh, indexed[0], palette=indexed[1], provenance=provenance)
    return path
