"""The gallery: HTML pages over an output folder, and the poster thumbnail.

`pages` gathers what each page shows; `templates/` (Jinja2, CSS, JS; package
data) says how it looks; `templating` configures the one Jinja2 environment;
`charts` turns losses into chart data; `figures` decides which files a page
shows; `formatting` how numbers read; `thumbnails` the poster thumbnail.
Pages are self-contained (inlined CSS, SVG and a little JavaScript, relative
links only). Never imports TensorFlow.

May import: rendering, recipe and the shared helpers.
"""
