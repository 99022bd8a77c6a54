"""The HTML galleries: `outputs/<name>/index.html`, `outputs/index.html` and
`<variant>/series/index.html`, plus the poster thumbnail they show.

Self-contained pages: inline CSS, inline SVG loss curves and a few lines of
JavaScript (sorting, and sizing pixel art to whole screen pixels per punk
pixel); no network, no fonts, no build step. Every link is relative, so a run
folder can be zipped, moved or opened straight from disk. Pure string
building; Pillow is imported only to shrink the poster.
"""

from __future__ import annotations

import html
import json
import math
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from punkforge import files
from punkforge.files import read_history
from punkforge.gallery.assets import CSS, FIT_JS, PALETTE, SORT_JS
from punkforge.recipe import Layer, Recipe, Variant
from punkforge.recipe.load import RecipeFile
from punkforge.recipe.paper import parse_color
from punkforge.render.plot import cover_ticks, nice_step

THUMB = "poster-thumb.png"  # beside poster.png: the poster shrunk for the gallery
SERIES_PAGE = "index.html"  # inside series/: every series image on one page
SHEET_UNIT = 4  # px per punk pixel in variants.png (render.sheets.SHEET_SCALE)
THUMB_MIN, THUMB_MAX, THUMB_BOX = 600, 1600, 900  # thumbnail widths, px
VARIANT_FILES = ("loss.png", "recipe.toml", "history.csv", "model.keras", "manifest.json")
SERIES_SHOWN = 4  # screen px per punk pixel on the series page


# line colours of the variants, chosen to read on the dark page
# ---------------------------------------------------------------- helpers

e = html.escape


def _href(*parts: str) -> str:
    """A relative URL from path parts, percent-encoded and HTML-escaped."""
    return e("/".join(quote(p) for p in parts))


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from a PNG or GIF header, or None (no Pillow needed)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(26)
    except OSError:
        return None
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        return struct.unpack(">II", head[16:24])
    if head[:4] == b"GIF8":
        return struct.unpack("<HH", head[6:10])
    return None


def _img(src: str, path: Path, alt: str, cls: str = "", unit: int = 0, zoom: int = 1) -> str:
    size = image_size(path)
    attrs = f' width="{size[0]}" height="{size[1]}"' if size else ""
    if unit:
        attrs += f' data-u="{unit}" data-zoom="{zoom}"'
    cls_attr = f' class="{cls}"' if cls else ""
    return f'<img src="{src}" alt="{e(alt)}"{cls_attr}{attrs}>'


def _size(path: Path) -> str:
    n = float(path.stat().st_size)
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""  # pragma: no cover


def fmt_loss(v: Any) -> str:
    """A loss as shown in the galleries: 4 decimals, or 3 significant digits when tiny."""
    if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
        return "\u2013"
    return f"{v:.4f}" if abs(v) >= 0.001 or v == 0 else f"{v:.2e}"


def fmt_int(v: Any) -> str:
    return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else "\u2013"


def fmt_seconds(v: Any) -> str:
    if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
        return "\u2013"
    if v < 100:
        return f"{v:.1f} s"
    m, s = divmod(round(v), 60)
    return f"{m} min {s:02d} s" if m < 60 else f"{m // 60} h {m % 60:02d} min"


def _data(v: Any) -> str:
    """A figure as a data-* attribute for sorting ('' when missing)."""
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        return ""
    return repr(v)


def _finite(values: Iterable[Any]) -> list[float]:
    return [
        float(v)
        for v in values
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
    ]


def nice_ticks(lo: float, hi: float, count: int = 4) -> list[float]:
    """Round tick values covering [lo, hi]."""
    if not hi > lo:
        return [lo]
    return cover_ticks(lo, hi, nice_step(hi - lo, count))


def _tick_label(t: float, step: float) -> str:
    digits = max(0, -math.floor(math.log10(step))) if step > 0 else 2
    return f"{t:.{digits}f}"


