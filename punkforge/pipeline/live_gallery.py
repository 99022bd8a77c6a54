"""The live gallery: `outputs/<name>/index.html` kept up to date while `punkforge run` works.

`LiveGallery` is a progress role (`progress.ProgressUI`) that passes every hook
on to the display it wraps and, from the same hooks, keeps each variant's
state (queued, training with epoch k/N, rendering, done, failed), its loss so
far and its latest sample grid, then rewrites the page (`gallery.live`). The
driver calls the hooks as epochs arrive, whatever runs the training groups
(in this process, `--jobs N` processes or Ray), so the page works the same
for all of them. The page is written on every change of state and every
finished epoch, and at most every `HEARTBEAT_S` seconds while batches run, so
its "last updated" time tells a live run from a dead one.

The runner makes one per recipe inside the run lock and the output-tree
guard, calls `start` first and `end` when the run ends (finished or
interrupted); the final gallery then replaces the page. `index.html` is one
of the output folder's fixed top-level names (`output_folder.TOP_FILES`): the
live page adds no file to the tree.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from punkforge.gallery.live import LiveRun, LiveVariant, sample_grid, write_live_page
from punkforge.gallery.pages import write_root_index
from punkforge.pipeline.progress import ProgressUI
from punkforge.recipe.loader import RecipeFile
from punkforge.recipe.sections import Variant
from punkforge.training.history import read_history
from punkforge.training.store import training_key

HEARTBEAT_S = 5.0  # while batches run, the page is rewritten at most this often


class LiveGallery:
    """The progress role that also keeps the recipe's live page; every hook goes on to `inner`.

    `plans` maps each selected variant to its planned action ("skip",
    "render", "devolve", "train"); skipped ones show as done from the start.
    """

    def __init__(
        self, inner: ProgressUI, rf: RecipeFile, out: Path, selected: list[Variant],
        plans: dict[str, str],
    ) -> None:  # fmt: skip
        self.inner, self.out = inner, out
        self.by_name = {v.name: v for v in selected}
        self.live = {
            v.name: LiveVariant(
                v.name, v.recipe.train.epochs, "done" if plans[v.name] == "skip" else "queued"
            )
            for v in selected
        }
        self.run = LiveRun(rf.name, rf.title, rf.path, list(self.live.values()))
        self.groups: dict[str, list[str]] = {}  # training key -> the variants it trains
        for v in selected:
            if plans[v.name] in ("train", "devolve"):
                self.groups.setdefault(training_key(v.recipe), []).append(v.name)
        self.written = 0.0
        self.ended = False  # after `end` the final gallery may replace the page: hands off

    # ---- the run

    def start(self) -> Path:
        """Write the first page (every variant queued or done), list it on outputs/index.html
        (a recipe in its first run has no summary.json yet) and tell the display where it is."""
        page = self.write()
        self.write_root({self.run.name: self.run.title})
        self.inner.gallery_started(self.run.name, page)
        return page

    def end(self, status: str) -> None:
        """The run ended ("finished", "interrupted" or "stopped"): the page says so, no reload.

        outputs/index.html no longer lists a first run that finished nothing (a
        finished variant's gallery rewrites it with the recipe's summary next).
        """
        self.run.status = status
        self.write()
        self.write_root({})
        self.ended = True

    def write_root(self, running: dict[str, str]) -> None:
        """outputs/index.html with `running` listed; a failure never stops the run."""
        try:
            write_root_index(self.out.parent, running)
        except Exception as err:  # like the live page: it watches, it never stops the training
            self.inner.step(f"outputs/index.html not updated: {err}")

    def write(self) -> Path:
        page = self.out / "index.html"
        if self.ended:
            return page
        self.written = time.monotonic()
        try:
            write_live_page(self.out, self.run)
        except Exception as err:  # the page only watches: it must never stop the training
            self.ended = True
            self.inner.step(f"the live page stopped updating: {err}")
        return page

    def _heartbeat(self) -> None:
        if time.monotonic() - self.written >= HEARTBEAT_S:
            self.write()

    def _members(self, key: str) -> list[LiveVariant]:
        return [self.live[n] for n in self.groups.get(key, ())]

    # ---- the progress role

    def __enter__(self) -> LiveGallery:  # the caller holds `inner` open
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def variant_start(self, recipe: str, variant: str, action: str) -> None:
        self.inner.variant_start(recipe, variant, action)
        if variant in self.live and action in ("render", "devolve"):
            self.live[variant].state = "rendering"
            self.write()

    def step(self, text: str) -> None:
        self.inner.step(text)
        self._heartbeat()

    def variant_done(self, recipe: str, variant: str, row: dict[str, Any]) -> None:
        self.inner.variant_done(recipe, variant, row)
        if variant in self.live:
            v = self.live[variant]
            v.state, v.batch = "done", None
            v.epoch = v.epochs
            v.history = read_history(self.out / variant) or v.history
            self.write()

    def variant_failed(self, recipe: str, variant: str, message: str) -> None:
        self.inner.variant_failed(recipe, variant, message)
        if variant in self.live:
            v = self.live[variant]
            v.state, v.batch, v.message = "failed", None, message
            self.write()

    def group_start(self, key: str, label: str, start: int, epochs: int) -> None:
        self.inner.group_start(key, label, start, epochs)
        for v in self._members(key):
            # "queued" until its first batch: a pool may hold the group back
            v.state, v.batch, v.epoch = "queued", None, min(start, v.epochs)
            v.history = [h for h in read_history(self.out / v.name) if h["epoch"] <= start]
        self.write()

    def group_progress(self, key: str, epoch: int, batch: int, batches: int, loss: float) -> None:
        self.inner.group_progress(key, epoch, batch, batches, loss)
        for v in self._members(key):
            if epoch <= v.epochs:  # a shorter sibling waits at its last epoch
                v.state, v.batch = "training", (batch, batches)
        self._heartbeat()

    def group_sample(self, key: str, epoch: int, sample: np.ndarray) -> None:
        self.inner.group_sample(key, epoch, sample)
        grids: dict[int, dict[str, Any]] = {}
        for v in self._members(key):
            if epoch <= v.epochs:
                r = self.by_name[v.name].recipe
                n = min(r.render.sample, len(sample))
                if n not in grids:
                    grids[n] = sample_grid(sample[:n], r.render.poster.background, epoch)
                v.grid = grids[n]

    def group_epoch(self, key: str, epoch: int, row: dict[str, float]) -> None:
        self.inner.group_epoch(key, epoch, row)
        for v in self._members(key):
            if epoch <= v.epochs:
                v.state, v.epoch, v.batch = "training", epoch, None
                v.seconds.append(float(row.get("seconds", 0.0)))
                v.history = read_history(self.out / v.name)  # just rewritten by the commit
        self.write()

    def group_end(self, key: str) -> None:
        self.inner.group_end(key)
        for v in self._members(key):
            # trained: devolving and rendering come next; else it retries or fails
            v.state, v.batch = ("rendering" if v.epoch >= v.epochs else "queued"), None
        self.write()

    def gallery_started(self, recipe: str, page: Path) -> None:
        self.inner.gallery_started(recipe, page)


@contextlib.contextmanager
def live_page(
    ui: ProgressUI, rf: RecipeFile, out: Path, selected: list[Variant], plans: dict[str, str]
) -> Iterator[ProgressUI]:
    """The progress role to use while the run works: `ui` wrapped in a `LiveGallery`.

    The page is written at once and says how the run ended: "finished" (the
    final gallery, written next, replaces it when a variant is done),
    "interrupted" (Ctrl-C, SIGTERM) or "stopped" (an error). With nothing to
    do (every variant skipped) there is nothing to watch: `ui` itself, no page.
    """
    if all(action == "skip" for action in plans.values()):
        yield ui
        return
    live = LiveGallery(ui, rf, out, selected, plans)
    live.start()
    try:
        yield live
    except KeyboardInterrupt:
        live.end("interrupted")
        raise
    except BaseException:
        live.end("stopped")
        raise
    live.end("finished")
