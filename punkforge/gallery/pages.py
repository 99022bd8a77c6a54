"""The HTML galleries: `outputs/<name>/index.html`, `outputs/index.html` and
`<variant>/series/index.html`.

This module gathers what each page shows (figures, file links, pictures,
charts) into plain data; the templates in `templates/` turn it into HTML (see
`jinja`). Pages are single self-contained files, relative links only, so a
run folder can be zipped, moved or opened straight from disk.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from punkforge import files, records
from punkforge.errors import RunError
from punkforge.gallery import figures
from punkforge.gallery.charts import PALETTE, Run, make_chart
from punkforge.gallery.formatting import finite, fmt_int, fmt_loss, fmt_seconds, sort_value
from punkforge.gallery.templating import href, write_page
from punkforge.gallery.thumbnails import THUMB
from punkforge.recipe.loader import RecipeFile
from punkforge.recipe.paper import parse_color
from punkforge.recipe.sections import Layer, Recipe, Variant
from punkforge.training.history import read_history

SERIES_PAGE = "index.html"  # inside series/: every series image on one page
SHEET_UNIT = 4  # px per punk pixel in variants.png at 24x24 (render.sheets.sheet_scale)
SERIES_SHOWN = 4  # screen px per image pixel on the series page
GIF_ZOOM = 2  # the progress GIF may show at up to twice its own size
EXTRA_ZOOM = 2  # extra art may show at up to twice its own size
VARIANT_FILES = ("loss.png", "recipe.toml", "history.csv", "model.keras", "manifest.json")
SORT_KEYS = ("val_loss", "loss", "params", "epochs", "seconds")
ROOT_TITLES = 3  # the root page's title names at most this many recipes


def _kernel(layer: Layer) -> str:
    kh, kw = layer.kernel
    k = f"{kh}" if kh == kw else f"{kh}x{kw}"
    sh, sw = layer.strides
    return k if (sh, sw) == (1, 1) else f"{k}/{sh if sh == sw else f'{sh}x{sw}'}"


def arch(r: Recipe) -> str:
    """A one-line sketch of the network, e.g. '32·16·8 → 8·16·32 k3 · relu · grey'."""

    def side(layers: tuple[Layer, ...]) -> str:
        ks = {_kernel(layer) for layer in layers}
        filters = "\u00b7".join(str(layer.filters) for layer in layers)
        if len(ks) == 1:
            return f"{filters} k{ks.pop()}"
        return " ".join(f"{layer.filters}k{_kernel(layer)}" for layer in layers)

    return (
        f"{side(r.model.encoder)} \u2192 {side(r.model.decoder)} \u00b7 {r.model.activation}"
        f" \u00b7 {r.data.color} \u00b7 {r.train.optimizer} {r.train.learning_rate:g}"
    )


def _contrast(colour: str) -> str:
    """Dark or light ink for text on `colour` ('#rrggbb')."""
    try:
        r, g, b = parse_color(colour)
    except ValueError:
        return "#ffffff"
    return "#111111" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 140 else "#f0f0f0"


def _links(page_dir: Path, items: Iterable[tuple[str, Path]]) -> list[dict[str, Any]]:
    """File links for the (label, path) items that exist."""
    return [x for label, p in items if (x := figures.link(page_dir, p, label))]


def _first(folder: Path, names: Iterable[str]) -> Path | None:
    return next((folder / n for n in names if (folder / n).is_file()), None)


def sheet_unit(summary: dict[str, Any]) -> int:
    """Px per image pixel in variants.png, from summary.json's data size (24x24 if absent)."""
    from punkforge.rendering.variants_sheet import sheet_scale

    size = summary.get("size")
    ok = isinstance(size, list) and len(size) == 2 and all(isinstance(x, int) for x in size)
    return sheet_scale((size[0], size[1])) if ok else SHEET_UNIT  # type: ignore[index]


# ---------------------------------------------------------------- series page


def write_series_page(
    series: Path, ids: Iterable[Any], scale: int, pairs: bool, title: str, variant: str,
    size: tuple[int, int] = (24, 24),
) -> Path:  # fmt: skip
    """series/index.html: every series image on one page, in id order.

    Images of `size` (h, w) load lazily and show at SERIES_SHOWN screen px
    per image pixel, so a thousand of them cost one small page. Punk ids give
    'punk-<id>.png', a folder's file stems '<stem>.png' (`render.series_name`).
    """
    from punkforge.recipe.limits import pair_gap
    from punkforge.rendering.series import series_name

    ph, pw = int(size[0]), int(size[1])
    w_src = 2 * pw + pair_gap((ph, pw)) if pairs else pw
    tiles, punks = [], True
    for i in ids:
        name = series_name(i)
        punks = punks and name.startswith("punk-")
        label = name[:-4].removeprefix("punk-")
        tiles.append({"id": label, "alt": f"punk {label}" if punks else label, "file": href(name)})
    return write_page(
        series / SERIES_PAGE,
        "series.html.j2",
        title=title,
        variant=variant,
        tiles=tiles,
        noun="punks" if punks else "images",
        width=w_src * SERIES_SHOWN,
        height=ph * SERIES_SHOWN,
        full=(w_src * scale, ph * scale),
    )


