"""Reading recipe files: TOML -> validated, frozen `Recipe` variants.

`load_recipe(path, sets)` parses the file, checks every key and value against
the dataclasses in `recipe` (their metadata holds the limits), deep-merges
each `[variants.X]` and `[sweep]` combination over the base, applies `--set`
overrides, computes every network's shapes (`shapes`) and returns one
`Variant` per network. Any mistake raises `RecipeError` with one short
paragraph: the file, the line when it can be found, the key, what was expected
and what was found, and the nearest known key for a typo. Nothing here imports
TensorFlow or writes a file.
"""

from __future__ import annotations

import dataclasses
import difflib
import itertools
import json
import math
import re
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from punkforge.errors import PunkforgeError, RecipeError
from punkforge.recipe import Layer, ModelConfig, Pair, Recipe, Variant, paper
from punkforge.recipe import types as recipe
from punkforge.recipe.shapes import ShapeError, network_shapes
from punkforge.recipe.text import KeyPath, dotted, find_line, parse_key, parse_toml, read_toml

TOP_EXTRA = ("variants", "sweep")


@dataclass(frozen=True)
class RecipeFile:
    """A loaded recipe file: its path, name and the variants it runs."""

    path: str
    name: str
    title: str
    variants: tuple[Variant, ...]


def leaf_keys(cls: type = Recipe, prefix: str = "") -> dict[str, dataclasses.Field[Any]]:
    """Every settable dotted key (`train.epochs`, `model.encoder`, ...) and its field."""
    out: dict[str, dataclasses.Field[Any]] = {}
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            out.update(leaf_keys(tp, key + "."))
        else:
            out[key] = f
    return out


def _describe(v: Any) -> str:
    kind = {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(v), type(v).__name__)
    if isinstance(v, bool):
        text = "true" if v else "false"
    elif isinstance(v, (dict, list)):
        text = json.dumps(v, default=str)
        text = text if len(text) < 60 else text[:57] + "..."
    elif isinstance(v, str):
        text = json.dumps(v)
    else:
        text = repr(v)
    return f"{text} ({kind})"


class _Ctx:
    """Where a key came from, for error messages: file and line, variant or --set."""

    def __init__(
        self,
        source: str,
        text: str,
        variant: str | None = None,
        override: dict[str, Any] | None = None,
        sweep_keys: tuple[str, ...] = (),
        sets: dict[str, Any] | None = None,
    ) -> None:
        self.source, self.text = source, text
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

    def fail(self, path: KeyPath, problem: str) -> RecipeError:
        key = dotted(path)
        for set_key in self.sets:
            if key == set_key or key.startswith(set_key + ".") or key.startswith(set_key + "["):
                return RecipeError(f"--set {set_key}: {key}: {problem}")
        for sk in self.sweep_keys:
            if key == sk or key.startswith(sk + ".") or key.startswith(sk + "["):
                line = find_line(self.text, ["sweep", sk])
                return RecipeError(
                    f'{self.source}{line}: [sweep] "{sk}" ({self.variant}): {problem}'
                )
        if self.variant and self._in_override(path):
            full = ["variants", self.variant, *path]
            return RecipeError(
                f"{self.source}{find_line(self.text, full)}: {dotted(full)}: {problem}"
            )
        where = f" (in variant '{self.variant}')" if self.variant else ""
        return RecipeError(f"{self.source}{find_line(self.text, path)}: {key}{where}: {problem}")


def _suggest(key: str, known: list[str], path: KeyPath) -> str:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if close:
        return f" Did you mean '{close[0]}'?"
    elsewhere = [k for k in leaf_keys() if k.rsplit(".", 1)[-1] == key]
    if elsewhere:
        return f" '{key}' belongs in '{elsewhere[0]}'."
    return f" Known keys here: {', '.join(known)}."


# ---------------------------------------------------------------- values


def _check_range(v: float, f: dataclasses.Field[Any], path: KeyPath, ctx: _Ctx, what: str) -> None:
    lo, hi = f.metadata.get("min"), f.metadata.get("max")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ctx.fail(path, f"expected {what} from {lo} to {hi}, found {_describe(v)}.")


def _int(v: Any, f: dataclasses.Field[Any], path: KeyPath, ctx: _Ctx) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise ctx.fail(path, f"expected an integer, found {_describe(v)}.")
    _check_range(v, f, path, ctx, "an integer")
    return v


