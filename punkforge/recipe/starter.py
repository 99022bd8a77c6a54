"""`punkforge new NAME [--from EXAMPLE]`: a starter recipe, or a copy of a shipped example.

`write_recipe_text` also writes a recipe read from elsewhere (the one an image
carries, `punkforge new NAME --from poster.png`), renamed to NAME.

The examples are every `*.toml` in the package's `recipes/` folder (in a checkout a
link to the repository's `recipes/`, in a wheel real files), so a recipe added there
ships and is listed without touching this file.
"""

from __future__ import annotations

import re
from pathlib import Path

from punkforge.errors import RecipeError
from punkforge.files import write_text
from punkforge.recipe.sections import NAME_HELP, NAME_RE

TEMPLATE = """\
# {name}: a punkforge recipe. Every key is optional except `name`; the values
# below are the defaults (the seed post's network), so this runs as it is.
# Check it:   punkforge validate recipes/{name}.toml
# Inspect:    punkforge list recipes/{name}.toml
# Run it:     punkforge run recipes/{name}.toml   (quick try: --set train.epochs=2)

name = "{name}"
title = "{title}"
seed = 0

[data]
source = "cpunks10k"      # the punks, or a folder of your own images (relative to this file)
color = "grey"            # "grey" | "rgb" | "rgba"
train_limit = 9000        # fewer punks train faster (1..9000)
test_limit = 1000         # punks devolved and rendered (1..1000)

[model]
activation = "relu"
initializer = "he_normal"
# Each valid 3x3 Conv2D shrinks the image by 2 pixels, each valid 3x3
# Conv2DTranspose grows it by 2: the decoder must bring it back to 24x24.
# With strides, a decoder layer may say output_padding = "auto".
encoder = [
  {{ filters = 32, kernel = 3 }},
  {{ filters = 16, kernel = 3 }},
  {{ filters = 8, kernel = 3 }},
]
decoder = [
  {{ filters = 8, kernel = 3 }},
  {{ filters = 16, kernel = 3 }},
  {{ filters = 32, kernel = 3 }},
]
output = {{ kernel = 3, activation = "sigmoid" }}

[train]
epochs = 10
batch_size = 32
optimizer = "adam"        # "adam" | "adamw" | "sgd" | "rmsprop"
learning_rate = 0.001

[render]
palette = "none"          # "none" | "source" | "own" | ["#14142b", "#f2e9dc", ...]
dither = "none"           # "bayer2".."bayer8" | "floyd-steinberg" | "atkinson" (with a palette)

[render.poster]
paper = "18x24in"         # "A0".."A5", "<W>x<H>in", "<W>x<H>mm"
layout = "devolved"       # "devolved" | "pairs" | "original"
formats = ["png"]         # add "pdf" or "tiff" for the print shop

[render.gif]
every = 1
label = true

[art]                     # pictures from the trained network; changing them never retrains
morph = []                # e.g. [[9000, 9001]]: one test punk becoming another
feedback = 0              # N > 0: devolve the devolved punks again, N generations
bend = []                 # e.g. [{{ layer = "decoder.1", op = "scale", value = 1.5 }}]

# Try a variant: any keys above (but name), merged over this base.
# [variants.wide]
# model.encoder = [ {{ filters = 64, kernel = 5 }}, {{ filters = 32, kernel = 5 }} ]
# model.decoder = [ {{ filters = 32, kernel = 5 }}, {{ filters = 64, kernel = 5 }} ]

# Or a grid: every combination becomes a variant.
# [sweep]
# "train.epochs" = [5, 20]
# "model.activation" = ["relu", "elu"]
"""


def starter_text(name: str) -> str:
    """The starter recipe for `name`."""
    title = name.replace("-", " ").replace("_", " ").title()
    return TEMPLATE.format(name=name, title=title)


EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "recipes"
_NAME_LINE = re.compile(r'^name\s*=\s*"[^"\n]*"', re.MULTILINE)


def examples() -> dict[str, Path]:
    """The shipped example recipes: file stem -> path, sorted by name."""
    return {p.stem: p for p in sorted(EXAMPLES_DIR.glob("*.toml"))}


def example_summary(path: Path) -> str:
    """The example's first comment line, without its leading '# '."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            return line.lstrip("# ").strip()
    return ""


def example_path(example: str) -> Path:
    """The shipped example called `example` (a stem such as 'strided-punks')."""
    found = examples()
    if example.removesuffix(".toml") in found:
        return found[example.removesuffix(".toml")]
    import difflib

    close = difflib.get_close_matches(example, list(found), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise RecipeError(
        f"--from {example}: no shipped example of that name.{hint} "
        f"Examples: {', '.join(found) or 'none'} (punkforge new --list)."
    )


def example_text(example: str, name: str) -> str:
    """The example's text with its `name = ...` line set to `name` (comments kept)."""
    text = example_path(example).read_text(encoding="utf-8")
    renamed, n = _NAME_LINE.subn(f'name = "{name}"', text, count=1)
    if n != 1:  # a shipped example always names itself; this would be a packaging bug
        raise ValueError(f"example {example} has no top-level name line")
    return renamed


def _new_path(name: str, folder: Path) -> Path:
    """folder/NAME.toml after checking the name and that nothing is there (never overwrite)."""
    if not NAME_RE.match(name):
        raise RecipeError(f"punkforge new {name}: a recipe name must be {NAME_HELP}.")
    path = folder / f"{name}.toml"
    if path.exists():
        raise RecipeError(
            f"{path} already exists; punkforge new never overwrites. Pick another name."
        )
    return path


def write_starter(name: str, folder: Path, example: str | None = None) -> Path:
    """Write folder/NAME.toml (the starter, or a copy of `example`); never overwrite."""
    path = _new_path(name, folder)
    text = starter_text(name) if example is None else example_text(example, name)
    written = write_text(path, text)
    if example is not None:
        _copy_images(example_path(example), folder)
    return written


def write_recipe_text(name: str, folder: Path, text: str, origin: str) -> Path:
    """Write `text`, a recipe from `origin` (an image's metadata), as folder/NAME.toml.

    Its top-level name becomes NAME; everything else is kept, comments too.
    Text that is not TOML or has no top-level name raises RecipeError and
    writes nothing; an existing file is never overwritten.
    """
    import tomllib

    path = _new_path(name, folder)
    problem = f"{origin} carries a recipe that is not a punkforge recipe"
    try:
        has_name = isinstance(tomllib.loads(text).get("name"), str)
    except tomllib.TOMLDecodeError as err:
        raise RecipeError(
            f"{problem}: its TOML does not parse ({err}). Nothing was written."
        ) from None
    renamed, n = _NAME_LINE.subn(f'name = "{name}"', text, count=1)
    if not has_name or n != 1 or tomllib.loads(renamed).get("name") != name:
        raise RecipeError(
            f'{problem}: it has no top-level `name = "..."` line. Nothing was written.'
        )
    return write_text(path, renamed)


def _copy_images(example: Path, folder: Path) -> None:
    """Copy the folder of images an example reads (`data.source`) beside the new recipe.

    Only a relative folder that ships beside the example is copied, and never
    over an existing one: the copy is the user's to change.
    """
    import shutil
    import tomllib

    source = tomllib.loads(example.read_text(encoding="utf-8")).get("data", {}).get("source")
    if not isinstance(source, str) or source == "cpunks10k" or Path(source).is_absolute():
        return
    src, dst = example.parent / source, folder / source
    if src.is_dir() and not dst.exists():
        shutil.copytree(src, dst)
