"""Rendering: devolved images (numpy arrays) in, print-ready pixels and files out.

Pure `make_*` functions return (H, W, 3) uint8 RGB arrays; thin `save_*`
functions write them atomically. Nothing here imports TensorFlow or Keras,
so `punkforge render` can re-render saved results quickly.

Modules: compositing (tiling, scaling, colours), pixel_font (the 5x7 font),
png_codec (PNG writer, sRGB profile, reading back), pdf_writer, tiff_writer,
poster, series, animation (progress GIF/WebP/MP4), variants_sheet,
loss_plot, palette (snapping to inks) and art_images (art drawn from the
arrays the network made).

May import: recipe and the shared helpers.
"""