def _pair(v: Any, f: dataclasses.Field[Any], path: KeyPath, ctx: _Ctx) -> Pair:
    if isinstance(v, list) and len(v) == 2:
        return (_int(v[0], f, [*path, 0], ctx), _int(v[1], f, [*path, 1], ctx))
    if isinstance(v, int) and not isinstance(v, bool):
        n = _int(v, f, path, ctx)
        return (n, n)
    raise ctx.fail(path, f"expected an integer or a list [h, w] of two, found {_describe(v)}.")


def _str(v: Any, f: dataclasses.Field[Any], path: KeyPath, ctx: _Ctx) -> str:
    choices = f.metadata.get("choices")
    if not isinstance(v, str):
        want = "one of " + ", ".join(f'"{c}"' for c in choices) if choices else "a string"
        raise ctx.fail(path, f"expected {want}, found {_describe(v)}.")
    if choices and v not in choices:
        close = difflib.get_close_matches(v, choices, n=1, cutoff=0.5)
        hint = f' Did you mean "{close[0]}"?' if close else ""
        raise ctx.fail(
            path,
            f"expected one of {', '.join(chr(34) + c + chr(34) for c in choices)}, "
            f"found {_describe(v)}.{hint}",
        )
    kind = f.metadata.get("kind")
    try:
        if kind == "paper":
            paper.parse_paper(v)
        elif kind == "length":
            paper.parse_length(v)
        elif kind == "color":
            paper.parse_color(v)
    except ValueError as err:
        raise ctx.fail(path, f"expected {err}, found {_describe(v)}.") from None
    if kind == "name" and not recipe.NAME_RE.match(v):
        raise ctx.fail(path, f"expected {recipe.NAME_HELP}, found {_describe(v)}.")
    if f.metadata.get("max") and len(v) > f.metadata["max"]:
        raise ctx.fail(path, f"expected at most {f.metadata['max']} characters.")
    return v


def _value(tp: Any, f: dataclasses.Field[Any], v: Any, path: KeyPath, ctx: _Ctx) -> Any:
    if tp is int:
        return _int(v, f, path, ctx)
    if tp is float:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ctx.fail(path, f"expected a number, found {_describe(v)}.")
        _check_range(v, f, path, ctx, "a number")
        return float(v)
    if tp is bool:
        if not isinstance(v, bool):
            raise ctx.fail(path, f"expected true or false, found {_describe(v)}.")
        return v
    if tp is str:
        return _str(v, f, path, ctx)
    if tp == Pair or (isinstance(tp, types.UnionType) and Pair in typing.get_args(tp)):
        return _pair(v, f, path, ctx)
    if tp == tuple[str, ...]:
        if not isinstance(v, list) or not v:
            raise ctx.fail(path, f"expected a non-empty list of strings, found {_describe(v)}.")
        items = tuple(_str(x, f, [*path, i], ctx) for i, x in enumerate(v))
        if len(set(items)) != len(items):
            raise ctx.fail(path, f"a format is listed twice in {_describe(v)}.")
        return items
    if tp == tuple[Layer, ...]:
        if not isinstance(v, list):
            raise ctx.fail(path, f"expected a list of layer tables, found {_describe(v)}.")
        if len(v) > f.metadata.get("max", 10**9):
            raise ctx.fail(path, f"expected at most {f.metadata['max']} layers, found {len(v)}.")
        return tuple(_build(Layer, x, [*path, i], ctx) for i, x in enumerate(v))
    if dataclasses.is_dataclass(tp):
        return _build(tp, v, path, ctx)
    raise TypeError(f"no validator for {tp!r}")  # a programming error


def _build(cls: type, raw: Any, path: KeyPath, ctx: _Ctx) -> Any:
    if not isinstance(raw, dict):
        what = "a layer table like { filters = 16, kernel = 3 }" if cls is Layer else "a table"
        raise ctx.fail(path, f"expected {what}, found {_describe(raw)}.")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    known = list(fields)
    if path == []:
        known = known + list(TOP_EXTRA)
    for key in raw:
        if key not in known:
            raise ctx.fail([*path, key], "unknown key." + _suggest(key, known, path))
    kwargs: dict[str, Any] = {}
    for name, f in fields.items():
        if name in raw:
            kwargs[name] = _value(hints[name], f, raw[name], [*path, name], ctx)
        elif f.metadata.get("required"):
            example = {"name": 'name = "my-punks"', "filters": "filters = 16"}.get(name, name)
            raise ctx.fail([*path, name], f"this required key is missing. Add it, e.g. {example}.")
    return cls(**kwargs)


