"""Reading recipe files: TOML -> validated, frozen `Recipe` variants.

`read_recipe_file(path, sets)` parses the file (`toml_source`), deep-merges each
`[variants.X]` and `[sweep]` combination over the base, applies `--set`
overrides and validates each result as a `Recipe` (`sections`: every key, limit
and cross-table check, the network's shapes included). It returns one
`Variant` per network.

This is the edge where a mistake becomes words: a pydantic error is explained
once (`error_messages`) and placed here, in one short paragraph naming the file, the
line, the key, and whether a variant, a sweep combination or `--set` set it.
Nothing here imports TensorFlow or writes a file.
"""

from __future__ import annotations

import difflib
import itertools
import os
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from punkforge.errors import RecipeError
from punkforge.recipe.error_messages import MISSING, explain
from punkforge.recipe.key_paths import leaf_keys
from punkforge.recipe.sections import NAME_HELP, NAME_RE, Recipe, Variant
from punkforge.recipe.toml_source import (
    KeyPath,
    TomlDoc,
    char_name,
    dotted,
    invisible_in,
    parse_key,
    parse_toml,
    read_toml,
)
from punkforge.recipe.value_types import describe_value

__all__ = [
    "RecipeFile",
    "SetItem",
    "deep_merge",
    "loads_recipe",
    "parse_key",
    "parse_set",
    "read_recipe_file",
    "resolve",
]

TOP_EXTRA = ("variants", "sweep")


@dataclass(frozen=True)
class RecipeFile:
    """A loaded recipe file: its path, name and the variants it runs."""

    path: str
    name: str
    title: str
    variants: tuple[Variant, ...]


def _strings(v: Any) -> str:
    """Every string inside a value, joined: where invisible characters may hide."""
    if isinstance(v, str):
        return v
    if isinstance(v, dict):
        return "".join(_strings(k) + _strings(x) for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return "".join(_strings(x) for x in v)
    return ""


class _Ctx:
    """Where a key came from, for error messages: file and line, variant, sweep or --set."""

    def __init__(
        self,
        doc: TomlDoc,
        variant: str | None = None,
        override: dict[str, Any] | None = None,
        sweep_keys: tuple[str, ...] = (),
        sets: dict[str, Any] | None = None,
    ) -> None:
        self.source, self.lines = doc.source, doc.lines
        self.variant, self.override = variant, override or {}
        self.sweep_keys, self.sets = sweep_keys, sets or {}

    def _in_override(self, path: KeyPath) -> bool:
        node: Any = self.override
        for p in path:
            if isinstance(p, int):
                if not isinstance(node, list) or p >= len(node):
                    return True  # inside a list the override replaced
                node = node[p]
            elif isinstance(node, dict) and p in node:
                node = node[p]
            else:
                return False
        return True

    def _hidden(self, path: KeyPath, found: Any, line: int | None) -> str:
        """A note naming an invisible character in the key or value at fault, if any."""
        chars = invisible_in(_strings([p for p in path if isinstance(p, str)]) + _strings(found))
        if not chars:
            return ""
        spot = self.lines.find_invisible(chars, near=line)
        what = str(spot) if spot else f"an invisible {char_name(chars[0])}"
        return f" It holds {what}, which looks like a space or nothing but is not one: delete it."

    def fail(self, path: KeyPath, problem: str, found: Any = MISSING) -> RecipeError:
        key = dotted(path)
        for set_key in self.sets:
            if key == set_key or key.startswith(set_key + ".") or key.startswith(set_key + "["):
                return RecipeError(f"--set {set_key}: {key}: {problem}")
        for sk in self.sweep_keys:
            if key == sk or key.startswith(sk + ".") or key.startswith(sk + "["):
                line = self.lines.line_of(["sweep", sk])
                where = f", line {line}" if line else ""
                return RecipeError(
                    f'{self.source}{where}: [sweep] "{sk}" ({self.variant}): {problem}'
                    + self._hidden(path, found, line)
                )
        if self.variant and self._in_override(path):
            path = ["variants", self.variant, *path]
            key, where = dotted(path), ""
        else:
            where = f" (in variant '{self.variant}')" if self.variant else ""
        line = self.lines.line_of(path)
        at = f", line {line}" if line else ""
        hidden = self._hidden(path, found, line) if found is not MISSING else ""
        return RecipeError(f"{self.source}{at}: {key}{where}: {problem}{hidden}")


def _validate(raw: dict[str, Any], ctx: _Ctx, base_dir: str) -> Recipe:
    """The one place a raw recipe becomes a `Recipe`; its errors become words here."""
    try:
        return Recipe.model_validate(raw, context={"base_dir": base_dir, "raw_errors": True})
    except ValidationError as err:
        f = explain(err, Recipe, TOP_EXTRA)
        raise ctx.fail(f.path, f.problem, f.found) from None


# ---------------------------------------------------------------- merging


def deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """Tables merge key by key; any other value (a list too) replaces."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = v
    return out


def set_dotted(d: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of `d` with the dotted `key` set to `value`."""
    head, _, rest = key.partition(".")
    out = dict(d)
    if rest:
        sub = out.get(head)
        out[head] = set_dotted(sub if isinstance(sub, dict) else {}, rest, value)
    else:
        out[head] = value
    return out


# One --set override: "KEY=VALUE" as typed (VALUE is TOML), or (KEY, value) already in
# TOML's terms (the API's `sets={...}`).
SetItem = str | tuple[str, Any]


def parse_set(item: SetItem, only_render: bool = False) -> tuple[str, Any]:
    """'train.epochs=3' -> ('train.epochs', 3). VALUE is TOML; a bare word is a string.

    A (KEY, value) pair has its key checked the same way and its value kept.
    """
    if isinstance(item, tuple):
        key, value = item
        _check_set_key(f"{key}={value!r}", key, only_render)
        return key, value
    hidden = invisible_in(item)
    if hidden:
        pos = item.index(hidden[0]) + 1
        raise RecipeError(
            f"--set {item.encode('unicode_escape').decode()}: holds an invisible "
            f"{char_name(hidden[0])} at character {pos}, which looks like a space or nothing "
            "but is not one. Retype it."
        )
    key, eq, text = item.partition("=")
    key = key.strip()
    if not eq or not key:
        raise RecipeError(f"--set {item}: expected KEY=VALUE, e.g. --set train.epochs=3.")
    _check_set_key(item, key, only_render)
    text = text.strip()
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text
    return key, value


def _check_set_key(item: str, key: str, only_render: bool) -> None:
    """Refuse a --set key the recipe format does not have (or, for render, a non-render key)."""
    known = [k for k in leaf_keys(Recipe) if not only_render or k.startswith("render.")]
    if key not in known:
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        scope = " render key" if only_render else " key"
        raise RecipeError(f"--set {item}: '{key}' is not a{scope} of the recipe format.{hint}")


def _sweep_label(key: str, keys: list[str], value: Any, index: int) -> str:
    last = key.rsplit(".", 1)[-1]
    if sum(k.rsplit(".", 1)[-1] == last for k in keys) > 1:
        last = key.replace(".", "-")
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, (int, float, str)):
        text = str(value).lower().replace(".", "p")
    else:
        text = str(index + 1)
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-") or str(index + 1)
    return f"{last}-{text}"


