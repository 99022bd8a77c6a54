"""Paper sizes, lengths and colours as written in recipes, turned into numbers.

`parse_paper("A3")` and `parse_length("3mm")` return inches; `page_pixels`
turns a poster section into exact pixel sizes. Pure functions, no imports
beyond the standard library, so the recipe loader can check them early.
"""

from __future__ import annotations

import math
import re

from punkforge.errors import PunkforgeError

MM_PER_IN = 25.4

# ISO 216 A series, portrait, in millimetres.
ISO_A_MM = {
    "A0": (841, 1189),
    "A1": (594, 841),
    "A2": (420, 594),
    "A3": (297, 420),
    "A4": (210, 297),
    "A5": (148, 210),
}

_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*[x×]\s*(\d+(?:\.\d+)?)\s*(in|mm|cm)\s*$", re.I)
_LEN_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(in|mm|cm)?\s*$", re.I)
_COLOR_RE = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")

_UNIT_IN = {"in": 1.0, "mm": 1.0 / MM_PER_IN, "cm": 10.0 / MM_PER_IN}

RGB = tuple[int, int, int]


def parse_paper(text: str) -> tuple[float, float]:
    """Paper size in inches (width, height) as written, before orientation.

    Raises ValueError with what is expected.
    """
    key = text.strip().upper()
    if key in ISO_A_MM:
        w, h = ISO_A_MM[key]
        return w / MM_PER_IN, h / MM_PER_IN
    m = _SIZE_RE.match(text)
    if not m:
        raise ValueError("'A0'..'A5', '<W>x<H>in', '<W>x<H>mm' or '<W>x<H>cm' (e.g. '18x24in')")
    unit = _UNIT_IN[m.group(3).lower()]
    w, h = float(m.group(1)) * unit, float(m.group(2)) * unit
    if w <= 0 or h <= 0:
        raise ValueError("a paper with both sides greater than zero")
    return w, h


def parse_length(text: str) -> float:
    """A length such as '0.125in', '3mm' or '0' in inches. Raises ValueError."""
    m = _LEN_RE.match(text)
    if not m or (m.group(2) is None and float(m.group(1)) != 0):
        raise ValueError("a length with a unit, e.g. '0.125in', '3mm' or '0in'")
    return float(m.group(1)) * _UNIT_IN[(m.group(2) or "in").lower()]


def parse_color(text: str) -> tuple[int, int, int]:
    """'#rrggbb' or '#rgb' as an (r, g, b) tuple. Raises ValueError."""
    if not _COLOR_RE.match(text):
        raise ValueError("a colour '#rrggbb' (or '#rgb'), e.g. '#ffffff'")
    h = text[1:]
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def inches_to_px(inches: float, dpi: int) -> int:
    """Round a length to whole pixels (half up), the rounding used everywhere."""
    return math.floor(inches * dpi + 0.5)


def trim_size_in(paper: str, orientation: str) -> tuple[float, float]:
    """The trimmed page (width, height) in inches after orientation."""
    w, h = parse_paper(paper)
    short, long_ = min(w, h), max(w, h)
    return (short, long_) if orientation == "portrait" else (long_, short)


def color_rgb(background: str | RGB) -> RGB:
    """'#rrggbb' (or an (r, g, b) tuple) as an (r, g, b) tuple of ints."""
    if isinstance(background, str):
        try:
            return parse_color(background)
        except ValueError as err:
            raise PunkforgeError(f"Background colour {background!r}: expected {err}.") from None
    r, g, b = background
    return int(r), int(g), int(b)
