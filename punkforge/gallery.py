"""The HTML galleries: `outputs/<name>/index.html` and `outputs/index.html`.

Self-contained pages (inline CSS and a few lines of JavaScript, no network,
no build step) that show every variant's poster, progress GIF, loss curve and
figures, link to the full-size files and the resolved recipe, and sort by
val_loss. Pure string building; nothing heavy is imported.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from punkforge import files
from punkforge.recipe import Variant
from punkforge.recipe_load import RecipeFile

CSS = """
:root { --bg:#101014; --card:#1b1b22; --ink:#ececf1; --dim:#9a9aa8; --acc:#f5c542; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
       font:15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
header { padding:28px 32px 8px; }
h1 { margin:0 0 4px; font-size:28px; letter-spacing:.5px; }
header p { margin:0; color:var(--dim); }
.bar { padding:8px 32px 16px; color:var(--dim); }
.bar button { background:var(--card); color:var(--ink); border:1px solid #333; border-radius:6px;
       padding:5px 10px; margin-left:6px; cursor:pointer; font:inherit; }
.sheet { padding:0 32px 8px; }
.sheet img, .card img { image-rendering: pixelated; image-rendering: crisp-edges; }
.sheet img { max-width:100%; border-radius:6px; }
.grid { display:grid; grid-template-columns:repeat(auto-fill, minmax(340px, 1fr)); gap:20px;
        padding:16px 32px 40px; }
.card { background:var(--card); border-radius:10px; padding:14px; }
.card h2 { margin:0 0 8px; font-size:18px; color:var(--acc); }
.pics { display:grid; grid-template-columns:1fr 1fr; gap:8px; align-items:start; }
.pics img { width:100%; border-radius:4px; background:#000; }
.loss { width:100%; margin-top:8px; border-radius:4px; }
table { width:100%; border-collapse:collapse; margin-top:8px; font-size:13px; }
td { padding:2px 4px; border-bottom:1px solid #2a2a33; }
td:first-child { color:var(--dim); }
td:last-child { text-align:right; font-variant-numeric: tabular-nums; }
.links { margin-top:8px; font-size:13px; }
a { color:var(--acc); }
ul.recipes { list-style:none; padding:0 32px; }
ul.recipes li { background:var(--card); border-radius:10px; padding:14px; margin-bottom:14px; }
ul.recipes img { max-width:100%; image-rendering: pixelated; }
"""

SORT_JS = """
function sortBy(key, dir) {
  const grid = document.getElementById('variants');
  const cards = Array.from(grid.children);
  cards.sort((a, b) => dir * (parseFloat(a.dataset[key]) - parseFloat(b.dataset[key])));
  cards.forEach(c => grid.appendChild(c));
}
"""


def _fmt(v: Any, digits: int = 4) -> str:
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    if isinstance(v, int):
        return f"{v:,}"
    return html.escape(str(v))


def _card(v: Variant, folder: Path, row: dict[str, Any]) -> str:
    e = html.escape
    n = e(v.name)
    poster = next(
        (f"{n}/poster.{x}" for x in ("png", "tiff", "pdf") if (folder / f"poster.{x}").exists()), ""
    )
    extra = [f"{n}/{p.name}" for p in sorted(folder.glob("poster.*")) if p.suffix != ".png"]
    extra += [f"{n}/{p.name}" for p in sorted(folder.glob("progress.*")) if p.suffix != ".gif"]
    val = row.get("val_loss")
    val_key = val if isinstance(val, float) else 1e9
    figures = "".join(
        f"<tr><td>{label}</td><td>{_fmt(row.get(key))}</td></tr>"
        for label, key in (
            ("parameters", "params"),
            ("epochs", "epochs"),
            ("final loss", "loss"),
            ("final val_loss", "val_loss"),
            ("training seconds", "seconds"),
        )
    )
    links = " · ".join(
        [
            f'<a href="{poster}">poster</a>',
            f'<a href="{n}/series/">series</a>',
            f'<a href="{n}/recipe.toml">recipe.toml</a>',
            f'<a href="{n}/history.csv">history.csv</a>',
            f'<a href="{n}/model.keras">model.keras</a>',
            f'<a href="{n}/manifest.json">manifest</a>',
        ]
        + [f'<a href="{x}">{e(Path(x).name)}</a>' for x in extra]
    )
    return f"""<article class="card" data-val="{val_key}" data-params="{row.get("params", 0)}">
<h2>{n}</h2>
<div class="pics">
  <a href="{poster}"><img src="{poster}" alt="poster of {n}" loading="lazy"></a>
  <a href="{n}/progress.gif"><img src="{n}/progress.gif" alt="training progress of {n}"></a>
</div>
<a href="{n}/loss.png">
  <img class="loss" src="{n}/loss.png" alt="loss curve of {n}" loading="lazy"></a>
<table>{figures}</table>
<div class="links">{links}</div>
</article>"""


def write_recipe_index(
    rf: RecipeFile, out: Path, done: list[Variant], summary: dict[str, Any]
) -> Path:
    """outputs/<name>/index.html for the finished variants."""
    e = html.escape
    cards = "\n".join(_card(v, out / v.name, summary["variants"][v.name]) for v in done)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(rf.title)} - punkforge</title><style>{CSS}</style></head>
<body>
<header><h1>{e(rf.title)}</h1>
<p>{len(done)} variant{"s" if len(done) != 1 else ""} of <code>{e(rf.path)}</code> ·
<a href="summary.json">summary.json</a> · <a href="../index.html">all recipes</a></p></header>
<div class="sheet"><a href="variants.png"><img src="variants.png" alt="comparison sheet"></a></div>
<div class="bar">sort by
<button onclick="sortBy('val', 1)">val_loss ↑</button>
<button onclick="sortBy('val', -1)">val_loss ↓</button>
<button onclick="sortBy('params', 1)">parameters</button></div>
<main class="grid" id="variants">
{cards}
</main>
<script>{SORT_JS}</script>
</body></html>
"""
    return files.write_text(out / "index.html", page)


def write_root_index(root: Path) -> Path:
    """outputs/index.html listing every recipe folder that has a summary.json."""
    e = html.escape
    items = []
    for summary_path in sorted(root.glob("*/summary.json")):
        try:
            s = json.loads(summary_path.read_text())
        except (OSError, ValueError):
            continue
        name = summary_path.parent.name
        vals = [v.get("val_loss") for v in s.get("variants", {}).values()]
        vals = [v for v in vals if isinstance(v, float)]
        best = f" · best val_loss {min(vals):.4f}" if vals else ""
        items.append(
            f'<li><h2><a href="{e(name)}/index.html">{e(s.get("title", name))}</a></h2>'
            f"<p>{len(s.get('variants', {}))} variants{best}</p>"
            f'<a href="{e(name)}/index.html">'
            f'<img src="{e(name)}/variants.png" alt="{e(name)}"></a></li>'
        )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>punkforge outputs</title><style>{CSS}</style></head>
<body><header><h1>punkforge</h1><p>{len(items)} recipe{"s" if len(items) != 1 else ""}</p></header>
<ul class="recipes">{"".join(items)}</ul></body></html>
"""
    return files.write_text(root / "index.html", page)
