"""What a person sees while punkforge works: rich progress bars and tables.

`RichUI` implements the runner's and trainer's hooks: one line per variant,
an epoch bar and a batch bar with the running loss, then a closing table.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

ACTIONS = {
    "train": "training",
    "devolve": "devolving from its training store",
    "render": "re-rendering (only [render] changed)",
    "skip": "up to date, skipped",
}


class RichUI:
    """Progress for `punkforge run` and `render`."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            transient=True,
        )
        self.epoch_task: Any = None
        self.batch_task: Any = None
        self.label = ""

    def __enter__(self) -> RichUI:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    # runner hooks
    def variant_start(self, recipe: str, variant: str, action: str) -> None:
        self.label = f"{recipe}/{variant}"
        self.console.print(f"[cyan]{self.label}[/]: {ACTIONS.get(action, action)}")

    def step(self, text: str) -> None:
        self.console.print(f"  {escape(text)}", style="dim")

    def variant_done(self, recipe: str, variant: str, row: dict[str, Any]) -> None:
        for task in (self.epoch_task, self.batch_task):
            if task is not None:
                self.progress.remove_task(task)
        self.epoch_task = self.batch_task = None
        val = row.get("val_loss")
        val_text = f", val_loss {val:.4f}" if isinstance(val, float) else ""
        self.console.print(f"  [green]done[/] {row.get('epochs', '?')} epochs{val_text}")

    def variant_failed(self, recipe: str, variant: str, message: str) -> None:
        self.console.print(f"[red]{recipe}/{variant} failed:[/] {escape(message)}")

    # trainer hooks
    def epoch_start(self, epoch: int, epochs: int, batches: int) -> None:
        if self.epoch_task is None:
            self.epoch_task = self.progress.add_task(
                "epochs", total=epochs, completed=epoch - 1, info=""
            )
        if self.batch_task is None:
            self.batch_task = self.progress.add_task("batches", total=batches, info="")
        self.progress.update(
            self.batch_task, total=batches, completed=0, description=f"epoch {epoch}/{epochs}"
        )

    def batch_end(self, batch: int, loss: float) -> None:
        if self.batch_task is not None:
            self.progress.update(self.batch_task, completed=batch, info=f"loss {loss:.4f}")

    def epoch_end(self, epoch: int, epochs: int, row: dict[str, float]) -> None:
        if self.epoch_task is not None:
            self.progress.update(
                self.epoch_task, completed=epoch, info=f"val_loss {row['val_loss']:.4f}"
            )
        self.console.print(
            f"  epoch {epoch}/{epochs}: loss {row['loss']:.4f} val_loss {row['val_loss']:.4f} "
            f"({row['seconds']:.1f}s)",
            style="dim",
        )


def results_table(rows: list[dict[str, Any]]) -> Table:
    """The closing table: one line per variant."""
    table = Table(title="punkforge results", show_lines=False)
    for col, just in (
        ("variant", "left"),
        ("params", "right"),
        ("epochs", "right"),
        ("loss", "right"),
        ("val_loss", "right"),
        ("seconds", "right"),
        ("folder", "left"),
    ):
        table.add_column(col, justify=just)  # type: ignore[arg-type]

    def f(v: Any, d: int = 4) -> str:
        if isinstance(v, float):
            return f"{v:.{d}f}"
        return f"{v:,}" if isinstance(v, int) else str(v if v is not None else "-")

    for r in rows:
        table.add_row(
            r.get("recipe", "") + "/" + r["variant"],
            f(r.get("params")),
            f(r.get("epochs")),
            f(r.get("loss")),
            f(r.get("val_loss")),
            f(r.get("seconds"), 1),
            str(r.get("folder", "")),
        )
    return table