def _chart(
    runs: Sequence[tuple[str, str, list[dict[str, float]], str]],
    width: int,
    height: int,
    svg_id: str = "",
    dashed_loss: bool = False,
) -> str:
    """An SVG line chart: runs of (name, colour, history, key) share the axes."""
    points = [(h["epoch"], h[key]) for _, _, hist, key in runs for h in hist]
    if dashed_loss:
        points += [(h["epoch"], h["loss"]) for _, _, hist, _ in runs for h in hist]
    ys = _finite(y for _, y in points)
    if not ys:
        return '<p class="empty">no history</p>'
    max_ep = max(int(x) for x, _ in points)
    ticks = nice_ticks(min(ys), max(ys), 6)
    lo, hi = ticks[0], ticks[-1] if len(ticks) > 1 else ticks[0] + 1
    step = ticks[1] - ticks[0] if len(ticks) > 1 else 1
    left, right, top, bottom = 46, 10, 8, 24
    pw, ph = width - left - right, height - top - bottom

    def x(ep: float) -> float:
        return left + (pw * (ep - 1) / (max_ep - 1) if max_ep > 1 else pw / 2)

    def y(v: float) -> float:
        return top + ph * (1 - (v - lo) / (hi - lo))

    out = [
        f'<svg{f" id={chr(34)}{svg_id}{chr(34)}" if svg_id else ""} viewBox="0 0 {width} {height}" '
        'role="img" aria-label="loss per epoch">'
    ]
    for t in ticks:
        out.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}"/>'
            f'<text x="{left - 6}" y="{y(t) + 4:.1f}" text-anchor="end">'
            f"{_tick_label(t, step)}</text>"
        )
    ep_ticks = sorted(
        {1, max_ep} | set(nice_ticks(1, max_ep, 6) if max_ep > 6 else range(1, max_ep + 1))
    )
    for t in ep_ticks:
        if 1 <= t <= max_ep and float(t).is_integer():
            out.append(
                f'<text x="{x(t):.1f}" y="{height - 6}" text-anchor="middle">{int(t)}</text>'
            )
    for name, colour, hist, key in runs:
        for k, cls, stroke in (("loss", "loss", ""), (key, "run", colour)):
            if cls == "loss" and not dashed_loss:
                continue
            pts = [(h["epoch"], h[k]) for h in hist if math.isfinite(h[k])]
            if not pts:
                continue
            style = f' style="stroke:{stroke}"' if stroke else ""
            coords = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in pts)
            out.append(
                f'<polyline class="{cls}" data-v="{e(name)}"{style} points="{coords}">'
                f"<title>{e(name)} {k}</title></polyline>"
            )
            if cls == "run":
                for a, b in pts if len(pts) <= 30 else pts[-1:]:
                    out.append(
                        f'<circle cx="{x(a):.1f}" cy="{y(b):.1f}" r="2.5" fill="{stroke}">'
                        f"<title>{e(name)}: epoch {int(a)}, {k} {fmt_loss(b)}</title></circle>"
                    )
    out.append("</svg>")
    return "".join(out)


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