def _check_sweep(doc: TomlDoc, sweep: dict[str, Any]) -> None:
    known = list(leaf_keys(Recipe))
    for k, values in sweep.items():
        where = f'{doc.source}{doc.lines.where(["sweep", k])}: [sweep] "{k}"'
        if k == "name":
            raise RecipeError(
                f"{where}: the recipe's name cannot be swept (it names the output folder); "
                "each combination is named from its values."
            )
        if k not in known:
            hidden = invisible_in(k)
            if hidden:
                hint = f" The key holds an invisible {char_name(hidden[0])}: delete it."
            else:
                close = difflib.get_close_matches(
                    k, [x for x in known if x != "name"], n=1, cutoff=0.6
                )
                hint = (
                    f" Did you mean '{close[0]}'?"
                    if close
                    else ' Keys are dotted, e.g. "train.epochs".'
                )
            raise RecipeError(f"{where}: not a key the sweep can vary.{hint}")
        if not isinstance(values, list) or not values:
            raise RecipeError(
                f"{where}: expected a non-empty list of values, found {describe_value(values)}."
            )


def resolve(doc: TomlDoc, sets: tuple[SetItem, ...] = ()) -> RecipeFile:
    """Validate a parsed recipe and expand its variants; see module docstring."""
    raw, source = doc.data, doc.source
    base_dir = os.path.abspath(os.path.dirname(source)) if source != "<recipe>" else os.getcwd()
    expand = _Expand(doc, dict(parse_set(s) for s in sets), base_dir)
    base_ctx = _Ctx(doc, sets=expand.sets)
    base_raw = {k: v for k, v in raw.items() if k not in TOP_EXTRA}
    base = _validate(expand.with_sets(base_raw), base_ctx, base_dir)
    table = raw.get("variants", {})
    if not isinstance(table, dict):
        raise base_ctx.fail(
            ["variants"], f"expected tables [variants.NAME], found {describe_value(table)}."
        )
    variants = [Variant("base", base, source)]
    variants += [expand.variant_table(base_raw, name, over) for name, over in table.items()]
    sweep = raw.get("sweep", {})
    if not isinstance(sweep, dict):
        raise base_ctx.fail(["sweep"], f"expected a table [sweep], found {describe_value(sweep)}.")
    _check_sweep(doc, sweep)
    variants += expand.sweep_combinations(base_raw, sweep)
    _refuse_duplicate_names(doc, variants, table)
    return RecipeFile(source, base.name, base.display_title, tuple(variants))


