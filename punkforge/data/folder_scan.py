"""A folder of the user's own images, checked from file headers alone.

`inspect_folder(cfg)` walks `[data] source` (recursively, in sorted order),
reads each image's size from its header with Pillow (no pixels are decoded),
decides the data's size (`size = "auto"` or `[h, w]`) and what `fit` does
to every image, and checks the split. Every mistake a user can make (a
missing or empty folder, a corrupt file, mixed sizes under `fit = "refuse"`,
images over 256x256, more than 200,000 files, too few images to split) is a
`RecipeError` (exit 2) with one paragraph naming the file and the fix. This
module never writes anything and never imports TensorFlow, so `validate` uses
it. Decoding, the cache and the split live in `images`.
"""

from __future__ import annotations

import collections
import os
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from punkforge.errors import RecipeError
from punkforge.recipe.sections import MAX_FOLDER_IMAGES, MAX_SIZE, MIN_SIZE, DataConfig

EXTENSIONS = frozenset({".png", ".gif", ".webp", ".bmp", ".jpg", ".jpeg"})
MIN_SIDE, MAX_SIDE = MIN_SIZE, MAX_SIZE  # the recipe's limits on data.size
MAX_FILES = MAX_FOLDER_IMAGES
SHOWN = 10  # files named in an error message before "and N more"

Size = tuple[int, int]  # (h, w)


@dataclass(frozen=True)
class ImageFile:
    """One image file: its path, its path relative to the folder, and its stat."""

    path: Path
    rel: str
    bytes: int
    mtime_ns: int


@dataclass(frozen=True)
class FolderInfo:
    """What a folder holds and what loading it will do.

    sizes[i] is files[i]'s (h, w); `size` is the data's (h, w); n_test and
    n_train are the split before train_limit/test_limit; `actions` counts
    images per what `fit` does to them ("as is", "padded", "cropped", "resized").
    """

    folder: Path
    files: tuple[ImageFile, ...]
    sizes: tuple[Size, ...]
    size: Size
    fit: str
    n_test: int
    n_train: int
    actions: dict[str, int]

    @property
    def signature(self) -> tuple[tuple[str, int, int], ...]:
        """Names, byte sizes and modification times: changes whenever a file does."""
        return tuple((f.rel, f.bytes, f.mtime_ns) for f in self.files)


def _where(source: str, recipe: str) -> str:
    return f"{recipe}: data.source = {source}" if recipe else f"data.source = {source}"


def scan(folder: Path, where: str) -> list[ImageFile]:
    """Image files under `folder`, recursively, sorted by relative path (hidden ones skipped)."""
    if not folder.exists():
        raise RecipeError(
            f"{where}: the folder does not exist. Fix: check the path (a relative path is "
            'read from the recipe file\'s folder), or use source = "cpunks10k".'
        )
    if not folder.is_dir():
        raise RecipeError(f"{where}: this is a file, not a folder. Fix: name the folder of images.")
    found: list[ImageFile] = []
    top = str(folder)
    # plain strings and os.stat: pathlib costs more than the stat on big folders
    for root, dirs, names in os.walk(top):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        rel_root = os.path.relpath(root, top).replace(os.sep, "/")
        prefix = "" if rel_root == "." else rel_root + "/"
        for name in names:
            if name.startswith(".") or os.path.splitext(name)[1].lower() not in EXTENSIONS:
                continue
            full = os.path.join(root, name)
            try:
                st = os.stat(full)
            except OSError as err:
                raise RecipeError(
                    f"{where}: cannot read {full} ({err.strerror}). Fix: check its "
                    "permissions, or move it out of the folder."
                ) from None
            found.append(ImageFile(Path(full), prefix + name, st.st_size, st.st_mtime_ns))
            if len(found) > MAX_FILES:
                raise RecipeError(
                    f"{where}: more than {MAX_FILES:,} images; the limit is {MAX_FILES:,}. "
                    "Fix: point data.source at a smaller folder (a subfolder, or a copy "
                    "of the images you want)."
                )
    if not found:
        raise RecipeError(
            f"{where}: no images in this folder (or its subfolders). punkforge reads "
            f"{', '.join(sorted(e.lstrip('.') for e in EXTENSIONS))} files. Fix: put your "
            "images there, or point data.source at the folder that holds them."
        )
    found.sort(key=lambda f: f.rel)
    return found


