"""Recipe text: reading the file, parsing TOML and finding the line of a key.

`read_toml` turns every way a file can fail (missing, a folder, not UTF-8,
empty, bad TOML) into a `RecipeError` naming the file and, where TOML gives
one, the line and column with a hint. `find_line` points an error about a
key at the line that most likely sets it (tomllib keeps no positions).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from punkforge.errors import RecipeError

KeyPath = list[str | int]


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
        out.append(name)
        out += [int(i) for i in idx if i]
    return out


def find_line(text: str, path: KeyPath) -> str:
    """', line N' for the line that most likely sets `path`, or '' if not found."""
    if not text:
        return ""
    names = [p for p in path if isinstance(p, str)]
    if not names:
        return ""
    lines = text.splitlines()
    start = 0
    # Jump past the deepest [table] header that is a prefix of the path.
    for depth in range(len(names), 0, -1):
        header = re.compile(
            r"^\s*\[\s*"
            + r"\s*\.\s*".join(r'"?' + re.escape(n) + r'"?' for n in names[:depth])
            + r"\s*\]"
        )
        hit = next((i for i, ln in enumerate(lines) if header.match(ln)), None)
        if hit is not None:
            start = hit
            if depth == len(names):
                return f", line {hit + 1}"
            break
    last = re.escape(names[-1])
    pat = re.compile(r'(^|[\s{,.])"?' + last + r'"?\s*=')
    dotted_key = re.compile(r'(^|[\s.])"?' + last + r'"?\s*\.')  # trian.epochs = 2
    for i in range(start, len(lines)):
        code = lines[i].split("#", 1)[0]
        if pat.search(code) or dotted_key.search(code.split("=", 1)[0]):
            return f", line {i + 1}"
    # A key that is not written (a missing one, or a default): the line of its table.
    return find_line(text, path[:-1]) if len(path) > 1 else ""


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


def read_toml(path: str | Path) -> tuple[dict[str, Any], str]:
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
        line = data[: err.start].count(b"\n") + 1
        raise RecipeError(
            f"{p}, line {line}: is not UTF-8 text (byte {data[err.start]:#04x}). "
            "Save the recipe as UTF-8."
        ) from None
    if not text.strip():
        raise RecipeError(f'{p}: the file is empty. A recipe needs at least: name = "my-punks".')
    return parse_toml(text, str(p)), text


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """tomllib.loads, its error turned into a RecipeError naming line, column and the line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        msg = str(err)
        m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
        where = f", line {m.group(1)}, column {m.group(2)}" if m else ""
        if "(at end of document)" in msg:
            where = f", line {len(text.splitlines())} (the end of the file)"
        msg = re.sub(r"\s*\((at line \d+, column \d+|at end of document)\)", "", msg).rstrip(".")
        hint = next((h for start, h in TOML_HINTS.items() if msg.startswith(start)), TOML_HINT)
        bad = ""
        if m:
            lines = text.splitlines()
            n = int(m.group(1))
            if 0 < n <= len(lines):
                bad = f' ("{lines[n - 1].strip()[:60]}")'
        raise RecipeError(f"{source}{where}: not valid TOML: {msg}{bad}. {hint}") from None
