"""The `punkforge` command line: parse, call the library, print clean errors.

Every command turns a `PunkforgeError` into one short paragraph on stderr and
its exit status (2 for a bad command line or recipe, 1 for a failure during a
run). TensorFlow is imported only by `run`, and only when something must be
trained or devolved.
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


class _PlainArgument(typer.core.TyperArgument):
    """An argument shown by its metavar alone: `RECIPE...`, not `{RECIPE}... <list[Path]>`."""

    def display_type_rich(self, ctx: typer.Context) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw
        return (name if self.required else f"[{name}]") + ("..." if self.nargs != 1 else "")


class _Group(typer.core.TyperGroup):
    """Every command's arguments in plain help (newer typer prints Python types)."""

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:
        cmd = super().get_command(ctx, cmd_name)
        for p in cmd.params if cmd else ():
            if type(p) is typer.core.TyperArgument:
                p.__class__ = _PlainArgument
        return cmd


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


def _console(stderr: bool = False):
    from punkforge.pipeline.terminal import console

    stream = sys.stderr if stderr else sys.stdout
    # Piped or logged output has no terminal width: don't squeeze tables into 80 columns.
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 160
    return console(stderr=stderr, highlight=False, width=width)


def _fail(err: PunkforgeError) -> typer.Exit:
    from punkforge.pipeline.terminal import shown

    # messages quote TOML such as [sweep] or [h, w] and paths, which rich would eat as markup
    _console(stderr=True).print(f"[bold red]error:[/] {shown(err)}", markup=True, soft_wrap=True)
    return typer.Exit(err.exit_code)


def _load_all(recipes: list[Path], sets: list[str] | None):
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


@app.command()
def run(
    recipes: RecipesArg,
    only: Annotated[
        list[str],
        typer.Option(
            "--only",
            help="Run only this variant (repeatable).",
            show_default=False,
            metavar="VARIANT",
        ),
    ] = [],  # noqa: B006
    set_: SetOpt = [],  # noqa: B006
    out: OutOpt = Path("outputs"),
    fresh: Annotated[bool, typer.Option("--fresh", help="Start every variant over.")] = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Print what a run would do per variant; write nothing."),
    ] = False,
    jobs: Annotated[
        str | None,
        typer.Option(
            "--jobs",
            help="Train N training groups at once on this machine ('auto': one per two cores).",
            show_default=False,
            metavar="N",
        ),
    ] = None,
    ray: Annotated[bool, typer.Option("--ray", help="Train on a new local Ray cluster.")] = False,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            help="Train on an existing Ray cluster: auto, HOST:PORT or ray://HOST:PORT.",
            show_default=False,
            metavar="ADDR",
        ),
    ] = None,
    open_: Annotated[
        bool, typer.Option("--open", help="Open the gallery in a browser when done.")
    ] = False,
) -> None:
    """Train every variant, devolve the test set and render posters, series and GIFs."""
    from punkforge.api import check_only, run_file
    from punkforge.pipeline.pools import open_pool
    from punkforge.pipeline.progress import RichUI, results_table
    from punkforge.pipeline.runner import dry_run as plan_run
    from punkforge.pipeline.terminal import say, shown

    try:
        loaded = _load_all(recipes, set_)
        check_only(tuple(only), loaded)
        if dry_run:
            # the same planning the run follows; reads only, never TensorFlow
            for rf in loaded:
                for name, plan in plan_run(rf, out, tuple(only), fresh):
                    say(f"{rf.name}/{name}: {plan.describe()}")
            return
        _stop_cleanly_on_signals()
        pool = open_pool(jobs, ray, ray_address)  # a bad choice stops here, nothing written
    except KeyboardInterrupt:
        raise typer.Exit(1) from None
    except PunkforgeError as err:
        raise _fail(err) from None
    rows, failures = [], []
    ui = RichUI()
    try:
        with ui:
            for rf in loaded:
                result = run_file(rf, out, ui, tuple(only), fresh, pool=pool)
                rows += result.rows()
                failures += result.failures
    except KeyboardInterrupt:
        ui.console.print(
            "[yellow]Interrupted.[/] Finished epochs and variants are saved; run the same "
            "command again to continue where it stopped."
        )
        raise typer.Exit(1) from None
    except PunkforgeError as err:
        raise _fail(err) from None
    finally:
        pool.close()
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