def _page(title: str, body: str, script: str = "") -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="punkforge">
<title>{e(title)}</title>
<style>{CSS}</style></head>
<body>
{body}
<footer>made with punkforge</footer>
<script>{FIT_JS}{script}</script>
</body></html>
"""


# ---------------------------------------------------------------- artefacts


def thumb_factor(width: int, scale: int) -> tuple[int, bool]:
    """(shrink factor, aligned) for a poster `width` px wide with punks scaled by `scale`.

    Aligned: the factor divides the tile scale, so (cropped to the tile grid's
    phase) every punk pixel becomes whole thumbnail pixels: the thumbnail is
    as crisp as the poster. The largest such factor that keeps the thumbnail
    at least THUMB_MIN wide wins; when even that leaves it wider than
    THUMB_MAX (tiny punks on a huge page), a plain box filter to THUMB_BOX.
    """
    f = next((d for d in range(scale, 0, -1) if scale % d == 0 and width // d >= THUMB_MIN), 1)
    if width // f > THUMB_MAX:
        return max(1, math.ceil(width / THUMB_BOX)), False
    return f, True


def write_poster_thumb(poster: Any, grid_xy: tuple[int, int], scale: int, path: Path) -> Path:
    """poster-thumb.png: the (H, W, 3) uint8 poster shrunk by a box filter (see thumb_factor)."""
    import numpy as np
    from PIL import Image

    from punkforge.render import save_png

    h, w = poster.shape[:2]
    f, aligned = thumb_factor(w, scale)
    x0, y0 = (grid_xy[0] % f, grid_xy[1] % f) if aligned else (0, 0)
    w2, h2 = (w - x0) // f * f, (h - y0) // f * f
    img = Image.fromarray(np.ascontiguousarray(poster[y0 : y0 + h2, x0 : x0 + w2]))
    if f > 1:
        img = img.reduce(f)
    return save_png(np.asarray(img), path)


def write_series_page(
    series: Path, ids: Iterable[Any], scale: int, pairs: bool, title: str, variant: str
) -> Path:
    """series/index.html: every series image on one page, in punk id order.

    Images load lazily and show at SERIES_SHOWN screen px per punk pixel, so a
    thousand of them cost one small page.
    """
    from punkforge.render.compose import PAIR_GAP

    w_src = 2 * 24 + PAIR_GAP if pairs else 24
    w, h = w_src * SERIES_SHOWN, 24 * SERIES_SHOWN
    names = [f"punk-{int(i)}.png" for i in ids]
    tiles = "\n".join(
        f'<a href="{n}"><img class="px" src="{n}" width="{w}" height="{h}" alt="punk '
        f'{n[5:-4]}" loading="lazy" decoding="async"><span>{n[5:-4]}</span></a>'
        for n in names
    )
    body = f"""<header class="top">
