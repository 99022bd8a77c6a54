"""Checks that span several recipe tables, run whenever a `Recipe` is validated.

The network must give back the data's size (`shapes`), the poster, snapshots,
GIF and art must fit (`limits`), `render.sample` cannot exceed the test set,
and `[art]` must name test images and layers that exist. Each failure is a `Problem`
naming the dotted key to blame; `sections.Recipe` turns it into a validation
error, so a recipe built in Python is checked exactly like a recipe file.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from punkforge.errors import PunkforgeError
from punkforge.recipe import paper
from punkforge.recipe.art_section import map_options
from punkforge.recipe.cpunks_facts import CPUNKS_FIRST_TEST_ID
from punkforge.recipe.limits import (
    Problem,
    check_art_budgets,
    check_budgets,
    check_latent_budgets,
    check_poster,
)
from punkforge.recipe.shapes import network_shapes

if TYPE_CHECKING:
    from punkforge.recipe.sections import Recipe


def check_recipe(r: Recipe) -> None:
    """Every cross-table check, in the order a user would fix them. Raises Problem/ShapeError."""
    size = r.data.known_size
    if size is not None:  # a folder with size "auto": checked once the folder is read
        network_shapes(r.model, r.channels, size)
    poster = r.render.poster
    if poster.crop_marks and paper.parse_length(poster.bleed) <= 0:
        raise Problem(
            "render.poster.crop_marks",
            "crop marks are drawn in the bleed, but bleed is 0. "
            'Set render.poster.bleed (e.g. "0.125in") or crop_marks = false.',
        )
    if r.render.dither != "none" and r.render.palette == "none":
        raise Problem(
            "render.dither",
            f'"{r.render.dither}" mixes the colours of a palette, but render.palette is '
            '"none". Set render.palette (e.g. "own", "source" or ["#1d1b2e", "#f4efe6"]) '
            'or render.dither = "none".',
        )
    if r.render.sample > r.data.test_limit:
        default = "" if "sample" in r.render.model_fields_set else ", the default"
        raise Problem(
            "render.sample",
            f"expected at most data.test_limit ({r.data.test_limit}) punks, found "
            f"{r.render.sample}{default}. Lower render.sample or raise data.test_limit.",
        )
    if size is not None:
        check_budgets(r, size)
    check_art(r)
    check_latent_art(r, size)
    if size is not None:
        check_art_budgets(r, size)
    if not r.data.is_folder:  # a folder: checked with its real count and size once read
        try:
            check_poster(poster, r.data.test_limit)
        except PunkforgeError as err:
            raise Problem("render.poster", str(err)) from None


def check_art(r: Recipe) -> None:
    """[art] names test images that exist and layers (and channels) of this network."""
    if not r.data.is_folder:
        lo, hi = CPUNKS_FIRST_TEST_ID, CPUNKS_FIRST_TEST_ID + r.data.test_limit - 1
        for i, pair in enumerate(r.art.morph):
            bad = [x for x in pair if not isinstance(x, int) or not lo <= x <= hi]
            if bad:
                listed = ", ".join(json.dumps(x) for x in bad)
                raise Problem(
                    f"art.morph[{i}]",
                    f"expected test punk ids from {lo} to {hi} (data.test_limit is "
                    f"{r.data.test_limit}), found {listed}.",
                )
    else:
        for i, pair in enumerate(r.art.morph):
            if not all(isinstance(x, str) for x in pair):
                raise Problem(
                    f"art.morph[{i}]",
                    f"an image folder names its images by file stem, a string: write "
                    f"{json.dumps([str(x) for x in pair])}, found {list(pair)}.",
                )
    m = r.model
    layers = {"encoder": m.encoder, "decoder": m.decoder}
    for i, bend in enumerate(r.art.bend):
        kind, _, index = bend.layer.partition(".")
        stack = layers[kind]
        if int(index) >= len(stack):
            valid = " and ".join(
                f"{k}.0 to {k}.{len(v) - 1}" if len(v) > 1 else f"{k}.0"
                for k, v in layers.items()
                if v
            )
            raise Problem(
                f"art.bend[{i}].layer",
                f'"{bend.layer}" is not a layer of this network; its layers are '
                f"{valid or 'none (no encoder or decoder layers)'}.",
            )
        filters = stack[int(index)].filters
        for j, c in enumerate(bend.channels):
            if c >= filters:
                raise Problem(
                    f"art.bend[{i}].channels[{j}]",
                    f"channel {c} does not exist: {bend.layer} has {filters} filters, "
                    f"channels 0 to {filters - 1}.",
                )


def check_latent_art(r: Recipe, size: tuple[int, int] | None) -> None:
    """[art] grid names four test images; the map fits the paper and the budgets.

    `size` is None for a folder of "auto" size: its budgets and the map's
    paper are checked once the folder is read (`punkforge.data.recipe_fit`).
    """
    grid = r.art.grid
    if grid and not r.data.is_folder:
        lo, hi = CPUNKS_FIRST_TEST_ID, CPUNKS_FIRST_TEST_ID + r.data.test_limit - 1
        bad = [x for x in grid if not isinstance(x, int) or not lo <= x <= hi]
        if bad:
            raise Problem(
                "art.grid",
                f"expected four test punk ids from {lo} to {hi} (data.test_limit is "
                f"{r.data.test_limit}), found {', '.join(json.dumps(x) for x in bad)}.",
            )
    elif grid and not all(isinstance(x, str) for x in grid):
        shown = ", ".join(json.dumps(str(x)) for x in grid)
        raise Problem(
            "art.grid",
            f"an image folder names its images by file stem, a string: write [{shown}], "
            f"found {list(grid)}.",
        )
    if size is not None:
        check_latent_budgets(r, size, r.data.test_limit)
    opts = map_options(r.art)
    if opts is not None and not r.data.is_folder:
        single = r.render.poster.model_copy(update={"layout": opts.tiles})
        try:
            check_poster(single, r.data.test_limit)
        except PunkforgeError as err:
            raise Problem("art.map", f"the latent map poster cannot be made: {err}") from None
