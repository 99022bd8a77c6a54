"""What an image says about itself: the recipe that made it, in the format's own metadata.

Every picture punkforge writes carries an `ImageProvenance`: the variant's
resolved recipe (the text of its `recipe.toml`), the punkforge version, the
data's fingerprint and the variant's name. The pipeline builds it once per
variant and hands it down to the writers as a parameter; this module turns it
into each format's metadata and reads it back:

- PNG: iTXt chunks `punkforge:recipe` (deflated), `punkforge:version`,
  `punkforge:data` and `punkforge:variant` (`png_chunks`);
- TIFF: an XMP packet in tag 700 (`xmp_packet`), the TIFF convention;
- PDF: document-information entries `/PunkforgeRecipe`, `/PunkforgeVersion`,
  `/PunkforgeData`, `/PunkforgeVariant` (UTF-16 text strings, `pdf_info_entries`);
- GIF: a comment extension holding the same XMP packet;
- WebP: its XMP chunk, the same packet.

MP4 carries nothing. `read_provenance` reads any of these back (never
importing TensorFlow); a file punkforge did not make gives None, a damaged
one a `PunkforgeError` in one paragraph.
"""

from __future__ import annotations

import functools
import html
import re
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from punkforge.errors import PunkforgeError

PREFIX = "punkforge:"
FIELDS = ("recipe", "version", "data", "variant")  # the stored names, in file order
PDF_KEYS = {f: f"Punkforge{f.title()}" for f in FIELDS}  # /PunkforgeRecipe ...
XMP_NS = "https://github.com/punkforge/punkforge/ns/1.0/"
MAX_TEXT = 1 << 20  # a stored recipe is a few KB; refuse to inflate more than this
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class ImageProvenance:
    """What made a picture: the resolved recipe TOML, punkforge's version, the data, the variant."""

    recipe_toml: str
    version: str
    data_fingerprint: str
    variant: str = ""

    def fields(self) -> dict[str, str]:
        """Stored name (after `punkforge:`) -> text, in file order."""
        return {
            "recipe": self.recipe_toml,
            "version": self.version,
            "data": self.data_fingerprint,
            "variant": self.variant,
        }

    @functools.cached_property
    def png_chunks(self) -> tuple[bytes, ...]:
        """The iTXt chunk bodies (keyword, flags, text), made once for the 1000 series PNGs."""
        items = self.fields().items()
        return tuple(_itxt(PREFIX + f, text, compress=f == "recipe") for f, text in items)

    @functools.cached_property
    def xmp_packet(self) -> bytes:
        """An XMP packet with the four fields as `punkforge:` properties (UTF-8)."""
        props = "".join(
            f"<punkforge:{f}>{html.escape(text, quote=False)}</punkforge:{f}>"
            for f, text in self.fields().items()
        )
        return (
            '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
            'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'<rdf:Description rdf:about="" xmlns:punkforge="{XMP_NS}">{props}'
            '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="r"?>'
        ).encode()

    def pdf_info_entries(self) -> str:
        """The document-information entries, each text a UTF-16BE hex string (PDF's Unicode)."""
        return " ".join(
            f"/{PDF_KEYS[f]} <FEFF{text.encode('utf-16-be').hex().upper()}>"
            for f, text in self.fields().items()
        )


def _itxt(keyword: str, text: str, compress: bool) -> bytes:
    """An iTXt chunk body: keyword, compression flag and method, empty language and translation."""
    data = text.encode()
    if compress:
        data = zlib.compress(data, 9)
    return keyword.encode("latin-1") + b"\x00" + bytes([int(compress), 0]) + b"\x00\x00" + data


# ---------------------------------------------------------------- reading


