"""A minimal, lossless one-page PDF holding a poster image.

Pillow's PDF writer stores RGB as JPEG (/DCTDecode), which smears pixel art:
`bench/render_speed.py --parts` decodes its image stream of an 18x24in poster
at 300 dpi and finds pixels off by up to 44 levels (2.2 on average), where
ours is exact (Pillow is faster, 0.87 vs 1.32 s, by being lossy). So we write
the file ourselves: one page whose MediaBox is the poster in points (72 per
inch), TrimBox and BleedBox for the printer, and one 8-bit RGB image XObject
drawn to fill the page. The image stream is the PNG-filtered, deflated stream
from `encode.deflate_rows` (FlateDecode with /Predictor 12), in an ICCBased
sRGB colour space.
"""

from __future__ import annotations

import zlib
from typing import BinaryIO

from punkforge.rendering.png_codec import srgb_icc


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
    offsets: list[int] = []
    pos = 0

    def out(data: bytes) -> None:
        nonlocal pos
        fh.write(data)
        pos += len(data)

    def obj(body: bytes, stream: list[bytes] | None = None) -> None:
        offsets.append(pos)
        out(f"{len(offsets)} 0 obj\n".encode() + body)
        if stream is not None:
            out(b"\nstream\n")
            for piece in stream:
                out(piece)
            out(b"\nendstream")
        out(b"\nendobj\n")

    icc = zlib.compress(srgb_icc(), 9)
    content = f"q {_num(w_pt)} 0 0 {_num(h_pt)} 0 0 cm /Im0 Do Q".encode()
    image_len = sum(len(p) for p in idat)
    safe_title = title.encode("latin-1", "replace").decode("latin-1")
    safe_title = safe_title.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    out(b"%PDF-1.6\n%\xe2\xe3\xcf\xd3\n")
    obj(b"<< /Type /Catalog /Pages 2 0 R >>")
    obj(b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>")
    obj(
        (
            f"<< /Type /Page /Parent 2 0 R /MediaBox {media} /BleedBox {media} "
            f"/TrimBox {trim} /Resources << /XObject << /Im0 5 0 R >> >> /Contents 4 0 R >>"
        ).encode()
    )
    obj(f"<< /Length {len(content)} >>".encode(), [content])
    obj(
        (
            f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} "
            f"/ColorSpace [/ICCBased 6 0 R] /BitsPerComponent 8 /Interpolate false "
            f"/Filter /FlateDecode /DecodeParms << /Predictor 12 /Colors 3 "
            f"/BitsPerComponent 8 /Columns {width} >> /Length {image_len} >>"
        ).encode(),
        idat,
    )
    obj(
        f"<< /N 3 /Alternate /DeviceRGB /Filter /FlateDecode /Length {len(icc)} >>".encode(),
        [icc],
    )
    obj(f"<< /Title ({safe_title}) /Producer (punkforge) >>".encode())
    xref = pos
    rows = "".join(f"{o:010d} 00000 n \n" for o in offsets)
    out(f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n{rows}".encode())
    out(f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R /Info 7 0 R >>\n".encode())
    out(f"startxref\n{xref}\n%%EOF\n".encode())