class _Expand:
    """Turns the base recipe plus a [variants.X] table or a [sweep] combination into a Variant."""

    def __init__(self, doc: TomlDoc, sets: dict[str, Any], base_dir: str) -> None:
        self.doc, self.sets, self.base_dir = doc, sets, base_dir

    def with_sets(self, d: dict[str, Any]) -> dict[str, Any]:
        """`d` with every --set override applied (they win over the file)."""
        for k, v in self.sets.items():
            d = set_dotted(d, k, v)
        return d

    def variant_table(self, base_raw: dict[str, Any], vname: str, over: Any) -> Variant:
        """[variants.vname] merged over the base, checked and validated."""
        vctx = _Ctx(self.doc, vname, over if isinstance(over, dict) else {}, sets=self.sets)
        if not NAME_RE.match(vname):
            raise vctx.fail([], f"variant name '{vname}' must be {NAME_HELP}.", vname)
        if not isinstance(over, dict):
            raise vctx.fail(
                [], f"expected a table [variants.{vname}], found {describe_value(over)}."
            )
        for extra in TOP_EXTRA:
            if extra in over:
                raise vctx.fail(
                    [extra],
                    f"[{extra}] belongs at the top level of the recipe, not inside a variant.",
                )
        if "name" in over:
            raise vctx.fail(
                ["name"],
                "a variant cannot change the recipe's name (it names the output folder); "
                "the variant's own name is its table name.",
            )
        merged = self.with_sets(deep_merge(base_raw, over))
        return Variant(vname, _validate(merged, vctx, self.base_dir), self.doc.source)

    def sweep_combinations(self, base_raw: dict[str, Any], sweep: dict[str, Any]) -> list[Variant]:
        """One variant per combination of the [sweep] values, named from its values."""
        keys = list(sweep)
        out: list[Variant] = []
        for combo in itertools.product(*(list(enumerate(sweep[k])) for k in keys)) if keys else ():
            pairs = list(zip(keys, combo, strict=True))
            vname = "_".join(_sweep_label(k, keys, v, i) for k, (i, v) in pairs)
            merged = base_raw
            for k, (_, v) in pairs:
                merged = set_dotted(merged, k, v)
            sctx = _Ctx(self.doc, vname, sweep_keys=tuple(keys), sets=self.sets)
            if not NAME_RE.match(vname):
                raise RecipeError(
                    f"{self.doc.source}: [sweep] makes the variant name '{vname}', which is not "
                    f"{NAME_HELP}. Use fewer or simpler values, or [variants.NAME] tables."
                )
            recipe = _validate(self.with_sets(merged), sctx, self.base_dir)
            out.append(Variant(vname, recipe, self.doc.source))
        return out


def _refuse_duplicate_names(doc: TomlDoc, variants: list[Variant], table: dict[str, Any]) -> None:
    """Two variants may not share a name (they would share an output folder)."""
    seen: dict[str, int] = {}
    for v in variants:
        seen[v.name] = seen.get(v.name, 0) + 1
    dups = [n for n, c in seen.items() if c > 1]
    if not dups:
        return
    dup = dups[0]
    why = (
        "'base' is the base recipe's own name"
        if dup == "base"
        else "a [sweep] combination is named that way too"
        if dup in table
        else "two [sweep] combinations get that name; is a value listed twice?"
    )
    raise RecipeError(
        f"{doc.source}{doc.lines.where(['variants', dup])}: two variants are both named "
        f"'{dup}' ({why}). Rename one of them."
    )


def read_recipe_file(path: str | Path, sets: Sequence[SetItem] = ()) -> RecipeFile:
    """Load, validate and expand one recipe file."""
    return resolve(read_toml(path), tuple(sets))


def loads_recipe(text: str, source: str = "<recipe>", sets: Sequence[SetItem] = ()) -> RecipeFile:
    """Like `read_recipe_file`, from TOML text (tests, `render` of a run folder)."""
    return resolve(parse_toml(text, source), tuple(sets))