def read_provenance(path: Path) -> ImageProvenance | None:
    """What the image at `path` says made it, or None when it has no punkforge metadata.

    PNG, TIFF, PDF, GIF and WebP are read; anything else, or a damaged file,
    raises PunkforgeError with one paragraph.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as err:
        raise PunkforgeError(f"{path}: cannot read it ({err.strerror or err}).") from None
    if head.startswith(_PNG_SIGNATURE):
        fields = _png_fields(path)
    elif head.startswith(b"%PDF-"):
        fields = _pdf_fields(path)
    elif head[:4] in (b"II*\x00", b"MM\x00*"):
        fields = _xmp_fields(_tiff_xmp(path))
    elif head[:6] in (b"GIF87a", b"GIF89a") or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        fields = _xmp_fields(_pillow_xmp(path, "comment" if head[:3] == b"GIF" else "xmp"))
    else:
        raise PunkforgeError(
            f"{path} is not a PNG, TIFF, PDF, GIF or WebP image, the formats punkforge "
            "writes, so it cannot say what made it."
        )
    return _provenance(path, fields)


def _provenance(path: Path, fields: dict[str, str]) -> ImageProvenance | None:
    """The fields as an ImageProvenance; None when there is no recipe among them."""
    if "recipe" not in fields:
        return None
    if "version" not in fields:
        raise PunkforgeError(
            f"{path}: its punkforge metadata is incomplete (a recipe but no version); the "
            "file was changed after punkforge wrote it."
        )
    return ImageProvenance(fields["recipe"], fields["version"], fields.get("data", ""),
                           fields.get("variant", ""))  # fmt: skip


def _damaged(path: Path, what: str) -> PunkforgeError:
    return PunkforgeError(
        f"{path}: {what}; the file is damaged or cut short (an interrupted copy or download?). "
        "Copy it again from where it was made."
    )


def _png_fields(path: Path) -> dict[str, str]:
    """The punkforge iTXt chunks of a PNG, walking every chunk (and checking each CRC) to IEND."""
    fields: dict[str, str] = {}
    with open(path, "rb") as fh:
        fh.seek(len(_PNG_SIGNATURE))
        while True:
            head = fh.read(8)
            if len(head) < 8:
                raise _damaged(path, "the PNG ends before its IEND chunk")
            length, kind = struct.unpack(">I4s", head)
            if kind != b"iTXt":  # only the text chunks are read; the pixels are skipped
                fh.seek(length, 1)
                if len(fh.read(4)) < 4:
                    raise _damaged(path, "the PNG ends inside its image data")
                if kind == b"IEND":
                    return fields
                continue
            body, crc = fh.read(length), fh.read(4)
            if len(body) < length or len(crc) < 4:
                raise _damaged(path, "the PNG ends inside a text chunk")
            if struct.unpack(">I", crc)[0] != zlib.crc32(body, zlib.crc32(kind)):
                raise _damaged(path, "a text chunk of the PNG fails its checksum")
            _read_itxt(path, body, fields)


def _read_itxt(path: Path, body: bytes, fields: dict[str, str]) -> None:
    """Add a `punkforge:` iTXt chunk's text to fields (others are ignored)."""
    keyword, _, rest = body.partition(b"\x00")
    name = keyword.decode("latin-1")
    if not name.startswith(PREFIX) or name[len(PREFIX) :] not in FIELDS or len(rest) < 2:
        return
    compressed = rest[0] == 1
    _lang, _, rest = rest[2:].partition(b"\x00")
    _translated, _, data = rest.partition(b"\x00")
    try:
        if compressed:
            inflate = zlib.decompressobj()
            data = inflate.decompress(data, MAX_TEXT)
            if inflate.unconsumed_tail:
                raise _damaged(path, f"its {name} text is implausibly large")
        fields[name[len(PREFIX) :]] = data.decode()
    except (zlib.error, UnicodeDecodeError):
        raise _damaged(path, f"its {name} text does not decode") from None


_PDF_ENTRY = re.compile(rb"/(Punkforge(?:Recipe|Version|Data|Variant))\s*<([0-9A-Fa-f\s]*)>")


def _pdf_fields(path: Path) -> dict[str, str]:
    """The /Punkforge* entries of the document information punkforge writes at the PDF's end."""
    data = path.read_bytes()
    if b"%%EOF" not in data[-1024:]:
        raise _damaged(path, "the PDF has no end-of-file marker")
    names = {v: k for k, v in PDF_KEYS.items()}
    fields = {}
    for key, hexed in _PDF_ENTRY.findall(data):
        raw = bytes.fromhex(re.sub(rb"\s", b"", hexed).decode())
        try:
            fields[names[key.decode()]] = raw.decode("utf-16")  # the FEFF mark sets the order
        except UnicodeDecodeError:
            raise _damaged(path, f"its /{key.decode()} text does not decode") from None
    return fields


def _tiff_xmp(path: Path) -> bytes:
    """The TIFF's XMP packet (tag 700), or b'' when it has none."""
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            tag = tif.pages.first.tags.get(700)
            value = b"" if tag is None else tag.value
    except (tifffile.TiffFileError, OSError, ValueError, struct.error) as err:
        raise _damaged(path, f"the TIFF does not read ({err})") from None
    return bytes(value) if isinstance(value, (bytes, bytearray)) else str(value).encode()


def _pillow_xmp(path: Path, key: str) -> bytes:
    """The GIF's comment or the WebP's XMP chunk, through Pillow (b'' when absent)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            value = im.info.get(key, b"")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise _damaged(path, f"the image does not read ({err})") from None
    return value if isinstance(value, bytes) else str(value).encode()


_XMP_PROP = re.compile(r"<punkforge:(\w+)>(.*?)</punkforge:\1>", re.DOTALL)


def _xmp_fields(packet: bytes) -> dict[str, str]:
    """The `punkforge:` properties of an XMP packet (as `xmp_packet` writes them)."""
    text = packet.decode("utf-8", "replace")
    return {k: html.unescape(v) for k, v in _XMP_PROP.findall(text) if k in FIELDS}