# ---------------------------------------------------------------- recipe page


def _card(v: Variant, out: Path, row: dict[str, Any], order: int, colour: str, rank: int,
          total: int) -> dict[str, Any]:  # fmt: skip
    """What one variant's card shows."""
    name, folder, r = v.name, out / v.name, v.recipe
    poster = _first(folder, ("poster.png", "poster.tiff", "poster.pdf"))
    thumb = _first(folder, (THUMB, "poster.png"))  # poster.png: made before thumbnails
    progress = _first(folder, ("progress.gif", "progress.webp"))
    series_dir = folder / "series"
    n_series = len(list(series_dir.glob("*.png"))) if series_dir.is_dir() else 0
    series = series_dir / SERIES_PAGE
    if not series.is_file():  # a gallery opened from disk cannot list a folder
        series = min(series_dir.glob("*.png"), default=series) if n_series else series
    files = [(f"poster.{x}", folder / f"poster.{x}") for x in ("png", "tiff", "pdf")]
    files += [(f"progress.{x}", folder / f"progress.{x}") for x in ("gif", "webp", "mp4")]
    files += [(f"series \u00b7 {n_series:,}", series)]
    files += [("epochs", folder / "index.html")]  # the epoch scrubber (variant_page)
    files += [(f, folder / f) for f in VARIANT_FILES]
    extra = []
    for fig in figures.extra_figures(folder):
        path = folder / fig.path
        extra.append(
            {
                "label": fig.label,
                "kind": fig.kind,
                "href": href(name, *fig.path.split("/")),
                "picture": figures.picture(out, path, f"{name}: {fig.label}", 1, EXTRA_ZOOM),
                "links": _links(out, [(Path(p).suffix[1:], folder / p) for p in fig.also]),
            }
        )
    hist = read_history(folder)
    gif = None
    if progress:
        alt = f"{name} learning, epoch by epoch"
        gif = figures.picture(out, progress, alt, r.render.gif.scale, GIF_ZOOM)
    return {
        "name": name,
        "order": order,
        "colour": colour,
        "rank": rank,
        "total": total,
        "arch": arch(r),
        "sort": {k: sort_value(row.get(k)) for k in SORT_KEYS},
        "poster": figures.picture(out, thumb, f"poster of {name}") if thumb else None,
        "poster_href": href(*poster.relative_to(out).parts) if poster else "",
        "gif": gif,
        "gif_href": href(*progress.relative_to(out).parts) if progress else "",
        "stats": [
            ("val_loss", fmt_loss(row.get("val_loss")), "val_loss", "key"),
            ("loss", fmt_loss(row.get("loss")), "loss", ""),
            ("params", fmt_int(row.get("params")), "params", ""),
            ("epochs", fmt_int(row.get("epochs")), "epochs", ""),
            ("train", fmt_seconds(row.get("seconds")), "seconds", ""),
        ],
        "curve": make_chart([Run(name, colour, hist)], 520, 170, dashed_loss=True),
        "figures": extra,
        "files": _links(out, files),
    }


def _ranks(rows: dict[str, dict[str, Any]]) -> dict[str, int]:
    def key(name: str) -> tuple[bool, float]:
        v = finite([rows[name].get("val_loss")])
        return (not v, v[0] if v else 0.0)

    return {name: i + 1 for i, name in enumerate(sorted(rows, key=key))}


