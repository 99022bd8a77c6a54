"""The gallery's inline assets: colours, CSS and the few lines of JavaScript.

Kept apart from `gallery` so the page-building code stays readable; every page
embeds these, so the pages need no network and no build step.
"""

PALETTE = (
    "#f2c14e", "#4ecdc4", "#ff6b6b", "#a78bfa", "#7bd389",
    "#f78c40", "#5aa9e6", "#ff8fab", "#d4e157", "#e0e0e0",
)  # fmt: skip

# ---------------------------------------------------------------- assets

CSS = """
:root { color-scheme: dark; --bg:#0e0e12; --panel:#16161c; --panel2:#1d1d25; --line:#2a2a34;
  --ink:#ececf1; --dim:#9797a6; --faint:#62626f; --acc:#f2c14e; --good:#7bd389;
  --mono: ui-monospace, "SF Mono", "Cascadia Mono", Menlo, Consolas, "DejaVu Sans Mono",
  monospace; }
* { box-sizing: border-box; }
html { background: var(--bg); }
body { margin: 0 auto; max-width: 1480px; padding: 0 clamp(16px, 3vw, 40px) 64px;
  color: var(--ink);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
a { color: inherit; }
a:hover { color: var(--acc); }
code, .mono { font-family: var(--mono); font-size: .92em; }
.top { padding: 36px 0 22px; }
.crumbs { font: 600 12px/1 var(--mono); letter-spacing: .14em; text-transform: uppercase;
  color: var(--faint); }
.crumbs a { color: var(--dim); text-decoration: none; }
.crumbs a:hover { color: var(--acc); }
h1 { margin: 10px 0 8px; font-size: clamp(30px, 4vw, 46px); line-height: 1.05;
  letter-spacing: -.01em; }
.lede { margin: 0; color: var(--dim); max-width: 110ch; }
.lede b { color: var(--ink); font-weight: 600; }
.lede .best { color: var(--good); }
h2.section { margin: 34px 0 12px; font: 600 12px/1 var(--mono); letter-spacing: .14em;
  text-transform: uppercase; color: var(--faint); display: flex; gap: 12px; align-items: center; }
h2.section::after { content: ""; flex: 1; border-top: 1px solid var(--line); }
img { display: block; max-width: 100%; height: auto; }
img.px { image-rendering: pixelated; image-rendering: crisp-edges; }
img.px.soft { image-rendering: auto; }
.fit { display: flex; justify-content: center; }
.sheet { margin: 0; padding: 22px; border-radius: 14px; border: 1px solid var(--line); }
.sheet figcaption { margin-top: 12px; font-size: 13px; text-align: center; opacity: .7; }
.chips { display: flex; flex-wrap: wrap; gap: 6px; margin: 14px 0 0; padding: 0;
  list-style: none; }
.chips a { display: inline-block; padding: 3px 9px; border: 1px solid var(--line);
  border-radius: 999px;
  background: var(--panel2); font: 12px/1.5 var(--mono); text-decoration: none; color: var(--ink);
  white-space: nowrap; }
.chips a:hover { border-color: var(--acc); color: var(--acc); }
.chips a small { color: var(--faint); margin-left: 4px; }
.compare { display: grid; grid-template-columns: minmax(0, 5fr) minmax(0, 6fr); gap: 20px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 14px;
  padding: 18px; }
.scroll { overflow-x: auto; }
.panel h3 { margin: 0 0 10px; font-size: 14px; font-weight: 600; color: var(--dim); }
svg { display: block; width: 100%; height: auto; overflow: visible; }
svg text { font: 11px var(--mono); fill: var(--faint); }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .run { fill: none; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round;
  transition: opacity .15s; }
svg .loss { fill: none; stroke: var(--faint); stroke-width: 1.5; stroke-dasharray: 4 4; }
svg.focus .run { opacity: .15; }
svg.focus .run.on { opacity: 1; stroke-width: 3; }
table { width: 100%; border-collapse: collapse; font-size: 13px; }
th, td { padding: 7px 8px; border-bottom: 1px solid var(--line); text-align: right;
  white-space: nowrap; }
th:nth-child(-n+2), td:nth-child(-n+2) { text-align: left; }
td { font-variant-numeric: tabular-nums; font-family: var(--mono); }
tbody tr:hover { background: var(--panel2); }
tbody tr.top1 td:nth-child(2) a { color: var(--good); }
td a { text-decoration: none; }
th button { all: unset; cursor: pointer; color: var(--dim); font-weight: 600; font-size: 12px; }
th button:hover, th[aria-sort] button { color: var(--acc); }
th[aria-sort="ascending"] button::after { content: " \\2191"; }
th[aria-sort="descending"] button::after { content: " \\2193"; }
.bar { display: inline-block; vertical-align: middle; height: 6px; margin-left: 8px; width: 60px;
  background: var(--line); border-radius: 3px; overflow: hidden; }
.bar i { display: block; height: 100%; background: var(--acc); }
.sw { display: inline-block; width: 10px; height: 10px; border-radius: 3px; margin-right: 8px;
  vertical-align: -1px; background: var(--c); }
.toolbar { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 0 0 16px;
  color: var(--faint); font: 12px var(--mono); }
.toolbar span { margin-right: 6px; letter-spacing: .1em; text-transform: uppercase; }
.toolbar button { font: 12px/1.5 var(--mono); color: var(--dim); background: var(--panel);
  border: 1px solid var(--line); border-radius: 999px; padding: 4px 12px; cursor: pointer; }
.toolbar button:hover { color: var(--ink); border-color: var(--faint); }
.toolbar button[aria-pressed="true"] { color: #111; background: var(--acc);
  border-color: var(--acc); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 540px), 1fr));
  gap: 22px; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 16px;
  padding: 20px;
  display: flex; flex-direction: column; gap: 16px; scroll-margin-top: 16px; }
.card:target { border-color: var(--acc); }
.card header { display: flex; align-items: baseline; gap: 10px; flex-wrap: wrap; }
.card h3 { margin: 0; font: 600 18px/1.2 var(--mono); word-break: break-all; }
.card h3 a { text-decoration: none; }
.arch { width: 100%; margin: 2px 0 0; color: var(--faint); font: 12px var(--mono); }
.badge { font: 600 11px/1 var(--mono); padding: 4px 8px; border-radius: 999px; color: #0e0e12;
  background: var(--good); letter-spacing: .04em; }
.rank { margin-left: auto; font: 12px var(--mono); color: var(--faint); }
.media { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 3fr); gap: 22px;
  align-items: center; padding: 22px; border-radius: 12px; border: 1px solid var(--line);
  background: radial-gradient(ellipse at 50% -20%, #30303a, #1b1b22 70%); }
.media img { box-shadow: 0 12px 30px rgba(0,0,0,.6), 0 0 0 1px rgba(255,255,255,.07); }
.media .poster img { width: 100%; }
.media figcaption { font-size: 11px; opacity: .6; text-align: center; margin-top: 8px;
  font-family: var(--mono); }
.media figure { margin: 0; }
.stats { display: grid; grid-template-columns: repeat(5, minmax(0, 1fr)); gap: 1px; margin: 0;
  background: var(--line); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
.stats div { background: var(--panel2); padding: 9px 10px; }
.stats dt { font: 11px var(--mono); color: var(--faint); text-transform: uppercase;
  letter-spacing: .06em; }
.stats dd { margin: 2px 0 0; font: 600 16px/1.3 var(--mono); font-variant-numeric: tabular-nums;
  white-space: nowrap; }
.stats .key dd { color: var(--acc); }
.curve { margin: 0; }
.curve figcaption { display: flex; gap: 16px; font: 11px var(--mono); color: var(--faint);
  margin-top: 4px; }
.curve figcaption i { display: inline-block; width: 16px; height: 0;
  border-top: 2px solid var(--c);
  vertical-align: middle; margin-right: 6px; }
.curve figcaption i.dash { border-top: 2px dashed var(--faint); }
.card .chips { margin: 0; }
.recipes { display: grid; gap: 22px; }
.recipe { display: flex; flex-direction: column; gap: 16px; padding: 22px; }
.recipe > header { display: flex; justify-content: space-between; align-items: center; gap: 16px;
  flex-wrap: wrap; }
.stats dd small { display: block; font: 11px/1.3 var(--mono); color: var(--faint);
  overflow: hidden; text-overflow: ellipsis; }
.facts { grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); }
.cards.solo { grid-template-columns: minmax(0, 680px); }
.recipe h2 { margin: 0; font-size: 24px; line-height: 1.15; }
.recipe h2 a { text-decoration: none; }
.recipe .name { color: var(--faint); margin: 4px 0 0; }
.recipe .open { display: inline-block; padding: 8px 16px; border-radius: 999px;
  background: var(--acc); color: #111; font-weight: 600; text-decoration: none; font-size: 13px; }
.preview { display: flex; padding: 14px; border-radius: 10px; background: var(--panel2); }
.empty { color: var(--dim); }
.tiles { display: grid; gap: 14px;
  grid-template-columns: repeat(auto-fill, minmax(var(--w), 1fr)); }
.tiles a { display: flex; flex-direction: column; align-items: center; gap: 4px; padding: 8px;
  border-radius: 8px; text-decoration: none; background: var(--panel);
  border: 1px solid var(--line); }
.tiles a:hover { border-color: var(--acc); }
.tiles span { font: 11px var(--mono); color: var(--faint); }
footer { margin-top: 48px; color: var(--faint); font: 12px var(--mono); }
@media (max-width: 980px) { .compare { grid-template-columns: minmax(0, 1fr); } }
@media (max-width: 560px) { .media { grid-template-columns: minmax(0, 1fr); }
  .stats { grid-template-columns: repeat(2, minmax(0, 1fr)); } }
"""