def _finish(r: Recipe, ctx: _Ctx, raw: dict[str, Any]) -> Recipe:
    """Fill inherited defaults and check what spans several keys."""
    m = r.model
    for i, layer in enumerate(raw.get("model", {}).get("encoder", []) or []):
        if isinstance(layer, dict) and "output_padding" in layer:
            raise ctx.fail(
                ["model", "encoder", i, "output_padding"],
                "output_padding is only for decoder (Conv2DTranspose) layers. Remove it.",
            )

    def fill(layer: Layer) -> Layer:
        return dataclasses.replace(
            layer,
            activation=layer.activation or m.activation,
            initializer=layer.initializer or m.initializer,
        )

    model = ModelConfig(
        m.activation,
        m.initializer,
        tuple(fill(x) for x in m.encoder),
        tuple(fill(x) for x in m.decoder),
        m.output,
    )
    r = dataclasses.replace(r, model=model, title=r.title or r.name)
    try:
        network_shapes(r.model, r.channels)
    except ShapeError as err:
        raise ctx.fail(parse_key(err.key), str(err) + ".") from None
    poster = r.render.poster
    if poster.crop_marks and paper.parse_length(poster.bleed) <= 0:
        raise ctx.fail(
            ["render", "poster", "crop_marks"],
            "crop marks are drawn in the bleed, but bleed is 0. "
            'Set render.poster.bleed (e.g. "0.125in") or crop_marks = false.',
        )
    if r.render.sample > r.data.test_limit:
        default = "" if "sample" in (raw.get("render") or {}) else ", the default"
        raise ctx.fail(
            ["render", "sample"],
            f"expected at most data.test_limit ({r.data.test_limit}) punks, found "
            f"{r.render.sample}{default}. Lower render.sample or raise data.test_limit.",
        )
    _check_budgets(r, ctx)
    from punkforge.render import check_gif, check_poster

    try:
        check_poster(poster, r.data.test_limit)
    except PunkforgeError as err:
        raise ctx.fail(["render", "poster"], str(err)) from None
    try:
        check_gif(r.render.gif)
    except PunkforgeError as err:
        raise ctx.fail(["render", "gif", "formats"], str(err)) from None
    return r


MAX_SNAPSHOT_BYTES = 1 << 30  # the devolved sample kept for every epoch
MAX_GIF_BYTES = 2 << 30  # every frame of the progress animation, in memory


