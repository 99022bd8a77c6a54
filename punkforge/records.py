"""The shapes of the records punkforge writes and reads back: every one is untrusted input.

A record on disk may have been cut short, edited by hand, written by another
version, or replaced by anything at all; valid JSON of the wrong shape is
as damaged as a torn file. So every JSON record is read in one place,
`load`, and validated against its typed model here before any code looks at
it:

- `Manifest`     outputs/<name>/<variant>/manifest.json
- `Summary`      outputs/<name>/summary.json
- `StoreRecord`  outputs/<name>/.train/<key>/state.json
- `CacheMeta`    the `meta` member of outputs/<name>/.cache/images-*.npz
- `HistoryRow`   one row of history.csv (columns `HISTORY_COLUMNS`) and of
                 state.json's history

The files are read (without following a link) by `files.read_record`, which
validates them with `parse`: a file that fails its model raises `Damaged`
(one line saying what is wrong), and each reader handles it like any other
damage: redone from the nearest intact source, or named in one paragraph
with the fix. Keys a newer punkforge may add are ignored; numbers are
bounded so that a huge value cannot turn into a huge loop or allocation.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

# Bounds no real record reaches; a larger number is damage, not data.
Count = Annotated[int, Field(ge=0, le=2**40)]
Size = Annotated[int, Field(ge=1, le=2**16)]
Sha256 = Annotated[str, Field(max_length=128)]  # any other text fails verification anyway
Name = Annotated[str, Field(min_length=1, max_length=4096)]

HISTORY_COLUMNS = ("epoch", "loss", "val_loss", "seconds")


def _within(limit: float) -> AfterValidator:
    """A loss or a time: NaN or None (none measured), else a number in 0..limit."""

    def check(value: float | None) -> float | None:
        if value is not None and not math.isnan(value) and not 0 <= value <= limit:
            raise ValueError(f"{value!r} is outside 0..{limit:g}")
        return value

    return AfterValidator(check)


Loss = Annotated[float | None, _within(1e6)]
Seconds = Annotated[float | None, _within(1e9)]


class Record(BaseModel):
    """A record read from disk: strict JSON types, unknown keys ignored."""

    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


class FileEntry(Record):
    """What was written: size and sha256, and mtime_ns for the fast check."""

    size: Count
    sha256: Sha256
    mtime_ns: int | None = None


class Figures(Record):
    """A variant's figures (manifest "summary", summary.json "variants" values)."""

    params: Count | None = None
    epochs: Count | None = None
    loss: float | None = None
    val_loss: float | None = None
    seconds: float | None = None


class Manifest(Record):
    """A variant folder's manifest.json: what made it and every file it holds."""

    variant: Name
    recipe_sha: Sha256 | None
    training_key: str | None
    predict: dict[str, Any] | None = None
    summary: Figures
    versions: dict[str, str] = {}
    timings: dict[str, float] = {}
    files: dict[Name, FileEntry]


class Summary(Record):
    """A recipe folder's summary.json: its recipe, title, data size and variant figures.

    Every key may be missing (the pages and `render` fall back to the folder's
    name and its variant folders); a key that is there must have its type.
    """

    recipe: Name | None = None
    title: str | None = None
    source: str | None = None
    size: tuple[Size, Size] | None = None
    variants: dict[Name, Figures] = {}


class HistoryRow(Record):
    """One finished epoch: its number, losses (None or NaN: no validation data) and seconds."""

    epoch: Annotated[int, Field(ge=1, le=2**31)]
    loss: Loss
    val_loss: Loss
    seconds: Seconds


class StoreRecord(Record):
    """A training store's state.json (format 2): finished epochs and their files."""

    format: Literal[2]
    epoch: Annotated[int, Field(ge=0, le=2**31)]
    sample: Count
    history: list[HistoryRow]
    files: dict[Name, FileEntry]


class CacheMeta(Record):
    """The decoded-folder cache's meta: (file, height, width) per image and a fingerprint."""

    signature: list[tuple[str, int, int]]
    content: str


M = TypeVar("M", bound=Record)


class Damaged(Exception):
    """A record that exists but cannot be trusted; str() says what is wrong in one line."""


def parse(text: str | bytes, model: type[M], where: str) -> M:
    """JSON `text` as `model`, or Damaged naming `where` and the first thing wrong."""
    try:
        return model.model_validate_json(text)
    except ValidationError as err:
        raise _damaged(err, where) from None


def check(value: dict[str, Any], model: type[M], where: str) -> M:
    """A dict already read (a CSV row) as `model`, or Damaged naming `where`."""
    try:
        return model.model_validate(value, strict=False)
    except ValidationError as err:
        raise _damaged(err, where) from None


def _damaged(err: ValidationError, where: str) -> Damaged:
    first = err.errors()[0]
    at = ".".join(str(x) for x in first.get("loc", ())) or "the top level"
    return Damaged(f"{where} is damaged (it is not what punkforge writes: {at}: {first['msg']})")


def plain(record: Record) -> dict[str, Any]:
    """A record as the plain dict punkforge wrote, with only the keys the file had."""
    return record.model_dump(mode="json", exclude_unset=True)
