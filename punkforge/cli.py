"""The `punkforge` command line: parse arguments, call `punkforge.api`, print clean errors.

Commands only parse their arguments, build a progress UI and call the same
functions the Python API uses (`api.run_files`, `api.render_target`,
`api.check_recipe`, ...). A command that hits a mistake raises
`PunkforgeError`; the one handler, `_Group.invoke`, prints it as one short
paragraph on stderr and exits with its status (2 for a bad command line or
recipe, 1 for a failure during a run), without a traceback. TensorFlow is
imported only by `run`, and only when something must be trained or devolved.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.core

from punkforge.errors import PunkforgeError, RecipeError
from punkforge.version import __version__

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


class _Command(typer.core.TyperCommand):
    """A command whose arguments show by name alone: `RECIPE...`, not `{RECIPE}... <list[Path]>`.

    Newer typer prints Python types in help; these are the command class's
    own help hooks (click's `collect_usage_pieces` and `format_options`).
    """

    def collect_usage_pieces(self, ctx: typer.Context) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for p in self.get_params(ctx):
            pieces += [_usage_name(p)] if _is_argument(p) else p.get_usage_pieces(ctx)
        return pieces

    def format_options(self, ctx: typer.Context, formatter: Any) -> None:
        sections: dict[str, list[tuple[str, str]]] = {"Arguments": [], "Options": []}
        for p in self.get_params(ctx):
            record = p.get_help_record(ctx)
            if record is None:
                continue
            if _is_argument(p):
                sections["Arguments"].append((p.metavar or p.name or "", record[1]))
            else:
                sections["Options"].append(record)
        for title, rows in sections.items():
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def _is_argument(p: Any) -> bool:
    return getattr(p, "param_type_name", "") == "argument"


def _usage_name(p: Any) -> str:
    name = p.metavar or (p.name or "").upper()
    return (name if p.required else f"[{name}]") + ("..." if p.nargs != 1 else "")


class _Group(typer.core.TyperGroup):
    """The app: the one place a `PunkforgeError` becomes a message and an exit status."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PunkforgeError as err:
            from punkforge.pipeline.terminal import shown

            # messages quote TOML such as [sweep] or [h, w], paths and names: never markup
            _console(stderr=True).print(
                f"[bold red]error:[/] {shown(err)}", markup=True, soft_wrap=True
            )
            raise typer.Exit(err.exit_code) from None


app = typer.Typer(
    cls=_Group,
    help="Turn a tiny autoencoder's training on CryptoPunks into printable generative art.",
    no_args_is_help=True,
    # -h as well as --help, on every command (typer passes this down to each one)
    context_settings={"help_option_names": ["-h", "--help"]},
    add_completion=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
RecipesArg = Annotated[
    list[Path], typer.Argument(help="Recipe files (TOML).", show_default=False, metavar="RECIPE")
]
SetOpt = Annotated[
    list[str],
    typer.Option(
        "--set",
        help="Override a key for every variant: KEY=VALUE (VALUE is TOML).",
        show_default=False,
        metavar="KEY=VALUE",
    ),
]
OutOpt = Annotated[Path, typer.Option("--out", help="Outputs root folder.", metavar="DIR")]
OnlyOpt = Annotated[
    list[str],
    typer.Option(
        "--only", help="Run only this variant (repeatable).", show_default=False, metavar="VARIANT"
    ),
]
DryRunOpt = Annotated[
    bool, typer.Option("--dry-run", help="Print what a run would do per variant; write nothing.")
]
JobsOpt = Annotated[
    str | None,
    typer.Option(
        "--jobs",
        help="Train N training groups at once on this machine ('auto': one per two cores).",
        show_default=False,
        metavar="N",
    ),
]
RayAddressOpt = Annotated[
    str | None,
    typer.Option(
        "--ray-address",
        help="Train on an existing Ray cluster: auto, HOST:PORT or ray://HOST:PORT.",
        show_default=False,
        metavar="ADDR",
    ),
]


def _console(stderr: bool = False):
    from punkforge.pipeline.terminal import console

    stream = sys.stderr if stderr else sys.stdout
    # Piped or logged output has no terminal width: don't squeeze tables into 80 columns.
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 160
    return console(stderr=stderr, highlight=False, width=width)


def _load_all(recipes: list[Path], sets: list[str] | None) -> list[Any]:
    from punkforge.api import load_recipes

    return load_recipes(recipes, sets or ())


def _open_in_browser(page: Path) -> None:
    """Show the gallery in the user's browser when there is one; say where it is if not."""
    import webbrowser

    from punkforge.pipeline.terminal import shown

    try:
        opened = webbrowser.open(page.resolve().as_uri())
    except webbrowser.Error:
        opened = False
    if not opened:
        _console().print(f"No browser to open; the gallery is {shown(page)}")


def _stop_cleanly_on_signals() -> None:
    """Ctrl-C and `kill` stop a run between writes, with the resume hint."""
    import signal

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, stop)


def _version(value: bool) -> None:
    if value:
        print(f"punkforge {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Turn a tiny autoencoder's training on CryptoPunks into printable generative art."""


@app.command(cls=_Command)
def run(
    recipes: RecipesArg,
    only: OnlyOpt = [],  # noqa: B006
    set_: SetOpt = [],  # noqa: B006
    out: OutOpt = Path("outputs"),
    fresh: Annotated[bool, typer.Option("--fresh", help="Start every variant over.")] = False,
    dry_run: DryRunOpt = False,
    jobs: JobsOpt = None,
    ray: Annotated[bool, typer.Option("--ray", help="Train on a new local Ray cluster.")] = False,
    ray_address: RayAddressOpt = None,
    open_: Annotated[
        bool, typer.Option("--open", help="Open the gallery in a browser (live as the run starts).")
    ] = False,
) -> None:
    """Train every variant, devolve the test set and render posters, series and GIFs."""
    from punkforge.api import plan_files, run_files
    from punkforge.pipeline.progress import RichUI
    from punkforge.pipeline.terminal import say

    try:
        loaded = _load_all(recipes, set_)
        if dry_run:  # the same checks and planning the run follows; reads only, never TensorFlow
            for name, plan in plan_files(loaded, out, tuple(only), fresh):
                say(f"{name}: {plan}")
            return
    except KeyboardInterrupt:  # nothing written yet: nothing to resume
        raise typer.Exit(1) from None
    _stop_cleanly_on_signals()
    ui = RichUI(on_gallery=_open_in_browser if open_ else None)  # the live page, at the start
    try:
        results = run_files(loaded, out, ui, tuple(only), fresh, jobs=jobs, ray=ray,
                            ray_address=ray_address)  # fmt: skip
    except KeyboardInterrupt:
        ui.console.print(
            "[yellow]Interrupted.[/] Finished epochs and variants are saved; run the same "
            "command again to continue where it stopped."
        )
        raise typer.Exit(1) from None
    _report(results, loaded, out, open_ and ui.opened is None)


def _report(results: list[Any], loaded: list[Any], out: Path, open_: bool) -> None:
    """`run`'s closing words: the results table, the failures (exit 1) or the gallery."""
    from punkforge.pipeline.progress import results_table
    from punkforge.pipeline.terminal import shown

    rows = [row for result in results for row in result.rows()]
    failures = [f for result in results for f in result.failures]
    if rows:
        _console().print(results_table(rows))
    if failures:
        _console(stderr=True).print(f"[red]{len(failures)} variant(s) failed:[/]")
        for f in failures:
            _console(stderr=True).print(f"  {shown(f)}")
        raise typer.Exit(1)
    if rows:
        gallery = out / (loaded[0].name if len(loaded) == 1 else "") / "index.html"
        _console().print(f"Gallery: {shown(gallery)}")
        if open_:
            _open_in_browser(gallery)


@app.command(cls=_Command)
def validate(recipes: RecipesArg, set_: SetOpt = []) -> None:  # noqa: B006
    """Check recipes without training anything (never imports TensorFlow)."""
    from punkforge.api import check_recipe
    from punkforge.pipeline.terminal import say

    for rf in _load_all(recipes, set_):
        for line in check_recipe(rf):  # a folder of images: every image decoded, as `run` does
            say(f"  {line}")
        n = len(rf.variants)
        say(f"{rf.path}: ok, recipe '{rf.name}', {n} variant{'s' if n != 1 else ''}")


@app.command("list", cls=_Command)
def list_(recipes: RecipesArg, set_: SetOpt = []) -> None:  # noqa: B006
    """Show every variant with its layer shapes and parameter count."""
    from rich.table import Table

    from punkforge.data.recipe_fit import check_variant
    from punkforge.pipeline.terminal import shown
    from punkforge.recipe.shapes import network_shapes

    loaded = _load_all(recipes, set_)
    sizes = {(rf.path, v.name): check_variant(v) for rf in loaded for v in rf.variants}
    console = _console()
    for rf in loaded:
        for v in rf.variants:
            r = v.recipe
            h, w = sizes[(rf.path, v.name)]
            rows = network_shapes(r.model, r.channels, (h, w))
            total = sum(x.params for x in rows)
            data = "cpunks10k" if not r.data.is_folder else f"images {r.data.source}"
            console.print(
                f"[bold]{shown(f'{rf.name}/{v.name}')}[/]: "
                + shown(
                    f"{total:,} parameters, {r.data.color}, {data} at {h}x{w}, "
                    f"{r.train.epochs} epochs, {r.train.optimizer} lr {r.train.learning_rate}"
                )
            )
            pads = _output_paddings(r.model, (h, w))
            t = Table()
            cols = ["layer", "type", "output", "activation", "params"]
            if pads:
                cols.insert(3, "output_padding")
            for col in cols:
                t.add_column(col, justify="right" if col == "params" else "left")
            for x in [None, *rows]:
                cells = ["input", "", f"{h}x{w}x{r.channels}", "", ""] if x is None else [
                    x.index, x.kind, "x".join(map(str, x.out)), x.activation, f"{x.params:,}"
                ]  # fmt: skip
                if pads:
                    cells.insert(3, pads.get(cells[0], ""))
                t.add_row(*(shown(c) for c in cells))
            console.print(t)


def _output_paddings(model: Any, size: tuple[int, int]) -> dict[str, str]:
    """'decoder[i]' -> its output_padding as used at `size` ("auto" shows what it chose).

    Empty when no decoder layer sets output_padding, so the column is left out.
    """
    from punkforge.recipe.shapes import resolve_output_padding

    if all(x.output_padding is None for x in model.decoder):
        return {}
    used = resolve_output_padding(model, size).decoder

    def show(op: Any) -> str:
        return "default" if op is None else f"{op[0]}x{op[1]}"

    return {
        f"decoder[{i}]": (f"auto: {show(u.output_padding)}" if x.output_padding == "auto"
                          else show(x.output_padding))
        for i, (x, u) in enumerate(zip(model.decoder, used, strict=True))
    }  # fmt: skip


@app.command(cls=_Command)
def render(
    target: Annotated[
        Path,
        typer.Argument(
            help="A recipe file, or a run folder outputs/<name>.",
            show_default=False,
            metavar="RECIPE_OR_RUN_DIR",
        ),
    ],
    set_: Annotated[
        list[str],
        typer.Option(
            "--set",
            help="Override a render key: render.KEY=VALUE.",
            show_default=False,
            metavar="render.KEY=VALUE",
        ),
    ] = [],  # noqa: B006
    out: OutOpt = Path("outputs"),
) -> None:
    """Re-render saved results (never trains, never imports TensorFlow)."""
    from punkforge.api import render_target
    from punkforge.pipeline.progress import RichUI, results_table

    _stop_cleanly_on_signals()
    try:
        result = render_target(target, tuple(set_), out, RichUI())
    except KeyboardInterrupt:
        _console(stderr=True).print(
            "[yellow]Interrupted.[/] The previous files are kept (a half-redrawn variant no "
            "longer verifies and is redrawn next time); run the same command again to finish."
        )
        raise typer.Exit(1) from None
    if result.variants:
        _console().print(results_table(result.rows()))
    if result.failures:
        raise typer.Exit(1)


@app.command(cls=_Command)
def schema() -> None:
    """Print the JSON Schema of the recipe format."""
    from punkforge.recipe.schema import recipe_schema

    print(json.dumps(recipe_schema(), indent=2))


@app.command(cls=_Command)
def new(
    name: Annotated[
        str | None,
        typer.Argument(
            help="The new recipe's name (a-z 0-9 - _).", show_default=False, metavar="NAME"
        ),
    ] = None,
    example: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Copy this shipped example (see --list), or remake the recipe an image "
            "punkforge wrote carries (PNG, TIFF, PDF, GIF, WebP).",
            show_default=False,
            metavar="EXAMPLE|IMAGE",
        ),
    ] = None,
    list_examples: Annotated[
        bool, typer.Option("--list", help="List the shipped examples and exit.")
    ] = False,
    folder: Annotated[
        Path, typer.Option("--dir", help="Where to write NAME.toml.", metavar="DIR")
    ] = Path("recipes"),
) -> None:
    """Write recipes/NAME.toml: a starter, a shipped example, or the recipe an image carries.

    Never overwrites a file.
    """
    from punkforge.api import is_image_path, new_recipe_from_image
    from punkforge.recipe.starter import example_summary, examples, write_starter

    if list_examples:
        for stem, path in examples().items():
            print(f"{stem:<20} {example_summary(path)}")
        return
    if name is None:
        raise RecipeError(
            "punkforge new: give the new recipe's NAME, e.g. `punkforge new my-punks "
            "--from strided-punks` (`punkforge new --list` shows the examples)."
        )
    if example is not None and is_image_path(example):
        path = new_recipe_from_image(name, Path(example), folder)
    else:
        path = write_starter(name, folder, example)
    from punkforge.pipeline.terminal import say

    say(f"wrote {path}; try: punkforge validate {path} && punkforge run {path}")


@app.command(cls=_Command)
def info(
    image: Annotated[
        Path,
        typer.Argument(
            help="A picture punkforge wrote (PNG, TIFF, PDF, GIF, WebP).",
            show_default=False,
            metavar="FILE",
        ),
    ],
) -> None:
    """Print what an image says about itself: punkforge version, data and recipe."""
    from punkforge.api import describe_image

    print(describe_image(image), end="")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except BrokenPipeError:
        sys.exit(1)