def corrupt_error(where: str, f: ImageFile, why: str) -> RecipeError:
    return RecipeError(
        f"{where}: {f.rel} is not a readable image ({why}). Fix: open and re-save it in "
        "an image editor, or move it out of the folder."
    )


def read_size(f: ImageFile, where: str) -> Size:
    """(h, w) from the image's header; the pixels are not decoded."""
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(f.path) as im:
                w, h = im.size
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as err:
        raise corrupt_error(where, f, str(err) or type(err).__name__) from None
    return h, w


def _listing(items: list[str]) -> str:
    shown = ", ".join(items[:SHOWN])
    return shown + (f" and {len(items) - SHOWN:,} more" if len(items) > SHOWN else "")


def _fmt(size: Size) -> str:
    return f"{size[0]}x{size[1]}"


def choose_size(cfg: DataConfig, sizes: list[Size], files: list[ImageFile], where: str) -> Size:
    """The data's (h, w): the explicit size, or under "auto" the size every image shares.

    Mixed sizes under "auto": pad takes the largest height and width, crop the
    smallest, nearest the most common size.
    """
    if not isinstance(cfg.size, str):
        return (int(cfg.size[0]), int(cfg.size[1]))
    counts = collections.Counter(sizes)
    if len(counts) == 1:
        return sizes[0]
    big = (max(s[0] for s in sizes), max(s[1] for s in sizes))
    small = (min(s[0] for s in sizes), min(s[1] for s in sizes))
    if cfg.fit == "pad":
        return big
    if cfg.fit == "crop":
        return small
    if cfg.fit == "nearest":
        return counts.most_common(1)[0][0]
    common = counts.most_common(1)[0][0]
    odd = [f"{f.rel} ({_fmt(s)})" for f, s in zip(files, sizes, strict=True) if s != common]
    raise RecipeError(
        f"{where}: the images are not all one size ({len(counts)} sizes; {len(odd):,} differ "
        f'from the most common, {_fmt(common)}: {_listing(odd)}), and data.fit = "refuse". '
        f'Fix: fit = "pad" (centred on a transparent {_fmt(big)} canvas), fit = "crop" '
        f'(centred {_fmt(small)}), or fit = "nearest" with size = [{common[0]}, {common[1]}] '
        "(nearest-neighbour resize); or make the images one size."
    )


def plan_fit(
    cfg: DataConfig, size: Size, sizes: list[Size], files: list[ImageFile], where: str
) -> dict[str, int]:
    """How many images `fit` leaves as is, pads, crops or resizes; refuse what it cannot do."""
    actions: collections.Counter[str] = collections.Counter()
    bad: list[str] = []
    for f, s in zip(files, sizes, strict=True):
        if s == size:
            actions["as is"] += 1
        elif cfg.fit == "nearest":
            actions["resized"] += 1
        elif cfg.fit == "pad" and s[0] <= size[0] and s[1] <= size[1]:
            actions["padded"] += 1
        elif cfg.fit == "crop" and s[0] >= size[0] and s[1] >= size[1]:
            actions["cropped"] += 1
        else:
            bad.append(f"{f.rel} ({_fmt(s)})")
    if bad:
        what = {
            "refuse": "are not",
            "pad": "are larger than (or not inside)",
            "crop": "are smaller than (or not around)",
        }[cfg.fit]
        other = {"refuse": '"pad", "crop" or "nearest"', "pad": '"nearest" or "crop"',
                 "crop": '"nearest" or "pad"'}[cfg.fit]  # fmt: skip
        raise RecipeError(
            f"{where}: {len(bad):,} images {what} data.size {_fmt(size)} under "
            f'data.fit = "{cfg.fit}": {_listing(bad)}. Fix: fit = {other}, another size '
            '(size = "auto" picks one for pad, crop and nearest), or resize the images.'
        )
    return dict(actions)