<nav class="crumbs"><a href="../../../index.html">punkforge</a> /
<a href="../../index.html">{e(title)}</a> /
<a href="../../index.html#v-{e(variant)}">{e(variant)}</a> / series</nav>
<h1>{e(variant)} <span style="color:var(--faint)">series</span></h1>
<p class="lede"><b>{len(names):,}</b> devolved test punks, each a PNG at {scale}&times; scale
({w_src * scale}&times;{24 * scale} px). Click one for the full-size file.</p>
</header>
<main class="tiles" style="--w:{w + 18}px">
{tiles}
</main>"""
    return files.write_text(series / SERIES_PAGE, _page(f"{title} - {variant} series", body))


# ---------------------------------------------------------------- recipe page


def _chips(items: list[tuple[str, Path, str]]) -> str:
    """File links that exist: (label, path on disk, href)."""
    out = [
        f'<li><a href="{href}">{e(label)}<small>{_size(path)}</small></a></li>'
        for label, path, href in items
        if path.is_file()
    ]
    return f'<ul class="chips">{"".join(out)}</ul>'


def _sort_attrs(name: str, order: int, row: dict[str, Any]) -> str:
    """data-* attributes the sort buttons read (raw figures, '' when missing)."""
    figures = "".join(
        f' data-{k}="{_data(row.get(k))}"'
        for k in ("val_loss", "loss", "params", "epochs", "seconds")
    )
    return f' data-name="{e(name)}" data-order="{order}"{figures}'


def _card(v: Variant, out: Path, row: dict[str, Any], order: int, colour: str, rank: int,
          total: int) -> str:  # fmt: skip
    name = v.name
    folder = out / name
    r = v.recipe
    u = _href(name)
    poster_file = next(
        (f for f in ("poster.png", "poster.tiff", "poster.pdf") if (folder / f).is_file()), ""
    )
    poster_href = f"{u}/{poster_file}" if poster_file else ""
    if (folder / THUMB).is_file():
        thumb = _img(f"{u}/{THUMB}", folder / THUMB, f"poster of {name}")
    elif (folder / "poster.png").is_file():  # made before thumbnails existed
        thumb = _img(f"{u}/poster.png", folder / "poster.png", f"poster of {name}")
    else:
        thumb = ""
    if thumb and poster_href:
        thumb = f'<a href="{poster_href}">{thumb}</a>'
    progress = next((f for f in ("progress.gif", "progress.webp") if (folder / f).is_file()), "")
    gif = ""
    if progress:
        alt = f"{name} learning, epoch by epoch"
        img = _img(f"{u}/{progress}", folder / progress, alt, "px", r.render.gif.scale, 2)
        gif = f'<a class="fit" href="{u}/{progress}">{img}</a>'
    val = row.get("val_loss")
    badge = '<span class="badge">best val_loss</span>' if rank == 1 and total > 1 else ""
    stats = [
        ("val_loss", fmt_loss(val), "val_loss", "key"),
        ("loss", fmt_loss(row.get("loss")), "loss", ""),
        ("params", fmt_int(row.get("params")), "params", ""),
        ("epochs", fmt_int(row.get("epochs")), "epochs", ""),
        ("train", fmt_seconds(row.get("seconds")), "seconds", ""),
    ]
    stats_html = "".join(
        f'<div class="{cls}"><dt>{label}</dt><dd data-f="{key}">{value}</dd></div>'
        for label, value, key, cls in stats
    )
    hist = read_history(folder)
    curve = _chart([(name, colour, hist, "val_loss")], 520, 150, dashed_loss=True)
    series_dir = folder / "series"
    n_series = len(list(series_dir.glob("punk-*.png"))) if series_dir.is_dir() else 0
    if (series_dir / SERIES_PAGE).is_file():
        series_href, series_path = f"{u}/series/{SERIES_PAGE}", series_dir / SERIES_PAGE
    else:
        first = min(series_dir.glob("punk-*.png"), default=None) if n_series else None
        series_href = f"{u}/series/{_href(first.name)}" if first else ""
        series_path = first if first else folder / "series"
    chips = [
        (f"poster.{x}", folder / f"poster.{x}", f"{u}/poster.{x}") for x in ("png", "tiff", "pdf")
    ]
    chips += [
        (f"progress.{x}", folder / f"progress.{x}", f"{u}/progress.{x}")
        for x in ("gif", "webp", "mp4")
    ]
    chips += [(f"series \u00b7 {n_series:,}", series_path, series_href)] if series_href else []
    chips += [(f, folder / f, f"{u}/{f}") for f in VARIANT_FILES]
    return f"""<article class="card" id="v-{e(name)}"{_sort_attrs(name, order, row)}>