@app.command()
def validate(recipes: RecipesArg, set_: SetOpt = []) -> None:  # noqa: B006
    """Check recipes without training anything (never imports TensorFlow)."""
    from punkforge.data import folder_images
    from punkforge.data.folder_scan import describe
    from punkforge.data.recipe_fit import check_variant
    from punkforge.pipeline.terminal import say

    try:
        for rf in _load_all(recipes, set_):
            n = len(rf.variants)
            shown: set[tuple[object, ...]] = set()
            for v in rf.variants:  # a folder of images: every image decoded, as `run` does
                check_variant(v)
                d = v.recipe.data
                if (
                    folder_images.is_folder(d)
                    and (d.source, d.size, d.fit, d.test_fraction) not in shown
                ):
                    shown.add((d.source, d.size, d.fit, d.test_fraction))
                    say(f"  {describe(folder_images.verify_folder(d, v.source))}")
            say(f"{rf.path}: ok, recipe '{rf.name}', {n} variant{'s' if n != 1 else ''}")
    except PunkforgeError as err:
        raise _fail(err) from None


@app.command("list")
def list_(recipes: RecipesArg, set_: SetOpt = []) -> None:  # noqa: B006
    """Show every variant with its layer shapes and parameter count."""
    from rich.table import Table

    from punkforge.data.recipe_fit import check_variant
    from punkforge.pipeline.terminal import shown
    from punkforge.recipe.shapes import network_shapes

    try:
        loaded = _load_all(recipes, set_)
        sizes = {(rf.path, v.name): check_variant(v) for rf in loaded for v in rf.variants}
    except PunkforgeError as err:
        raise _fail(err) from None
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


@app.command()
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

    try:
        _stop_cleanly_on_signals()
        result = render_target(target, tuple(set_), out, RichUI())
    except KeyboardInterrupt:
        _console(stderr=True).print(
            "[yellow]Interrupted.[/] The previous files are kept (a half-redrawn variant no "
            "longer verifies and is redrawn next time); run the same command again to finish."
        )
        raise typer.Exit(1) from None
    except PunkforgeError as err:
        raise _fail(err) from None
    if result.variants:
        _console().print(results_table(result.rows()))
    if result.failures:
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the recipe format."""
    from punkforge.recipe.schema import recipe_schema

    print(json.dumps(recipe_schema(), indent=2))


@app.command()
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
            help="Copy this shipped example instead of the starter (see --list).",
            show_default=False,
            metavar="EXAMPLE",
        ),
    ] = None,
    list_examples: Annotated[
        bool, typer.Option("--list", help="List the shipped examples and exit.")
    ] = False,
    folder: Annotated[
        Path, typer.Option("--dir", help="Where to write NAME.toml.", metavar="DIR")
    ] = Path("recipes"),
) -> None:
    """Write a starter recipe, or a copy of a shipped example, to recipes/NAME.toml.

    Never overwrites a file.
    """
    from punkforge.recipe.starter import example_summary, examples, write_starter

    if list_examples:
        for stem, path in examples().items():
            print(f"{stem:<20} {example_summary(path)}")
        return
    try:
        if name is None:
            raise RecipeError(
                "punkforge new: give the new recipe's NAME, e.g. `punkforge new my-punks "
                "--from strided-punks` (`punkforge new --list` shows the examples)."
            )
        path = write_starter(name, folder, example)
    except PunkforgeError as err:
        raise _fail(err) from None
    from punkforge.pipeline.terminal import say

    say(f"wrote {path}; try: punkforge validate {path} && punkforge run {path}")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except BrokenPipeError:
        sys.exit(1)