def _check_budgets(r: Recipe, ctx: _Ctx) -> None:
    """Refuse, before anything runs, requests that would exhaust memory or disk."""
    snap = r.train.epochs * r.render.sample * 24 * 24 * r.channels
    if snap > MAX_SNAPSHOT_BYTES:
        raise ctx.fail(
            ["train", "epochs"],
            f"{r.train.epochs} epochs x {r.render.sample} sample punks would keep "
            f"{snap / 2**30:.1f} GiB of snapshots; the limit is "
            f"{MAX_SNAPSHOT_BYTES / 2**30:.0f} GiB. Lower train.epochs or render.sample.",
        )
    g = r.render.gif
    frames = -(-r.train.epochs // g.every) + 1
    side = math.ceil(math.sqrt(r.render.sample)) * 26 * g.scale
    gif = frames * side * side * 3
    if gif > MAX_GIF_BYTES:
        raise ctx.fail(
            ["render", "gif"],
            f"{frames} frames of about {side}x{side} px would need {gif / 2**30:.1f} GiB; the "
            f"limit is {MAX_GIF_BYTES / 2**30:.0f} GiB. Raise render.gif.every or lower "
            "render.gif.scale or render.sample.",
        )


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


def parse_set(item: str, only_render: bool = False) -> tuple[str, Any]:
    """'train.epochs=3' -> ('train.epochs', 3). VALUE is TOML; a bare word is a string."""
    key, eq, text = item.partition("=")
    key = key.strip()
    if not eq or not key:
        raise RecipeError(f"--set {item}: expected KEY=VALUE, e.g. --set train.epochs=3.")
    known = [k for k in leaf_keys() if not only_render or k.startswith("render.")]
    if key not in known:
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        scope = " render key" if only_render else " key"
        raise RecipeError(f"--set {item}: '{key}' is not a{scope} of the recipe format.{hint}")
    text = text.strip()
    try:
        value = tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        value = text
    return key, value


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


def resolve(
    raw: dict[str, Any], source: str, text: str = "", sets: tuple[str, ...] = ()
) -> RecipeFile:
    """Validate a parsed recipe and expand its variants; see module docstring."""
    parsed_sets = dict(parse_set(s) for s in sets)
    base_ctx = _Ctx(source, text, sets=parsed_sets)
    base_raw = {k: v for k, v in raw.items() if k not in TOP_EXTRA}
    for k, v in parsed_sets.items():
        base_raw = set_dotted(base_raw, k, v)
    base = _finish(_build(Recipe, base_raw, [], base_ctx), base_ctx, base_raw)
    variants: list[Variant] = [Variant("base", base, source)]

    table = raw.get("variants", {})
    if not isinstance(table, dict):
        raise base_ctx.fail(
            ["variants"], f"expected tables [variants.NAME], found {_describe(table)}."
        )
    for vname, over in table.items():
        vctx = _Ctx(source, text, vname, over if isinstance(over, dict) else {}, sets=parsed_sets)
        if not recipe.NAME_RE.match(vname):
            raise vctx.fail([], f"variant name '{vname}' must be {recipe.NAME_HELP}.")
        if not isinstance(over, dict):
            raise vctx.fail([], f"expected a table [variants.{vname}], found {_describe(over)}.")
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
        merged = deep_merge(base_raw, over)
        for k, v in parsed_sets.items():
            merged = set_dotted(merged, k, v)
        variants.append(
            Variant(vname, _finish(_build(Recipe, merged, [], vctx), vctx, merged), source)
        )

    sweep = raw.get("sweep", {})
    if not isinstance(sweep, dict):
        raise base_ctx.fail(["sweep"], f"expected a table [sweep], found {_describe(sweep)}.")
    known = list(leaf_keys())
    keys = list(sweep)
    for k in keys:
        if k == "name":
            raise RecipeError(
                f'{source}{find_line(text, ["sweep", k])}: [sweep] "name": the '
                "recipe's name cannot be swept (it names the output folder); "
                "each combination is named from its values."
            )
        if k not in known:
            close = difflib.get_close_matches(k, [x for x in known if x != "name"], n=1, cutoff=0.6)
            hint = (
                f" Did you mean '{close[0]}'?"
                if close
                else ' Keys are dotted, e.g. "train.epochs".'
            )
            raise RecipeError(
                f'{source}{find_line(text, ["sweep", k])}: [sweep] "{k}": '
                f"not a key the sweep can vary.{hint}"
            )
        if not isinstance(sweep[k], list) or not sweep[k]:
            raise RecipeError(
                f'{source}{find_line(text, ["sweep", k])}: [sweep] "{k}": '
                f"expected a non-empty list of values, found {_describe(sweep[k])}."
            )
    if keys:
        for combo in itertools.product(*(list(enumerate(sweep[k])) for k in keys)):
            vname = "_".join(
                _sweep_label(k, keys, v, i) for k, (i, v) in zip(keys, combo, strict=True)
            )
            merged = base_raw
            for k, (_, v) in zip(keys, combo, strict=True):
                merged = set_dotted(merged, k, v)
            for k, v in parsed_sets.items():
                merged = set_dotted(merged, k, v)
            sctx = _Ctx(source, text, vname, sweep_keys=tuple(keys), sets=parsed_sets)
            if not recipe.NAME_RE.match(vname):
                raise RecipeError(
                    f"{source}: [sweep] makes the variant name '{vname}', which is "
                    f"not {recipe.NAME_HELP}. Use fewer or simpler values, or "
                    "[variants.NAME] tables."
                )
            variants.append(
                Variant(vname, _finish(_build(Recipe, merged, [], sctx), sctx, merged), source)
            )

    seen: dict[str, int] = {}
    for v in variants:
        seen[v.name] = seen.get(v.name, 0) + 1
    dups = [n for n, c in seen.items() if c > 1]
    if dups:
        dup = dups[0]
        why = (
            "'base' is the base recipe's own name"
            if dup == "base"
            else "a [sweep] combination is named that way too"
            if dup in table
            else "two [sweep] combinations get that name; is a value listed twice?"
        )
        raise RecipeError(
            f"{source}{find_line(text, ['variants', dup])}: two variants are both named "
            f"'{dup}' ({why}). Rename one of them."
        )
    return RecipeFile(source, base.name, base.display_title, tuple(variants))


def load_recipe(path: str | Path, sets: tuple[str, ...] | list[str] = ()) -> RecipeFile:
    """Load, validate and expand one recipe file."""
    raw, text = read_toml(path)
    return resolve(raw, str(path), text, tuple(sets))


def loads_recipe(text: str, source: str = "<recipe>", sets: tuple[str, ...] = ()) -> RecipeFile:
    """Like `load_recipe`, from TOML text (tests, `render` of a run folder)."""
    return resolve(parse_toml(text, source), source, text, sets)
