"""Print geometry and memory budgets, shared by recipe validation and rendering.

One place for every limit a recipe is checked against before anything runs
and that rendering then lays out by: the poster's page geometry (paper, dpi,
bleed, margins, caption band, the whole-number tile scale), the gaps and
grids tiles are laid out in, the pixel font's metrics those layouts depend
on, and the memory budgets of snapshots, the progress animation and the art
pieces. Plain numbers and recipe models in, numbers or a refusal out: no
pixels are made here.

Checks that depend on what is installed (FFmpeg for mp4) are not limits:
they belong to the pre-flight step (`punkforge.pipeline.preflight`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from punkforge.errors import PunkforgeError
from punkforge.recipe.paper import color_rgb, inches_to_px, parse_length, trim_size_in
from punkforge.recipe.shapes import network_shapes

if TYPE_CHECKING:
    from punkforge.recipe.sections import PosterConfig, Recipe

CAP_H = 7  # the pixel font's capital height, in font pixels
LINE_H = 9  # the pixel font's capitals plus descenders
PUNK = 24  # CPUNKS' side in source pixels; gutters are given for it and scale with the tile
GUTTER = 4  # source px between 24 px tiles
GUTTER_PAIRS = 6  # wider, so pairs read as pairs (pair_gap inside a pair)
MAX_PIXELS = 400_000_000  # about 1.2 GB of RGB: beyond it, refuse rather than swap
CAPTION_CAP_IN = 0.18  # capital height of the caption, inches (at least ~0.15 to read)
PAIR_GAP = 2  # punk pixels between the original and the devolved punk of a pair
MAX_SNAPSHOT_BYTES = 1 << 30  # the devolved sample kept for every epoch
MAX_GIF_BYTES = 2 << 30  # every frame of the progress animation, in memory
MAX_ART_BYTES = 2 << 30  # frames of one animation, or one sheet, held in memory
MAX_BEND_FRAMES = 240  # frames of one animated bend (bend-<k>.gif), as art.morph_steps
SHEET_SCALE, SHEET_GUTTER, LABEL_SCALE = 4, 8, 2  # the feedback sheet: scale, gutter px, labels
GRID_WIDTH = 960  # px: a four-punk grid is the largest whole-number scale at most this wide
MAX_MAP_PUNKS = 4000  # the map's optimal assignment: 1 s at 1,000 punks, ~50 s at 4,000


class Problem(ValueError):
    """A recipe that cannot work; `key` is the dotted key to blame (e.g. render.sample)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


# ---------------------------------------------------------------- tiles and grids


def gap_for(size: tuple[int, int], per_24: int) -> int:
    """A gap in source pixels that scales with the tile: `per_24` for 24 px, at least 1.

    The shorter side decides, so thin tiles (256x40) keep thin gutters.
    """
    return max(1, round(per_24 * min(int(size[0]), int(size[1])) / 24))


def pair_gap(size: tuple[int, int]) -> int:
    """Source pixels between the original and the devolved image of a pair (2 at 24x24)."""
    return gap_for(size, PAIR_GAP)


def grid_shape(n: int, aspect: float = 1.0) -> tuple[int, int]:
    """(cols, rows) of a near-square grid for n cells of height/width `aspect`.

    With square cells (aspect 1) the grid is never taller than wide; tall
    cells get more columns and wide cells fewer, so the grid stays near square.
    """
    cols = max(1, min(n, math.ceil(math.sqrt(n * aspect))))
    return cols, max(1, math.ceil(n / cols))


# ---------------------------------------------------------------- the poster


@dataclass(frozen=True)
class PosterGeometry:
    """Where everything goes on the page; all numbers are pixels unless named otherwise.

    Page (width, height) includes the bleed; the trim starts at (bleed, bleed).
    Tile (tile_width, tile_height) is one punk or pair after scaling by `scale`;
    tiles are `gap` apart, row-major from (grid_x, grid_y), `cols` per row.
    caption_box is (x, y, width, height), or None without a caption.
    """

    dpi: int
    width: int
    height: int
    trim_width: int
    trim_height: int
    bleed: int
    margin: int
    cols: int
    rows: int
    scale: int
    tile_width: int
    tile_height: int
    gap: int
    pair_gap: int
    grid_x: int
    grid_y: int
    grid_width: int
    grid_height: int
    caption_box: tuple[int, int, int, int] | None
    caption_scale: int

    def tile_origin(self, i: int) -> tuple[int, int]:
        """(x, y) of tile i's top-left pixel."""
        r, c = divmod(i, self.cols)
        return (
            self.grid_x + c * (self.tile_width + self.gap),
            self.grid_y + r * (self.tile_height + self.gap),
        )


