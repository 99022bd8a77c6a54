"""Printing data to a terminal without letting the terminal (or rich) interpret it.

Everything punkforge prints that comes from outside its own source (a recipe's
title or keys, a path, a folder or file name, a record read back from disk, an
error message quoting any of those) goes through `shown` first:

- control characters (ANSI escape sequences, carriage returns, bells, C1
  codes, bidirectional overrides) are written out visibly as `\\x1b`,
  `\\u202e`, ..., so a name can neither restyle nor rewrite the terminal;
- with `markup=True` (text handed to rich with markup on) every `[` that
  could open a rich tag is escaped, so `[render]` or `[bold red]` print as
  themselves.

Consoles come from `console`: emoji codes (`:cat:`) are off, because rich
would replace them inside data as well. Punkforge's own markup (colours of
"done", "failed") is written around the shown text, never inside it.
"""

from __future__ import annotations

import re
import sys
from typing import IO, Any

from rich.console import Console
from rich.markup import escape

# C0 controls but newline (a tab too: rich would expand it to spaces), DEL, C1
# controls, and the bidirectional embeddings, overrides and isolates (they
# reorder what follows).
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def shown(value: object, markup: bool = True) -> str:
    """`value` as text safe to print: control characters visible, rich markup escaped.

    `markup=False` for plain `print` or rich with markup off (then only the
    control characters are made visible).
    """
    text = _CONTROL.sub(_visible, str(value))
    return escape(text) if markup else text


def console(stderr: bool = False, **kwargs: Any) -> Console:
    """A rich Console that never turns `:name:` in data into an emoji."""
    return Console(stderr=stderr, emoji=False, **kwargs)


def say(text: object, file: IO[str] | None = None) -> None:
    """`print` for plain lines built from data (dry-run plans, validate, new)."""
    print(shown(text, markup=False), file=file or sys.stdout)