<header><h3><span class="sw" style="--c:{colour}"></span>
<a href="#v-{e(name)}">{e(name)}</a></h3>{badge}
<span class="rank" title="rank by val_loss">#{rank} of {total}</span>
<p class="arch">{e(arch(r))}</p></header>
<div class="media">
<figure class="poster">{thumb}</figure>
<figure>{gif}</figure>
</div>
<dl class="stats">{stats_html}</dl>
<figure class="curve">{curve}
<figcaption><span><i style="--c:{colour}"></i>val_loss</span><span><i class="dash"></i>loss</span>
<span style="margin-left:auto">per epoch</span></figcaption></figure>
{_chips(chips)}
</article>"""


def _ranks(rows: dict[str, dict[str, Any]]) -> dict[str, int]:
    def key(name: str) -> tuple[bool, float]:
        v = rows[name].get("val_loss")
        ok = bool(_finite([v]))
        return (not ok, float(v) if ok else 0.0)

    return {name: i + 1 for i, name in enumerate(sorted(rows, key=key))}


def write_recipe_index(
    rf: RecipeFile, out: Path, done: list[Variant], summary: dict[str, Any]
) -> Path:
    """outputs/<name>/index.html for the finished variants."""
    rows = {v.name: summary["variants"].get(v.name, {}) for v in done}
    ranks = _ranks(rows)
    colours = {v.name: PALETTE[i % len(PALETTE)] for i, v in enumerate(done)}
    vals = _finite(r.get("val_loss") for r in rows.values())
    vmax = max(vals) if vals else 1.0
    best = min(rows, key=lambda n: ranks[n]) if rows else ""
    n = len(done)
    cards = "\n".join(
        _card(v, out, rows[v.name], i, colours[v.name], ranks[v.name], n)
        for i, v in enumerate(done)
    )
    board = []
    for i, v in enumerate(done):
        row = rows[v.name]
        val = row.get("val_loss")
        bar = ""
        if _finite([val]) and vmax > 0:
            bar = f'<span class="bar"><i style="width:{100 * float(val) / vmax:.1f}%"></i></span>'
        top = ' class="top1"' if ranks[v.name] == 1 and n > 1 else ""
        board.append(
            f"<tr{top}{_sort_attrs(v.name, i, row)}>"
            f"<td>{ranks[v.name]}</td>"
            f'<td><span class="sw" style="--c:{colours[v.name]}"></span>'
            f'<a href="#v-{e(v.name)}">{e(v.name)}</a></td>'
            f"<td>{fmt_int(row.get('params'))}</td><td>{fmt_int(row.get('epochs'))}</td>"
            f"<td>{fmt_loss(row.get('loss'))}</td><td>{fmt_loss(val)}{bar}</td>"
            f"<td>{fmt_seconds(row.get('seconds'))}</td></tr>"
        )
    heads = [("order", "#"), ("name", "variant"), ("params", "params"), ("epochs", "epochs"),
             ("loss", "loss"), ("val_loss", "val_loss"), ("seconds", "train")]  # fmt: skip
    thead = "".join(
        f'<th><button type="button" data-sort="{k}">{label}</button></th>' for k, label in heads
    )
    runs = [(v.name, colours[v.name], read_history(out / v.name), "val_loss") for v in done]
    chart = _chart(runs, 520, 300, svg_id="runs")
    buttons = "".join(
        f'<button type="button" data-sort="{k}" aria-pressed="{str(k == "order").lower()}">'
        f"{label}<i></i></button>"
        for k, label in (("order", "recipe order"), ("val_loss", "val_loss"), ("loss", "loss"),
                         ("params", "parameters"), ("epochs", "epochs"), ("seconds", "train time"),
                         ("name", "name"))
    )  # fmt: skip
    compare = toolbar = ""
    if n > 1:  # one variant has nothing to compare or sort
        compare = f"""<h2 class="section">Compare</h2>
<div class="compare">
<div class="panel"><h3>val_loss per epoch</h3>{chart}</div>
<div class="panel scroll"><h3>Figures</h3><table><thead><tr>{thead}</tr></thead>
<tbody id="board">{"".join(board)}</tbody></table></div>
</div>"""
        toolbar = f'<div class="toolbar"><span>sort</span>{buttons}</div>'
    sheet = ""
    if (out / "variants.png").is_file() and done:
        bg = e(done[0].recipe.render.poster.background) if done else "#000"
        img = _img("variants.png", out / "variants.png", "comparison sheet", "px", SHEET_UNIT, 1)
        sheet = f"""<h2 class="section">Comparison sheet</h2>
<figure class="sheet" style="background:{bg}"><a class="fit" href="variants.png">{img}</a>
<figcaption style="color:{_contrast(done[0].recipe.render.poster.background)}">
The same sample punks: originals on top, then one row per variant.</figcaption></figure>"""
    best_txt = ""
    if vals and best:
        best_txt = (
            f' &middot; best val_loss <b class="best">{fmt_loss(rows[best].get("val_loss"))}</b>'
            f' (<a href="#v-{e(best)}">{e(best)}</a>)'
        )
    body = f"""<header class="top">