def poster_length(cfg: PosterConfig, key: str) -> float:
    text = getattr(cfg, key)
    try:
        return parse_length(text)
    except ValueError as err:
        raise PunkforgeError(f"render.poster.{key} = {text!r}: expected {err}.") from None


def caption_scale(dpi: int) -> int:
    """Font scale giving capitals at least CAPTION_CAP_IN inches tall at `dpi`."""
    return max(1, math.ceil(CAPTION_CAP_IN * dpi / CAP_H))


def _best_grid(n: int, tw: int, th: int, gutter: int, aw: int, ah: int) -> tuple[int, int, int]:
    """(scale, cols, rows) putting n tiles of tw x th source px into aw x ah px, largest first.

    Ties go to fewer empty cells, then to the grid whose shape best matches the area.
    """
    best: tuple[tuple[int, int, float], int, int, int] | None = None
    for cols in range(1, n + 1):
        rows = math.ceil(n / cols)
        if cols > 1 and math.ceil(n / (cols - 1)) == rows:
            continue  # same rows with fewer columns is never worse
        gw, gh = cols * tw + (cols - 1) * gutter, rows * th + (rows - 1) * gutter
        scale = min(aw // gw, ah // gh)
        key = (scale, -(cols * rows - n), -abs(math.log((gw * ah) / (gh * aw))))
        if best is None or key > best[0]:
            best = (key, scale, cols, rows)
    assert best is not None
    return best[1], best[2], best[3]


def poster_geometry(
    n_tiles: int, cfg: PosterConfig, size: tuple[int, int] = (PUNK, PUNK)
) -> PosterGeometry:
    """Lay out `n_tiles` images (or pairs) of `size` (h, w) source px on the page of `cfg`.

    Gutters scale with the shorter side of the image (`compose.gap_for`): 4 px
    (6 between pairs) at 24x24.

    Raises PunkforgeError (exit 2) when the request is impossible: unreadable
    sizes, margins that leave no room, a page over MAX_PIXELS, tiles that do
    not fit even at scale 1, or crop marks without bleed.
    """
    page = _page(cfg, n_tiles)
    aw, ah, box, cap_scale = _printable_area(cfg, page)
    bleed, margin = page.bleed, page.margin
    pairs = cfg.layout == "pairs"
    ph, pw = int(size[0]), int(size[1])
    inner = pair_gap((ph, pw))
    tw = 2 * pw + inner if pairs else pw
    gutter = gap_for((ph, pw), GUTTER_PAIRS if pairs else GUTTER)
    scale, cols, rows = _best_grid(n_tiles, tw, ph, gutter, aw, ah)
    if scale < 1:
        raise PunkforgeError(
            f"{n_tiles} {'pairs' if pairs else 'punks'} do not fit on a {cfg.paper} "
            f"{cfg.orientation} poster at {cfg.dpi} dpi with margin {cfg.margin}, even at one "
            "pixel per punk pixel. Raise render.poster.dpi, choose a larger paper, "
            "reduce the margin or data.test_limit."
        )
    tile_w, tile_h, gap = tw * scale, ph * scale, gutter * scale
    grid_w, grid_h = cols * tile_w + (cols - 1) * gap, rows * tile_h + (rows - 1) * gap
    return PosterGeometry(
        dpi=cfg.dpi, width=page.width, height=page.height, trim_width=page.trim_w,
        trim_height=page.trim_h, bleed=bleed, margin=margin, cols=cols, rows=rows, scale=scale,
        tile_width=tile_w, tile_height=tile_h, gap=gap,
        pair_gap=inner * scale if pairs else 0,
        grid_x=bleed + margin + (aw - grid_w) // 2, grid_y=bleed + margin + (ah - grid_h) // 2,
        grid_width=grid_w, grid_height=grid_h, caption_box=box, caption_scale=cap_scale,
    )  # fmt: skip


class _Page(NamedTuple):
    """The page of a poster in pixels (and its trim size in inches, for messages)."""

    paper_w: float
    paper_h: float
    trim_w: int
    trim_h: int
    bleed: int
    margin: int
    width: int
    height: int


def _page(cfg: PosterConfig, n_tiles: int) -> _Page:
    """The page's pixel sizes; PunkforgeError for an unreadable or impossible page."""
    try:
        paper_w, paper_h = trim_size_in(cfg.paper, cfg.orientation)
    except ValueError as err:
        raise PunkforgeError(f"render.poster.paper = {cfg.paper!r}: expected {err}.") from None
    bleed_in, margin_in = poster_length(cfg, "bleed"), poster_length(cfg, "margin")
    color_rgb(cfg.background)
    if n_tiles < 1:
        raise PunkforgeError("A poster needs at least one punk.")
    if cfg.crop_marks and bleed_in <= 0:
        raise PunkforgeError(
            "render.poster.crop_marks = true needs a bleed to draw them in, but "
            f"render.poster.bleed = {cfg.bleed!r}. Set a bleed such as '0.125in' or '3mm', "
            "or crop_marks = false."
        )
    dpi = cfg.dpi
    trim_w, trim_h = inches_to_px(paper_w, dpi), inches_to_px(paper_h, dpi)
    bleed, margin = inches_to_px(bleed_in, dpi), inches_to_px(margin_in, dpi)
    width, height = trim_w + 2 * bleed, trim_h + 2 * bleed
    if width * height > MAX_PIXELS:
        raise PunkforgeError(
            f"A {cfg.paper} {cfg.orientation} poster at {dpi} dpi is {width} x {height} px "
            f"({width * height / 1e6:.0f} megapixels), over the {MAX_PIXELS // 1_000_000}-"
            "megapixel limit. Lower render.poster.dpi or choose a smaller paper."
        )
    return _Page(paper_w, paper_h, trim_w, trim_h, bleed, margin, width, height)


def _printable_area(
    cfg: PosterConfig, page: _Page
) -> tuple[int, int, tuple[int, int, int, int] | None, int]:
    """(width, height) inside the margins and above the caption band, the caption's box, its
    font scale; PunkforgeError when margins and caption leave no room."""
    aw, ah = page.trim_w - 2 * page.margin, page.trim_h - 2 * page.margin
    cap_scale, box = caption_scale(cfg.dpi), None
    if cfg.caption:
        need = LINE_H * cap_scale + 4 * cap_scale  # the text with 2 font px above and below
        band = max(0, need - page.margin)
        ah -= band
        left, top = page.bleed + page.margin, page.bleed + page.trim_h - page.margin - band
        box = (left, top, aw, page.margin + band)
    if aw <= 0 or ah <= 0:
        what = "margins and caption" if cfg.caption else "margins"
        raise PunkforgeError(
            f"render.poster.margin = {cfg.margin!r} leaves no room for punks on a "
            f"{page.paper_w:.3g} x {page.paper_h:.3g} in page (the {what} take it all). "
            "Use a smaller margin or a larger paper."
        )
    return aw, ah, box, cap_scale


def check_poster(
    cfg: PosterConfig, n_tiles: int, size: tuple[int, int] = (PUNK, PUNK)
) -> PosterGeometry:
    """Raise PunkforgeError if the poster cannot be made; cheap, so call it before training."""
    return poster_geometry(n_tiles, cfg, size)


# ---------------------------------------------------------------- budgets


def check_budgets(r: Recipe, size: tuple[int, int]) -> None:
    """Refuse, before anything runs, requests that would exhaust memory or disk."""
    h, w = size
    snap = (r.train.epochs + 1) * r.render.sample * h * w * r.channels  # epochs 0..N
    if snap > MAX_SNAPSHOT_BYTES:
        raise Problem(
            "train.epochs",
            f"{r.train.epochs} epochs x {r.render.sample} sample images would keep "
            f"{snap / 2**30:.1f} GiB of snapshots; the limit is "
            f"{MAX_SNAPSHOT_BYTES / 2**30:.0f} GiB. Lower train.epochs or render.sample.",
        )
    g = r.render.gif
    frames = -(-r.train.epochs // g.every) + 1
    side = math.ceil(math.sqrt(r.render.sample)) * (max(h, w) + 2) * g.scale
    gif = frames * side * side * 3
    if gif > MAX_GIF_BYTES:
        raise Problem(
            "render.gif",
            f"{frames} frames of about {side}x{side} px would need {gif / 2**30:.1f} GiB; the "
            f"limit is {MAX_GIF_BYTES / 2**30:.0f} GiB. Raise render.gif.every or lower "
            "render.gif.scale or render.sample.",
        )


def morph_scale(r: Recipe) -> int:
    """Nearest-neighbour factor of a morph frame: as wide as the progress GIF's grid."""
    return min(32, r.render.gif.scale * grid_shape(r.render.sample)[0])


def check_art_budgets(r: Recipe, size: tuple[int, int]) -> None:
    """Raise Problem for quarter turns of non-square maps, or art that will not fit in memory.

    `size` is the data's (h, w). Which layers, channels and ids exist is the
    recipe's own check (`punkforge.recipe.cross_checks.check_art`).
    """
    art = r.art
    shapes = {row.index: row.out for row in network_shapes(r.model, r.channels, size)}
    for i, b in enumerate(art.bend):
        kind, _, index = b.layer.partition(".")
        h, w, _ = shapes[f"{kind}[{index}]"]
        if b.op == "rotate" and b.value in (90, 270) and h != w:
            raise Problem(
                f"art.bend[{i}].value",
                f"{b.layer} gives {h}x{w} feature maps; only square maps turn by "
                f"{b.value:g} degrees. Use 180, or bend a square layer.",
            )
    side = max(size) * morph_scale(r) + 128  # the image, its padding and the label band
    frames = art.morph_steps * side * side * 3
    if art.morph and frames > MAX_ART_BYTES:
        raise Problem(
            "art.morph_steps",
            f"{art.morph_steps} morph frames of about {side}x{side} px would need "
            f"{frames / 2**30:.1f} GiB; the limit is {MAX_ART_BYTES / 2**30:.0f} GiB. "
            "Lower art.morph_steps or render.gif.scale.",
        )
    check_path_budgets(r, size)
    cell = max(size) + 2
    grid = grid_shape(r.render.sample)[0] * cell * r.render.gif.scale + 64
    sheet = r.render.sample * (art.feedback + 1) * (cell * SHEET_SCALE + SHEET_GUTTER) ** 2 * 3
    need = max((art.feedback + 1) * grid * grid * 3, sheet)
    if art.feedback and need > MAX_ART_BYTES:
        raise Problem(
            "art.feedback",
            f"{art.feedback} feedback generations of {r.render.sample} sample images would "
            f"need {need / 2**30:.1f} GiB to draw; the limit is {MAX_ART_BYTES / 2**30:.0f} "
            "GiB. Lower art.feedback or render.sample.",
        )


def morph_path_frames(stops: int, steps: int, closed: bool) -> int:
    """Frames of a morph through `stops` images: `steps` for each leg, shared ends counted once.

    A pair gives `steps` frames; a closed path leaves out the return to its first image.
    """
    legs = stops if closed else stops - 1
    return legs * (steps - 1) + (0 if closed else 1)


def check_path_budgets(r: Recipe, size: tuple[int, int]) -> None:
    """Raise Problem for a morph path or an animated bend whose frames will not fit in memory."""
    art = r.art
    side = max(size) * morph_scale(r) + 128
    for i, path in enumerate(art.morph):
        n = morph_path_frames(len(path), art.morph_steps, art.morph_closed)
        need = n * side * side * 3
        if need > MAX_ART_BYTES:
            raise Problem(
                f"art.morph[{i}]",
                f"a morph through {len(path)} images makes {n} frames of about {side}x{side} "
                f"px, which would need {need / 2**30:.1f} GiB; the limit is "
                f"{MAX_ART_BYTES / 2**30:.0f} GiB. Lower art.morph_steps or use fewer images.",
            )
    grid = grid_shape(r.render.sample)[0] * (max(size) + 2) * r.render.gif.scale + 64
    for i, b in enumerate(art.bend):
        need = (b.frames or 0) * grid * grid * 3
        if need > MAX_ART_BYTES:
            raise Problem(
                f"art.bend[{i}].frames",
                f"{b.frames} frames of the {r.render.sample} sample images at about "
                f"{grid}x{grid} px would need {need / 2**30:.1f} GiB; the limit is "
                f"{MAX_ART_BYTES / 2**30:.0f} GiB. Lower frames, render.sample or "
                "render.gif.scale.",
            )


# ---------------------------------------------------------------- the latent space


def grid_scale(grid_size: int, size: tuple[int, int]) -> int:
    """Nearest-neighbour factor of a four-punk grid: whole, at least 1, about GRID_WIDTH wide."""
    cell = max(size) + gap_for(size, 1)
    return max(1, min(32, GRID_WIDTH // (grid_size * cell)))


def check_latent_budgets(r: Recipe, size: tuple[int, int], n_test: int) -> None:
    """Raise Problem for a latent map that would take too long to lay out.

    `size` is the data's (h, w) and `n_test` the test images the map lays out.
    A grid needs no budget: at most 32 x 32 images of at most 256 x 256 px
    (1 GiB decoded as float32, in batches; 200 MB drawn).
    """
    if r.art.map is not False and n_test > MAX_MAP_PUNKS:
        raise Problem(
            "art.map",
            f"a latent map of {n_test} test images is over the limit of {MAX_MAP_PUNKS}: "
            "snapping them to a grid takes time that grows with the cube of their number. "
            "Lower data.test_limit, or set art.map = false.",
        )