def split_counts(n: int, test_fraction: float, where: str) -> tuple[int, int]:
    """(n_test, n_train): round(n * test_fraction), at least 1 when the fraction is > 0."""
    n_test = max(1, round(n * test_fraction)) if test_fraction > 0 else 0
    n_train = n - n_test
    if n_test < 1 or n_train < 2:
        raise RecipeError(
            f"{where}: {n} image{'s' if n != 1 else ''} with data.test_fraction = "
            f"{test_fraction} gives {n_test} test and {n_train} training images; punkforge "
            "needs at least 1 test and 2 training images. Fix: add images (3 or more), "
            "or set data.test_fraction between 0 and 0.9 so both sets get some."
        )
    return n_test, n_train


def inspect_folder(
    cfg: DataConfig,
    recipe: str = "",
    found: list[ImageFile] | None = None,
    sizes: list[Size] | None = None,
) -> FolderInfo:
    """Check `cfg.source` from headers alone; see the module docstring for what is refused.

    `found` (from `scan`) and `sizes` (from decoded images) skip those steps.
    """
    where = _where(cfg.source, recipe)
    folder = Path(cfg.source)
    files = found if found is not None else scan(folder, where)
    if sizes is None:
        sizes = [read_size(f, where) for f in files]
    big = [f"{f.rel} ({_fmt(s)})" for f, s in zip(files, sizes, strict=True)
           if s[0] > MAX_SIDE or s[1] > MAX_SIDE]  # fmt: skip
    if big:
        raise RecipeError(
            f"{where}: {len(big):,} images are over {MAX_SIDE}x{MAX_SIDE}, the largest size "
            f"punkforge trains on: {_listing(big)}. Fix: scale them down (nearest-neighbour "
            "keeps pixel art crisp) or move them out of the folder."
        )
    size = choose_size(cfg, sizes, files, where)
    if not (MIN_SIDE <= size[0] <= MAX_SIDE and MIN_SIDE <= size[1] <= MAX_SIDE):
        raise RecipeError(
            f"{where}: the data's size would be {_fmt(size)}; sizes from {MIN_SIDE}x{MIN_SIDE} "
            f"to {MAX_SIDE}x{MAX_SIDE} work. Fix: set data.size = [h, w] in that range with "
            'fit = "pad" or "nearest".'
        )
    actions = plan_fit(cfg, size, sizes, files, where)
    n_test, n_train = split_counts(len(files), cfg.test_fraction, where)
    return FolderInfo(folder, tuple(files), tuple(sizes), size, cfg.fit, n_test, n_train, actions)


SAFE = re.compile(r"[^a-z0-9_-]+")


def image_ids(files: list[ImageFile] | tuple[ImageFile, ...]) -> list[str]:
    """Each file's id: its stem made safe for file names and unique.

    The stem is lower-cased, every run of characters other than a-z 0-9 _ -
    becomes one "-", leading/trailing "-" are dropped ("image" if nothing is
    left). When two files get the same id (in sorted path order) the later
    ones get "-2", "-3", ... (the first free number).
    """
    seen: set[str] = set()
    out = []
    for f in files:
        base = SAFE.sub("-", Path(f.rel).stem.lower()).strip("-") or "image"
        name, k = base, 1
        while name in seen:
            k += 1
            name = f"{base}-{k}"
        seen.add(name)
        out.append(name)
    return out


def describe_folder(info: FolderInfo) -> str:
    """One line for `validate`: count, sizes, the data's size and what fit does."""
    counts = collections.Counter(info.sizes)
    sizes = ", ".join(f"{_fmt(s)} x{n:,}" for s, n in counts.most_common(3))
    if len(counts) > 3:
        sizes += f", {len(counts) - 3} more sizes"
    acts = ", ".join(f"{n:,} {a}" for a, n in info.actions.items())
    return (
        f"{info.folder}: {len(info.files):,} images ({sizes}) -> {_fmt(info.size)} "
        f"(fit {info.fit}: {acts}); {info.n_train:,} training, {info.n_test:,} test"
    )
