"""Which files a page shows and links, and the attributes of each picture.

A variant card shows the poster, the progress GIF and the loss curve, plus any
extra art its folder holds. Extra art is found in the variant's manifest.json
"files" (what punkforge itself wrote), never by listing the folder: files a
user keeps there are not ours to show. A stage that makes new art only has to
write files whose names match EXTRA_ART; each becomes a figure on the card.
"""

from __future__ import annotations

import struct
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, NamedTuple

from punkforge import files, records
from punkforge.errors import RunError
from punkforge.gallery.templating import href

# (file name pattern, kind), in the order figures appear on a card. Files that
# share a stem (morph-a-b.gif and morph-a-b.webp) make one figure: the first
# pattern shows it, the others are linked beside it.
EXTRA_ART = (
    ("morph-*.gif", "image"),
    ("morph-*.webp", "image"),
    ("morph-*.mp4", "video"),
    ("feedback.png", "image"),
    ("feedback.gif", "image"),
    ("feedback.webp", "image"),
    ("feedback.mp4", "video"),
    ("bend-*.gif", "image"),
    ("bend-*.webp", "image"),
    ("bend-*.mp4", "video"),
    ("map.png", "image"),  # the latent map poster, always a PNG (rendering/latent_map.py)
    ("map.tiff", "image"),
    ("map.pdf", "image"),
    ("grid-*.png", "image"),
)


class Figure(NamedTuple):
    """One piece of extra art: a caption, its path in the variant folder, how to show it."""

    label: str
    path: str  # relative to the variant folder, '/'-separated
    kind: str  # "image" | "video"
    also: tuple[str, ...] = ()  # the same art in other formats, relative paths


def manifest_files(folder: Path) -> list[str]:
    """The relative paths manifest.json lists ([] when missing or unreadable)."""
    try:
        m = files.read_record_or_none(folder / "manifest.json", records.Manifest)
    except RunError:  # a link: never followed, and the page simply shows no extra art
        return []
    return list(m.files) if m is not None else []


def extra_figures(folder: Path) -> list[Figure]:
    """The extra art of a variant folder, from its manifest, in EXTRA_ART order."""
    listed = [p for p in manifest_files(folder) if "/" not in p and (folder / p).is_file()]
    by_stem: dict[str, list[tuple[int, str, str]]] = {}
    for name in listed:
        rank = next((i for i, (pat, _) in enumerate(EXTRA_ART) if fnmatchcase(name, pat)), None)
        if rank is not None:
            by_stem.setdefault(Path(name).stem, []).append((rank, name, EXTRA_ART[rank][1]))
    out = []
    for stem, found in sorted(by_stem.items(), key=lambda kv: (min(kv[1])[0], kv[0])):
        found.sort()
        _, name, kind = found[0]
        out.append(Figure(stem, name, kind, tuple(n for _, n, _ in found[1:])))
    return out


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG, GIF or WebP header, or None (no Pillow needed)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(30)
    except OSError:
        return None
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        return struct.unpack(">II", head[16:24])
    if head[:4] == b"GIF8":
        return struct.unpack("<HH", head[6:10])
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _webp_size(head)
    return None


def _webp_size(head: bytes) -> tuple[int, int] | None:
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:
        w = int.from_bytes(head[24:27], "little") + 1
        return w, int.from_bytes(head[27:30], "little") + 1
    if chunk == b"VP8 " and len(head) >= 30:
        w, h = struct.unpack("<HH", head[26:30])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and len(head) >= 25:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def picture(page_dir: Path, path: Path, alt: str, unit: int = 0, zoom: int = 1) -> dict[str, Any]:
    """An <img>'s attributes for `path`, linked from a page in `page_dir`.

    `unit` > 0 marks pixel art with `unit` image pixels per punk pixel: the page
    script shows it at a whole number of screen pixels per punk pixel, at most
    `zoom` times the file's own size.
    """
    size = image_size(path)
    return {
        "src": href(*path.relative_to(page_dir).parts),
        "alt": alt,
        "width": size[0] if size else None,
        "height": size[1] if size else None,
        "unit": unit,
        "zoom": zoom,
    }


def link(page_dir: Path, path: Path, label: str) -> dict[str, Any] | None:
    """A file link (label, href, size) when `path` is a file, else None."""
    if not path.is_file():
        return None
    return {
        "label": label,
        "href": href(*path.relative_to(page_dir).parts),
        "size": path.stat().st_size,
    }