<nav class="crumbs"><a href="../index.html">punkforge</a> / {e(rf.name)}</nav>
<h1>{e(rf.title)}</h1>
<p class="lede"><b>{n}</b> variant{"s" if n != 1 else ""} of <code>{e(rf.path)}</code>{best_txt}</p>
{_chips([(f, out / f, f) for f in ("summary.json", "variants.png")])}
</header>
{sheet}
{compare}
<h2 class="section">Variant{"s" if n != 1 else ""}</h2>
{toolbar}
<main class="cards{" solo" if n == 1 else ""}" id="variants">
{cards}
</main>"""
    return files.write_text(out / "index.html", _page(f"{rf.title} - punkforge", body, SORT_JS))


def _contrast(colour: str) -> str:
    """Dark or light ink for text on `colour` ('#rrggbb')."""
    try:
        r, g, b = parse_color(colour)
    except ValueError:
        return "#ffffff"
    return "#111111" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 140 else "#f0f0f0"


# ---------------------------------------------------------------- root page


def write_root_index(root: Path) -> Path:
    """outputs/index.html listing every recipe folder that has a summary.json."""
    items = []
    total = 0
    for summary_path in sorted(root.glob("*/summary.json")):
        try:
            s = json.loads(summary_path.read_text(encoding="utf-8"))
            variants = dict(s.get("variants", {}))
        except (OSError, ValueError, TypeError, AttributeError):
            continue
        folder = summary_path.parent
        name = folder.name
        u = _href(name)
        total += len(variants)
        ranked = sorted(
            (float(r["val_loss"]), k)
            for k, r in variants.items()
            if isinstance(r, dict) and _finite([r.get("val_loss")])
        )
        facts = [("variants", f"{len(variants):,}", "")]
        if ranked:
            facts.append(("best val_loss", fmt_loss(ranked[0][0]), ranked[0][1]))
        rows = [r for r in variants.values() if isinstance(r, dict)]
        for key, label in (("params", "parameters"), ("epochs", "epochs")):
            nums = sorted({r.get(key) for r in rows if isinstance(r.get(key), int)})
            if nums:
                span = (
                    fmt_int(nums[0])
                    if len(nums) == 1
                    else f"{fmt_int(nums[0])}\u2013{fmt_int(nums[-1])}"
                )
                facts.append((label, span, ""))
        secs = _finite(r.get("seconds") for r in rows)
        if secs:
            facts.append(("training", fmt_seconds(sum(secs)), "all variants"))
        dl = "".join(
            f"<div><dt>{e(k)}</dt><dd>{e(v)}"
            + (f"<small>{e(sub)}</small>" if sub else "")
            + "</dd></div>"
            for k, v, sub in facts
        )
        preview = ""
        if (folder / "variants.png").is_file():
            img = _img(f"{u}/variants.png", folder / "variants.png", f"comparison sheet of {name}",
                       "px", SHEET_UNIT, 1)  # fmt: skip
            preview = f'<a class="preview fit" href="{u}/index.html">{img}</a>'
        title = s.get("title") or name
        items.append(
            f'<article class="recipe panel"><header><div>'
            f'<h2><a href="{u}/index.html">{e(str(title))}</a></h2>'
            f'<p class="name mono">{e(name)}</p></div>'
            f'<a class="open" href="{u}/index.html">Open gallery \u2192</a></header>'
            f'<dl class="stats facts">{dl}</dl>{preview}</article>'
        )
    n = len(items)
    listing = "\n".join(items) if items else '<p class="empty">Nothing rendered yet.</p>'
    body = f"""<header class="top">
<nav class="crumbs">punkforge</nav>
<h1>Devolved punks</h1>
<p class="lede"><b>{n}</b> recipe{"s" if n != 1 else ""} &middot;
<b>{total}</b> variant{"s" if total != 1 else ""}.
Each gallery shows every variant's poster, training GIF, loss curve and files.</p>
</header>
<main class="recipes">
{listing}
</main>"""
    return files.write_text(root / "index.html", _page("punkforge outputs", body))
