"""Recipe text: reading the file, parsing TOML, and where each key and invisible character is.

`read_toml` turns every way a file can fail (missing, a folder, not UTF-8,
empty, bad TOML) into a `RecipeError` naming the file and, where TOML gives
one, the line and column with a hint. It returns a `TomlDoc`: the parsed data
plus a `LineIndex` built once from the text (tomllib keeps no positions), so
nothing past this module carries the raw text around.

A UTF-8 byte-order mark at the start is accepted. Characters a reader cannot
see (zero-width and non-breaking spaces, other byte-order marks, control
characters such as NUL) are named with their line and column whenever they
are the likely cause of an error.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from punkforge.errors import RecipeError

KeyPath = list[str | int]
BOM = "\ufeff"


def dotted(path: KeyPath) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else p)
    return out


def parse_key(key: str) -> KeyPath:
    """'model.decoder[1].output_padding' -> ['model', 'decoder', 1, 'output_padding']."""
    out: KeyPath = []
    for part in key.split("."):
        name, *idx = re.split(r"\[(\d+)\]", part)
        if name:
            out.append(name)
        out += [int(i) for i in idx if i]
    return out


# ---------------------------------------------------------------- invisible characters


def is_invisible(ch: str) -> bool:
    """A character that shows as nothing or as a plain space, but is not one."""
    if ch in "\t\n\r ":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Cn") or ch == "\u00ad"


def char_name(ch: str) -> str:
    """'U+00A0 NO-BREAK SPACE'."""
    name = unicodedata.name(ch, "") or {"\x00": "NUL"}.get(ch, "control character")
    return f"U+{ord(ch):04X} {name}"


def invisible_in(text: str) -> list[str]:
    return [ch for ch in dict.fromkeys(text) if is_invisible(ch)]


def show(text: str) -> str:
    """`text` with every invisible character written as <U+XXXX>."""
    return "".join(f"<U+{ord(c):04X}>" if is_invisible(c) else c for c in text)


@dataclass(frozen=True)
class Invisible:
    line: int  # 1-based
    column: int  # 1-based
    char: str

    def __str__(self) -> str:
        return f"an invisible {char_name(self.char)} at line {self.line}, column {self.column}"


# ---------------------------------------------------------------- the line index


@dataclass(frozen=True)
class LineIndex:
    """Where keys are written: table headers and the key names assigned on each line.

    Built once from the text; `line_of(path)` points an error about a key at
    the line that most likely sets it.
    """

    headers: dict[tuple[str, ...], int] = field(default_factory=dict)  # first line of [a.b]
    assigned: tuple[frozenset[str], ...] = ()  # key names set (`name =`) on each line
    dotted_heads: tuple[frozenset[str], ...] = ()  # `trian.epochs =`: the parts before a dot
    invisible: tuple[Invisible, ...] = ()

    @classmethod
    def of(cls, text: str) -> LineIndex:
        headers: dict[tuple[str, ...], int] = {}
        assigned, heads, invisible = [], [], []
        header = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?")
        for n, raw in enumerate(text.splitlines(), 1):
            for col, ch in enumerate(raw, 1):
                if is_invisible(ch):
                    invisible.append(Invisible(n, col, ch))
            code = raw.split("#", 1)[0]
            m = header.match(code)
            if m:
                parts = tuple(p.strip().strip('"') for p in m.group(1).split("."))
                headers.setdefault(parts, n)
            bare = re.findall(r'(?:^|[\s{,.])"?([A-Za-z0-9_\-]+)"?\s*=', code)
            quoted = re.findall(r'"([^"]+)"\s*=', code)  # [sweep] "train.epochs" = [...]
            assigned.append(frozenset(bare + quoted))
            lhs = code.split("=", 1)[0]
            heads.append(frozenset(re.findall(r'(?:^|[\s.])"?([A-Za-z0-9_\-]+)"?\s*\.', lhs)))
        return cls(headers, tuple(assigned), tuple(heads), tuple(invisible))

    def line_of(self, path: KeyPath) -> int | None:
        names = [p for p in path if isinstance(p, str)]
        if not names:
            return None
        start = 0
        # Jump past the deepest [table] header that is a prefix of the path.
        for depth in range(len(names), 0, -1):
            hit = self.headers.get(tuple(names[:depth]))
            if hit is not None:
                if depth == len(names):
                    return hit
                start = hit - 1
                break
        last = names[-1]
        for i in range(start, len(self.assigned)):
            if last in self.assigned[i] or last in self.dotted_heads[i]:
                return i + 1
        # A key that is not written (a missing one, or a default): the line of its table.
        return self.line_of(path[:-1]) if len(path) > 1 else None

    def where(self, path: KeyPath) -> str:
        """', line N' or ''."""
        n = self.line_of(path)
        return f", line {n}" if n else ""

    def find_invisible(self, chars: list[str], near: int | None = None) -> Invisible | None:
        """Where one of `chars` is written, on line `near` if it is there."""
        hits = [x for x in self.invisible if x.char in chars]
        on_line = [x for x in hits if x.line == near]
        return (on_line or hits or [None])[0]


@dataclass(frozen=True)
class TomlDoc:
    """A parsed recipe: where it came from, its data, and where its keys are written."""

    source: str
    data: dict[str, Any]
    lines: LineIndex


# ---------------------------------------------------------------- reading and parsing

# tomllib's terse messages, and what usually causes them in a recipe
TOML_HINTS = {
    "Illegal character '\\n'": "A string runs to the end of the line: closing quote missing?",
    "Unterminated string": "Is a closing quote missing?",
    "Cannot overwrite a value": "Is this key set twice?",
    "Cannot declare": "Is this [table] written twice?",
    "Unclosed": "Is a closing bracket missing?",
    "Invalid value": 'Strings need quotes (color = "rgb"); lists and tables their closing bracket.',
}
TOML_HINT = "Check quotes, brackets and '=' there (strings need quotes: color = \"rgb\")."

OTHER_BOMS = {
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\xfe\xff": "UTF-16",
    b"\xff\xfe": "UTF-16",
}


def read_toml(path: str | Path) -> TomlDoc:
    """Parse a recipe file; every way it can fail becomes a RecipeError."""
    p = Path(path)
    if not p.exists():
        raise RecipeError(f"{p}: no such file. Check the path (recipes live in recipes/*.toml).")
    if p.is_dir():
        raise RecipeError(f"{p}: is a folder, not a recipe file. Name a .toml file inside it.")
    try:
        data = p.read_bytes()
    except OSError as err:
        raise RecipeError(f"{p}: cannot be read ({err.strerror}). Check its permissions.") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        bom = next((enc for b, enc in OTHER_BOMS.items() if data.startswith(b)), None)
        if bom:
            raise RecipeError(
                f"{p}: is not UTF-8: it starts with a {bom} byte-order mark, so it was saved as "
                f"{bom}. Save the recipe as UTF-8."
            ) from None
        line = data[: err.start].count(b"\n") + 1
        raise RecipeError(
            f"{p}, line {line}: is not UTF-8 text (byte {data[err.start]:#04x}). "
            "Save the recipe as UTF-8."
        ) from None
    if not text.removeprefix(BOM).strip():
        raise RecipeError(f'{p}: the file is empty. A recipe needs at least: name = "my-punks".')
    return parse_toml(text, str(p))


def parse_toml(text: str, source: str) -> TomlDoc:
    """tomllib.loads, its error turned into a RecipeError naming line, column and the line."""
    text = text.removeprefix(BOM)  # editors on Windows save one; it means "UTF-8"
    index = LineIndex.of(text)
    try:
        return TomlDoc(source, tomllib.loads(text), index)
    except tomllib.TOMLDecodeError as err:
        msg = str(err)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        where = f", line {m.group(1)}, column {m.group(2)}" if m else ""
        if "(at end of document)" in msg:
            where = f", line {len(text.splitlines())} (the end of the file)"
        msg = re.sub(r"\s*\((at line \d+, column \d+|at end of document)\)", "", msg).rstrip(".")
        hint = next((h for start, h in TOML_HINTS.items() if msg.startswith(start)), TOML_HINT)
        bad = ""
        n = int(m.group(1)) if m else None
        if n:
            lines = text.splitlines()
            if 0 < n <= len(lines):
                bad = f' ("{show(lines[n - 1].strip()[:60])}")'
        hidden = [x for x in index.invisible if x.line == n] or [
            x for x in index.invisible if n is None or x.line < n
        ]
        if hidden:
            hint = (
                f"The file holds {hidden[0]}, which looks like a space or nothing but is not "
                "one: delete it (retype that part of the line)."
            )
        msg = show(msg)
        raise RecipeError(f"{source}{where}: not valid TOML: {msg}{bad}. {hint}") from None