# Pixel art is shown at a whole number of screen pixels per punk pixel (data-u:
# image pixels per punk pixel): the largest that fits its box, so every punk
# pixel stays a crisp square. What cannot fit even at one device pixel per punk
# pixel is scaled smoothly instead of aliasing.
FIT_JS = """
function fitPixels() {
  const dpr = window.devicePixelRatio || 1;
  for (const img of document.querySelectorAll('img[data-u]')) {
    const nw = +img.getAttribute('width'), u = +img.dataset.u, zoom = +(img.dataset.zoom || 1);
    const cs = getComputedStyle(img.parentElement);
    const box = img.parentElement.clientWidth - parseFloat(cs.paddingLeft)
      - parseFloat(cs.paddingRight);
    if (!nw || !u || !box) continue;
    const m = Math.min(Math.floor(box * u / nw * dpr) / dpr, u * zoom);
    const soft = m * dpr < 1;
    img.classList.toggle('soft', soft);
    img.style.width = soft ? '100%' : (nw * m / u) + 'px';
  }
}
window.addEventListener('resize', fitPixels);
fitPixels();
"""

SORT_JS = """
let sortState = { key: 'order', dir: 1 };
function sortBy(key, dir) {
  if (dir === undefined) dir = sortState.key === key ? -sortState.dir : 1;
  sortState = { key, dir };
  for (const id of ['variants', 'board']) {
    const box = document.getElementById(id);
    if (!box) continue;
    const items = Array.from(box.children);
    items.sort((a, b) => {
      const x = a.dataset[key], y = b.dataset[key];
      if (key === 'name') return dir * x.localeCompare(y);
      const fx = x === '' ? NaN : +x, fy = y === '' ? NaN : +y;
      if (isNaN(fx) || isNaN(fy)) return isNaN(fx) - isNaN(fy);  // missing figures last
      return dir * (fx - fy) || (+a.dataset.order - +b.dataset.order);
    });
    items.forEach(el => box.appendChild(el));
  }
  for (const b of document.querySelectorAll('[data-sort]')) {
    const on = b.dataset.sort === key;
    b.setAttribute('aria-pressed', on);
    const th = b.closest('th');
    if (th) { if (on) th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
              else th.removeAttribute('aria-sort'); }
    const arrow = b.querySelector('i');
    if (arrow) arrow.textContent = on && key !== 'order' ? (dir > 0 ? ' \\u2191' : ' \\u2193') : '';
  }
}
document.addEventListener('click', ev => {
  const b = ev.target.closest('[data-sort]');
  if (b) sortBy(b.dataset.sort);
});
function focusRun(name) {
  const svg = document.getElementById('runs');
  if (!svg) return;
  svg.classList.toggle('focus', !!name);
  for (const p of svg.querySelectorAll('.run')) p.classList.toggle('on', p.dataset.v === name);
}
for (const el of document.querySelectorAll('[data-name]')) {
  el.addEventListener('mouseenter', () => focusRun(el.dataset.name));
  el.addEventListener('mouseleave', () => focusRun(''));
}
"""
