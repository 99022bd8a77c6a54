"""A minimal, lossless one-page PDF holding a poster image.

Pillow's PDF writer stores RGB as JPEG (/DCTDecode), which smears pixel art:
`bench/render_speed.py --parts` decodes its image stream of an 18x24in poster
at 300 dpi and finds pixels off by up to 44 levels (2.2 on average), where
ours is exact (Pillow is faster, 0.87 vs 1.32 s, by being lossy). So we write
the file ourselves: one page whose MediaBox is the poster in points (72 per
inch), TrimBox and BleedBox for the printer, and one 8-bit RGB image XObject
drawn to fill the page. The image stream is the PNG-filtered, deflated stream
from `encode.deflate_rows` (FlateDecode with /Predictor 12), in an ICCBased
sRGB colour space. The document information holds the title and, with a
`provenance`, the recipe that made the poster (`/PunkforgeRecipe` ...).
"""

from __future__ import annotations

import zlib
from typing import BinaryIO

from punkforge.rendering.png_codec import srgb_icc
from punkforge.rendering.provenance import ImageProvenance


def _num(x: float) -> str:
    """A PDF number: up to 4 decimals, no exponent, no trailing zeros."""
    text = f"{x:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def write_pdf(
    fh: BinaryIO,
    width: int,
    height: int,
    dpi: int,
    idat: list[bytes],
    *,
    bleed: int = 0,
    title: str = "",
    provenance: ImageProvenance | None = None,
) -> None:
    """Write a one-page PDF of a (height, width) RGB image at `dpi` to an open file.

    `idat` is `encode.deflate_rows(pixels)` for (height, width, 3) uint8 pixels;
    `bleed` (px on every side) sets the TrimBox inside the MediaBox.
    """
    pt = 72.0 / dpi
    w_pt, h_pt = width * pt, height * pt
    media = f"[0 0 {_num(w_pt)} {_num(h_pt)}]"
    b = bleed * pt
    trim = f"[{_num(b)} {_num(b)} {_num(w_pt - b)} {_num(h_pt - b)}]"
    icc = zlib.compress(srgb_icc(), 9)
    content = f"q {_num(w_pt)} 0 0 {_num(h_pt)} 0 0 cm /Im0 Do Q".encode()
    image_len = sum(len(p) for p in idat)

    pdf = _Objects(fh)
    pdf.out(b"%PDF-1.6\n%\xe2\xe3\xcf\xd3\n")
    pdf.obj(b"<< /Type /Catalog /Pages 2 0 R >>")
    pdf.obj(b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    pdf.obj(
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox {media} /BleedBox {media} "
            f"/TrimBox {trim} /Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>"
        ).encode()
    )
    pdf.obj(f"<< /Length {len(content)} >>".encode(), [content])
    pdf.obj(
        (
            f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} "
            f"/ColorSpace [/ICCBased 6 0 R] /BitsPerComponent 8 /Interpolate false "
            f"/Filter /FlateDecode /DecodeParms << /Predictor 12 /Colors 3 "
            f"/BitsPerComponent 8 /Columns {width} >> /Length {image_len} >>"
        ).encode(),
        idat,
    )
    pdf.obj(
        f"<< /N 3 /Alternate /DeviceRGB /Filter /FlateDecode /Length {len(icc)} >>".encode(),
        [icc],
    )
    made_by = "" if provenance is None else " " + provenance.pdf_info_entries()
    pdf.obj(f"<< /Title ({_pdf_text(title)}) /Producer (punkforge){made_by} >>".encode())
    pdf.finish(root=1, info=7)


def _pdf_text(text: str) -> str:
    """`text` as the inside of a PDF literal string: Latin-1, with \\, ( and ) escaped."""
    safe = text.encode("latin-1", "replace").decode("latin-1")
    return safe.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


class _Objects:
    """Numbered PDF objects written one after another; each offset is kept for the xref."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.pos = 0
        self.offsets: list[int] = []

    def out(self, data: bytes) -> None:
        self.fh.write(data)
        self.pos += len(data)

    def obj(self, body: bytes, stream: list[bytes] | None = None) -> None:
        """The next object (numbered from 1), with a stream of `stream`'s pieces if given."""
        self.offsets.append(self.pos)
        self.out(f"{len(self.offsets)} 0 obj\n".encode() + body)
        if stream is not None:
            self.out(b"\nstream\n")
            for piece in stream:
                self.out(piece)
            self.out(b"\nendstream")
        self.out(b"\nendobj\n")

    def finish(self, root: int, info: int) -> None:
        """The cross-reference table and the trailer naming the catalog and info objects."""
        xref, n = self.pos, len(self.offsets) + 1
        rows = "".join(f"{o:010d} 00000 n \n" for o in self.offsets)
        self.out(f"xref\n0 {n}\n0000000000 65535 f \n{rows}".encode())
        self.out(f"trailer\n<< /Size {n} /Root {root} 0 R /Info {info} 0 R >>\n".encode())
        self.out(f"startxref\n{xref}\n%%EOF\n".encode())
