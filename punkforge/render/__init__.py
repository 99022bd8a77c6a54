"""Rendering: devolved punks (numpy arrays) in, print-ready pixels and files out.

Pure `make_*` functions return (H, W, 3) uint8 RGB arrays; thin `save_*`
functions write them atomically. Nothing here imports TensorFlow or Keras,
so `punkforge render` can re-render saved results quickly.

Modules: compose (compositing, scaling, grids), font (5x7 pixel font),
encode (PNG writer, sRGB profile, reading back), pdf (lossless PDF),
poster, series, gif, sheets (variants sheet), plot (loss curve).
"""

from punkforge._alias import callable_as_api
from punkforge.render.art import paletted_devolved, render_art
from punkforge.render.compose import color_rgb, contrast_color, to_rgb, upscale
from punkforge.render.encode import read_image, save_png, srgb_icc
from punkforge.render.font import draw_text, text_size
from punkforge.render.gif import check_gif, make_gif_frames, save_gif, select_epochs
from punkforge.render.plot import make_loss_plot
from punkforge.render.poster import (
    MAX_PIXELS,
    PosterGeometry,
    check_poster,
    make_poster,
    poster_caption,
    poster_geometry,
    save_poster,
)
from punkforge.render.series import make_series_image, save_series, series_name
from punkforge.render.sheets import make_variants_sheet

__all__ = [
    "MAX_PIXELS",
    "PosterGeometry",
    "check_gif",
    "check_poster",
    "color_rgb",
    "contrast_color",
    "draw_text",
    "make_gif_frames",
    "make_loss_plot",
    "make_poster",
    "make_series_image",
    "make_variants_sheet",
    "paletted_devolved",
    "poster_caption",
    "poster_geometry",
    "read_image",
    "render_art",
    "save_gif",
    "save_png",
    "save_poster",
    "save_series",
    "select_epochs",
    "series_name",
    "srgb_icc",
    "text_size",
    "to_rgb",
    "upscale",
]


callable_as_api(__name__)  # punkforge.render(...) is punkforge.api.render