def write_recipe_index(
    rf: RecipeFile, out: Path, done: list[Variant], summary: dict[str, Any]
) -> Path:
    """outputs/<name>/index.html for the finished variants."""
    rows = {v.name: summary["variants"].get(v.name, {}) for v in done}
    ranks = _ranks(rows)
    colours = {v.name: PALETTE[i % len(PALETTE)] for i, v in enumerate(done)}
    vals = finite(r.get("val_loss") for r in rows.values())
    vmax = max(vals) if vals else 1.0
    n = len(done)
    cards = [
        _card(v, out, rows[v.name], i, colours[v.name], ranks[v.name], n)
        for i, v in enumerate(done)
    ]
    board = []
    for c in cards:
        row = rows[c["name"]]
        bar = 100 * row["val_loss"] / vmax if c["sort"]["val_loss"] and vmax > 0 else None
        board.append({**c, "row": row, "bar": bar})
    runs = [Run(v.name, colours[v.name], read_history(out / v.name)) for v in done]
    best = min(rows, key=lambda k: ranks[k]) if vals else ""
    sheet = None
    if (out / "variants.png").is_file() and done:
        bg = done[0].recipe.render.poster.background
        sheet = {
            "picture": figures.picture(
                out, out / "variants.png", "comparison sheet", sheet_unit(summary)
            ),
            "background": bg,
            "ink": _contrast(bg),
        }
    return write_page(
        out / "index.html",
        "recipe.html.j2",
        title=rf.title,
        name=rf.name,
        source=rf.path,
        count=n,
        best={"name": best, "val_loss": rows[best].get("val_loss")} if best else None,
        links=_links(out, [(f, out / f) for f in ("summary.json", "variants.png")]),
        sheet=sheet,
        compare_chart=make_chart(runs, 560, 320, svg_id="runs"),
        board=board,
        cards=cards,
    )


# ---------------------------------------------------------------- root page


def _recipe_entry(folder: Path, s: dict[str, Any]) -> dict[str, Any]:
    """What the root page shows of one recipe folder, from its summary.json."""
    variants = s.get("variants", {})
    variants = variants if isinstance(variants, dict) else {}
    rows = [r for r in variants.values() if isinstance(r, dict)]
    ranked = sorted(
        (float(r["val_loss"]), k)
        for k, r in variants.items()
        if isinstance(r, dict) and finite([r.get("val_loss")])
    )
    facts = [("variants", f"{len(variants):,}", "")]
    if ranked:
        facts.append(("best val_loss", fmt_loss(ranked[0][0]), ranked[0][1]))
    for key, label in (("params", "parameters"), ("epochs", "epochs")):
        nums = sorted({r.get(key) for r in rows if isinstance(r.get(key), int)})
        if nums:
            lo, hi = fmt_int(nums[0]), fmt_int(nums[-1])
            facts.append((label, lo if lo == hi else f"{lo}\u2013{hi}", ""))
    secs = finite(r.get("seconds") for r in rows)
    if secs:
        facts.append(("training", fmt_seconds(sum(secs)), "all variants"))
    root = folder.parent
    sheet = folder / "variants.png"
    title = s.get("title")
    return {
        "name": folder.name,
        "count": len(variants),
        "title": title if isinstance(title, str) and title else folder.name,
        "href": href(folder.name, "index.html"),
        "facts": facts,
        "sheet": figures.picture(root, sheet, f"comparison sheet of {folder.name}", sheet_unit(s))
        if sheet.is_file() else None,
    }  # fmt: skip


def _running_entry(name: str, title: str) -> dict[str, Any]:
    """What the root page shows of a recipe in its first run: a link to its live page."""
    return {
        "name": name,
        "count": 0,
        "title": title or name,
        "href": href(name, "index.html"),
        "facts": [("status", "first run", "live page")],
        "sheet": None,
    }


def root_title(titles: list[str]) -> str:
    """The root page's title, from its recipes' titles."""
    if not titles:
        return "punkforge"
    shown = titles[:ROOT_TITLES]
    more = len(titles) - len(shown)
    return " \u00b7 ".join(shown) + (f" + {more} more" if more else "")


def write_root_index(root: Path, running: dict[str, str] | None = None) -> Path:
    """outputs/index.html listing every recipe folder that has an intact summary.json.

    A damaged summary.json (another recipe's, torn or of the wrong shape) is
    left out; that recipe's next run or render writes it again. `running` maps
    the name of a recipe whose first run is under way (no summary.json yet) to
    its title: it is listed too, linking to its live page.
    """
    recipes = []
    running = dict(running or {})
    for summary_path in sorted(root.glob("*/summary.json")):
        if summary_path.parent.is_symlink():
            continue  # not a recipe folder of punkforge's: never read through a link
        try:
            s = files.read_record_or_none(summary_path, records.Summary)
        except RunError:  # summary.json itself is a link
            continue
        if s is not None:
            recipes.append(_recipe_entry(summary_path.parent, records.plain(s)))
            running.pop(summary_path.parent.name, None)
    recipes += [_running_entry(name, title) for name, title in sorted(running.items())]
    total = sum(r["count"] for r in recipes)
    return write_page(
        root / "index.html",
        "root.html.j2",
        title=root_title([r["title"] for r in recipes]),
        recipes=recipes,
        total=total,
    )
