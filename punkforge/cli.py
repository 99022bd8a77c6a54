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
from typing import Annotated

import typer

from punkforge import __version__
from punkforge.errors import PunkforgeError, RecipeError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

app = typer.Typer(
    help="Turn a tiny autoencoder's training on CryptoPunks into printable generative art.",
    no_args_is_help=True,
    add_completion=False,
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
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    # Piped or logged output has no terminal width: don't squeeze tables into 80 columns.
    width = None if stream.isatty() or os.environ.get("COLUMNS") else 160
    return Console(stderr=stderr, highlight=False, width=width)


def _fail(err: PunkforgeError) -> typer.Exit:
    from rich.markup import escape

    # escape: messages quote TOML such as [sweep] or [h, w], which rich would eat as markup
    _console(stderr=True).print(
        f"[bold red]error:[/] {escape(str(err))}", markup=True, soft_wrap=True
    )
    return typer.Exit(err.exit_code)


def _load_all(recipes: list[Path], sets: list[str] | None):
    from punkforge.recipe.load import load_recipe

    loaded = [load_recipe(p, sets or ()) for p in recipes]
    names: dict[str, str] = {}
    for rf in loaded:
        if rf.name in names and names[rf.name] != rf.path:
            raise RecipeError(
                f"{rf.path}: recipe name '{rf.name}' is also the name of "
                f"{names[rf.name]}; both would write outputs/{rf.name}. Rename one."
            )
        names[rf.name] = rf.path
    return loaded


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
) -> None:
    """Train every variant, devolve the test set and render posters, series and GIFs."""
    from punkforge.run.parallel import open_pool
    from punkforge.run.runner import dry_run as plan_run
    from punkforge.run.runner import run_recipe
    from punkforge.run.ui import RichUI, results_table

    try:
        loaded = _load_all(recipes, set_)
        known = {v.name for rf in loaded for v in rf.variants}
        for name in only:
            if name not in known:
                import difflib

                close = difflib.get_close_matches(name, sorted(known), n=1)
                hint = f" Did you mean '{close[0]}'?" if close else ""
                raise RecipeError(
                    f"--only {name}: no variant of that name in "
                    f"{', '.join(str(r) for r in recipes)}.{hint} "
                    f"Variants: {', '.join(sorted(known))}."
                )
        if dry_run:
            # the same planning the run follows; reads only, never TensorFlow
            for rf in loaded:
                for name, plan in plan_run(rf, out, tuple(only), fresh):
                    print(f"{rf.name}/{name}: {plan.describe()}")
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
                report = run_recipe(rf, out, ui, tuple(only), fresh, pool=pool)
                rows += [{"recipe": rf.name, **r} for r in report.rows]
                failures += report.failures
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
            _console(stderr=True).print(f"  {f}", markup=False)
        raise typer.Exit(1)
    if rows:
        _console().print(f"Gallery: {out / 'index.html'}")


@app.command()
def validate(recipes: RecipesArg, set_: SetOpt = []) -> None:  # noqa: B006
    """Check recipes without training anything (never imports TensorFlow)."""
    try:
        for rf in _load_all(recipes, set_):
            n = len(rf.variants)
            print(f"{rf.path}: ok, recipe '{rf.name}', {n} variant{'s' if n != 1 else ''}")
    except PunkforgeError as err:
        raise _fail(err) from None


@app.command("list")
def list_(recipes: RecipesArg, set_: SetOpt = []) -> None:  # noqa: B006
    """Show every variant with its layer shapes and parameter count."""
    from rich.table import Table

    from punkforge.recipe.shapes import network_shapes

    try:
        loaded = _load_all(recipes, set_)
    except PunkforgeError as err:
        raise _fail(err) from None
    console = _console()
    for rf in loaded:
        for v in rf.variants:
            r = v.recipe
            rows = network_shapes(r.model, r.channels)
            total = sum(x.params for x in rows)
            console.print(
                f"[bold]{rf.name}/{v.name}[/]: {total:,} parameters, {r.data.color}, "
                f"{r.train.epochs} epochs, {r.train.optimizer} lr {r.train.learning_rate}"
            )
            t = Table()
            for col in ("layer", "type", "output", "activation", "params"):
                t.add_column(col, justify="right" if col == "params" else "left")
            t.add_row("input", "", f"24x24x{r.channels}", "", "")
            for x in rows:
                t.add_row(x.index, x.kind, "x".join(map(str, x.out)), x.activation, f"{x.params:,}")
            console.print(t)


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
    from punkforge.recipe.load import parse_set
    from punkforge.run.runner import render_only
    from punkforge.run.target import load_target
    from punkforge.run.ui import RichUI, results_table

    try:
        for item in set_:
            parse_set(item, only_render=True)
        rf, folder = load_target(target, out, set_)
        _stop_cleanly_on_signals()
        ui = RichUI()
        with ui:
            report = render_only(rf, folder, ui)
    except KeyboardInterrupt:
        _console(stderr=True).print(
            "[yellow]Interrupted.[/] The previous files are kept (a half-redrawn variant no "
            "longer verifies and is redrawn next time); run the same command again to finish."
        )
        raise typer.Exit(1) from None
    except PunkforgeError as err:
        raise _fail(err) from None
    if report.rows:
        _console().print(results_table([{"recipe": rf.name, **r} for r in report.rows]))
    if report.failures:
        raise typer.Exit(1)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the recipe format."""
    from punkforge.recipe.schema import recipe_schema

    print(json.dumps(recipe_schema(), indent=2))


@app.command()
def new(
    name: Annotated[
        str,
        typer.Argument(
            help="The new recipe's name (a-z 0-9 - _).", show_default=False, metavar="NAME"
        ),
    ],
    folder: Annotated[
        Path, typer.Option("--dir", help="Where to write NAME.toml.", metavar="DIR")
    ] = Path("recipes"),
) -> None:
    """Write a commented starter recipe to recipes/NAME.toml (never overwrites)."""
    from punkforge.recipe.starter import write_starter

    try:
        path = write_starter(name, folder)
    except PunkforgeError as err:
        raise _fail(err) from None
    print(f"wrote {path}; try: punkforge validate {path} && punkforge run {path}")


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except BrokenPipeError:
        sys.exit(1)
