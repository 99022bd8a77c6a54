"""What a person sees while punkforge works: the progress role, rich bars and tables.

`ProgressUI` is the role: every hook the pipeline calls, per variant
(`variant_start`, `step`, `variant_done`, `variant_failed`), per training
group (`group_start`, `group_progress`, `group_sample`, `group_epoch`,
`group_end`) and once per recipe when its live page exists (`gallery_started`,
see `live_gallery`); the caller holds it open (`with ui:`) while the pipeline works. Two
implementations: `NullUI` says nothing (the Python API's default, and
tests'); `RichUI` draws one line per variant; while training, one live line
per training group (its variants, epoch k/N, running loss, ETA) and, when
several groups train, an overall bar; then a closing table.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from rich.console import Console
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

from punkforge.pipeline.terminal import console as new_console
from punkforge.pipeline.terminal import shown


class ProgressUI(Protocol):
    """What the pipeline tells the person watching: every hook it calls."""

    def __enter__(self) -> ProgressUI: ...
    def __exit__(self, *exc: object) -> None: ...

    # one variant
    def variant_start(self, recipe: str, variant: str, action: str) -> None: ...
    def step(self, text: str) -> None: ...
    def variant_done(self, recipe: str, variant: str, row: dict[str, Any]) -> None: ...
    def variant_failed(self, recipe: str, variant: str, message: str) -> None: ...

    # one training group (`training_groups`): it starts (again, after a failure, from
    # the committed epoch `start`), runs batches, finishes epochs and ends
    def group_start(self, key: str, label: str, start: int, epochs: int) -> None: ...
    def group_progress(
        self, key: str, epoch: int, batch: int, batches: int, loss: float
    ) -> None: ...
    def group_sample(self, key: str, epoch: int, sample: np.ndarray) -> None: ...
    def group_epoch(self, key: str, epoch: int, row: dict[str, float]) -> None: ...
    def group_end(self, key: str) -> None: ...

    # one recipe: its live page (`live_gallery`) exists at `page`
    def gallery_started(self, recipe: str, page: Path) -> None: ...


class NullUI:
    """The progress role, saying nothing: the Python API is quiet unless asked."""

    def __enter__(self) -> NullUI:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def variant_start(self, recipe: str, variant: str, action: str) -> None:
        pass

    def step(self, text: str) -> None:
        pass

    def variant_done(self, recipe: str, variant: str, row: dict[str, Any]) -> None:
        pass

    def variant_failed(self, recipe: str, variant: str, message: str) -> None:
        pass

    def group_start(self, key: str, label: str, start: int, epochs: int) -> None:
        pass

    def group_progress(self, key: str, epoch: int, batch: int, batches: int, loss: float) -> None:
        pass

    def group_sample(self, key: str, epoch: int, sample: np.ndarray) -> None:
        pass

    def group_epoch(self, key: str, epoch: int, row: dict[str, float]) -> None:
        pass

    def group_end(self, key: str) -> None:
        pass

    def gallery_started(self, recipe: str, page: Path) -> None:
        pass


ACTIONS = {
    "train": "training",
    "devolve": "devolving from its training store",
    "render": "re-rendering (only [render] changed)",
    "skip": "up to date, skipped",
}


class RichUI:
    """The progress role drawn with rich, for `punkforge run` and `render`."""

    def __init__(
        self, console: Console | None = None, on_gallery: Callable[[Path], None] | None = None
    ) -> None:
        self.console = console or new_console(stderr=True)
        self.on_gallery = on_gallery  # called with the first live page (`run --open`)
        self.opened: Path | None = None
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
        self.label = ""
        self.groups: dict[str, _Line] = {}  # live line per training group
        self.total: Any = None  # the overall bar (epochs of every group)

    def __enter__(self) -> RichUI:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    # one variant
    def variant_start(self, recipe: str, variant: str, action: str) -> None:
        self.label = f"{recipe}/{variant}"
        self.console.print(f"[cyan]{shown(self.label)}[/]: {shown(ACTIONS.get(action, action))}")

    def step(self, text: str) -> None:
        self.console.print(f"  {shown(text)}", style="dim")

    def variant_done(self, recipe: str, variant: str, row: dict[str, Any]) -> None:
        val = row.get("val_loss")
        val_text = f", val_loss {val:.4f}" if isinstance(val, float) else ""
        self.console.print(
            f"[cyan]{shown(f'{recipe}/{variant}')}[/]: [green]done[/] "
            f"{shown(row.get('epochs', '?'))} epochs{val_text}"
        )

    def variant_failed(self, recipe: str, variant: str, message: str) -> None:
        self.console.print(f"[red]{shown(f'{recipe}/{variant}')} failed:[/] {shown(message)}")

    # one training group
    def group_start(self, key: str, label: str, start: int, epochs: int) -> None:
        if self.total is None:
            self.total = self.progress.add_task("all training", total=0, info="")
        t = next(t for t in self.progress.tasks if t.id == self.total)
        self.progress.update(self.total, total=(t.total or 0) + epochs - start, visible=True)
        if key in self.groups:  # a retry: the line starts again from the committed epoch
            line = self.groups[key]
            line.start, line.done = start, 0.0
            self.progress.update(line.task, total=epochs - start, completed=0, visible=True)
            return
        task = self.progress.add_task(shown(_short_label(label)), total=epochs - start, info="")
        self.groups[key] = _Line(task, label, start, epochs)

    def group_progress(self, key: str, epoch: int, batch: int, batches: int, loss: float) -> None:
        line = self.groups[key]
        done = (epoch - 1 - line.start) + batch / max(1, batches)
        step, line.done = done - line.done, done
        info = f"epoch {epoch}/{line.epochs} loss {loss:.4f}"
        self.progress.update(line.task, completed=done, info=info)
        if self.total is not None:
            self.progress.advance(self.total, step)

    def group_epoch(self, key: str, epoch: int, row: dict[str, float]) -> None:
        line = self.groups[key]
        self.console.print(
            f"  {shown(_short_label(line.label))} epoch {epoch}/{line.epochs}: "
            f"loss {row['loss']:.4f} val_loss {row['val_loss']:.4f} ({row['seconds']:.1f}s)",
            style="dim",
        )

    def group_sample(self, key: str, epoch: int, sample: np.ndarray) -> None:
        pass  # the terminal shows no pictures; the live page does

    def gallery_started(self, recipe: str, page: Path) -> None:
        self.console.print(f"[cyan]{shown(recipe)}[/]: live gallery {shown(page)}")
        if self.on_gallery is not None and self.opened is None:
            self.opened = page
            self.on_gallery(page)

    def group_end(self, key: str) -> None:
        line = self.groups.get(key)
        if line is not None:
            self.progress.update(line.task, visible=False)
        shown = {t.id for t in self.progress.tasks if t.visible}
        if self.total is not None and not any(g.task in shown for g in self.groups.values()):
            self.progress.update(self.total, visible=False)


class _Line:
    """One group's live progress line."""

    def __init__(self, task: Any, label: str, start: int, epochs: int) -> None:
        self.task, self.label, self.start, self.epochs = task, label, start, epochs
        self.done = 0.0


def _short_label(label: str, width: int = 40) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


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
        cells = (
            f"{r.get('recipe', '')}/{r['variant']}",
            f(r.get("params")),
            f(r.get("epochs")),
            f(r.get("loss")),
            f(r.get("val_loss")),
            f(r.get("seconds"), 1),
            str(r.get("folder", "")),
        )
        table.add_row(*(shown(c) for c in cells))  # cells are rich markup: data escaped
    return table
