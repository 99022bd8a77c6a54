"""The one place that configures Jinja2; nothing else builds HTML strings.

The gallery's pages and the API results' notebook view (`result.html.j2`,
`punkforge.api`'s `_repr_html_`) are rendered here.

Templates, CSS and JavaScript live in `templates/` as package data (a designer
restyles the gallery there). Pages extend `frame.html.j2`, which inlines the
CSS and JS files with `{% include %}`, so every page is one self-contained
file that works from disk and fetches nothing. Autoescape is on for every
template: recipe titles, variant names and file names are user text.
"""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import quote

import jinja2

from punkforge import files

PACKAGE, FOLDER = "punkforge.gallery", "templates"


def href(*parts: Any) -> str:
    """A relative URL from path parts, each percent-encoded (autoescape does the HTML)."""
    return "/".join(quote(str(p)) for p in parts if str(p))


@cache
def environment() -> jinja2.Environment:
    """The gallery's Jinja2 environment: package templates, autoescape, strict undefined."""
    from punkforge.gallery import formatting as fmt

    env = jinja2.Environment(
        loader=jinja2.PackageLoader(PACKAGE, FOLDER),
        autoescape=True,
        undefined=jinja2.StrictUndefined,  # a typo in a template fails loudly in the tests
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        href=href,
        loss=fmt.fmt_loss,
        num=fmt.fmt_int,
        seconds=fmt.fmt_seconds,
        size=fmt.fmt_size,
        plural=fmt.plural,
    )
    return env


def render(template: str, **context: Any) -> str:
    """The page `template` (a name in templates/) filled with `context`."""
    return environment().get_template(template).render(**context)


def write_page(path: Any, template: str, **context: Any) -> Any:
    """Render `template` and write it to `path` atomically; return the path."""
    return files.write_text(path, render(template, **context))
