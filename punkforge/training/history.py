"""history.csv: one row per finished epoch, the file a variant's loss plot is drawn from.

The columns are declared once, in `COLUMNS`: their names (the CSV header),
and how many decimals a value is written with. A value that is missing or
not finite (no validation data: `val_loss` is NaN, or None as state.json
keeps it) is an empty cell, and an empty cell reads back as NaN.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path

from punkforge import records
from punkforge.files import read_bytes, write_text

FILENAME = "history.csv"


@dataclass(frozen=True)
class Column:
    """One history.csv column: its header and its decimals (None: a whole number)."""

    name: str
    digits: int | None

    def cell(self, value: float | None) -> str:
        """`value` as this column writes it ("" for no value)."""
        if self.digits is None:
            return str(int(value))  # type: ignore[arg-type]
        # None: state.json keeps "no validation data" (NaN) as JSON null
        return f"{value:.{self.digits}f}" if value is not None and math.isfinite(value) else ""

    def parse(self, text: str | None) -> float:
        """A cell read back: an int for a whole-number column, else a float (NaN when empty)."""
        if self.digits is None:
            return int(text)  # type: ignore[arg-type]
        return float(text) if text not in (None, "") else math.nan


COLUMNS = (
    Column("epoch", None),
    Column("loss", 6),
    Column("val_loss", 6),
    Column("seconds", 3),
)
FIELDS = tuple(c.name for c in COLUMNS)


def read_history(folder: Path) -> list[dict[str, float]]:
    """history.csv rows (epoch, loss, val_loss, seconds); [] when missing or unreadable.

    An empty cell (no validation data) reads as NaN; rows that are malformed or
    not a `records.HistoryRow` (numbers no training makes) are skipped.
    """
    try:
        text = read_bytes(folder / FILENAME).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    rows = []
    for rec in csv.DictReader(io.StringIO(text)):
        try:
            row = {c.name: c.parse(rec[c.name]) for c in COLUMNS}
            records.check(row, records.HistoryRow, FILENAME)
        except (ValueError, KeyError, TypeError, records.Damaged):
            continue
        rows.append(row)
    return rows


def write_history(folder: Path, history: list[dict[str, float]]) -> None:
    """history.csv: epoch, loss, val_loss, seconds (an empty cell where there is no value)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(FIELDS)
    for h in history:
        w.writerow([c.cell(h[c.name]) for c in COLUMNS])
    write_text(folder / FILENAME, buf.getvalue())
