"""How figures read in the gallery: losses, counts, durations, file sizes.

Plain functions, also registered as Jinja2 filters (see `jinja`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

DASH = "\u2013"  # shown for a missing figure


def number(v: Any) -> bool:
    """True for a finite int or float (not a bool)."""
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def finite(values: Iterable[Any]) -> list[float]:
    """The finite numbers among `values`, as floats."""
    return [float(v) for v in values if number(v)]


def fmt_loss(v: Any) -> str:
    """A loss as shown in the galleries: 4 decimals, or 3 significant digits when tiny."""
    if not number(v):
        return DASH
    return f"{v:.4f}" if abs(v) >= 0.001 or v == 0 else f"{v:.2e}"


def fmt_int(v: Any) -> str:
    """12,785; a dash when not an int."""
    return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else DASH


def fmt_seconds(v: Any) -> str:
    """2.4 s, 3 min 05 s or 1 h 02 min."""
    if not number(v):
        return DASH
    if v < 100:
        return f"{v:.1f} s"
    m, s = divmod(round(v), 60)
    return f"{m} min {s:02d} s" if m < 60 else f"{m // 60} h {m % 60:02d} min"


def fmt_size(n: int) -> str:
    """A file size in bytes as 812 B, 25.4 kB, 1.2 MB."""
    x = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if x < 1000 or unit == "GB":
            return f"{x:.0f} {unit}" if unit == "B" else f"{x:.1f} {unit}"
        x /= 1000
    return ""  # pragma: no cover


def sort_value(v: Any) -> str:
    """A figure as a data-* attribute the sort script reads ('' when missing)."""
    return repr(v) if number(v) else ""


def plural(n: int, word: str) -> str:
    """'1 variant', '8 variants'."""
    return f"{word}{'' if n == 1 else 's'}"
