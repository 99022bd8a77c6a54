"""The worker's half of training: train one group and yield each finished epoch.

`run_group(job, data)` rebuilds the network, resumes it from the arrays the
driver sent (it never reads or writes the output tree, so it can run in this
process, in a child process or on a Ray node) and yields `Progress` items
while an epoch runs and an `EpochResult` when it ends; first, when the job
asks for it, the untrained network's sample as epoch 0. The driver commits
each result to the training store (`store.commit_epoch`). `group_events`
wraps it so that a user-facing failure (a diverging loss) becomes a `Failed`
item instead of an exception. TensorFlow is imported only inside `run_group`.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from punkforge.data.punks import to_uint8
from punkforge.errors import PunkforgeError, RunError
from punkforge.recipe.sections import Recipe
from punkforge.training.store import EpochResult, StoreState, epoch_order, training_key


@dataclass(frozen=True)
class TrainData:
    """What a group trains on, sent once to each worker or node.

    x_train: (N, h, w, C) float32; x_val: (M, h, w, C) float32, M may be 0;
    x_sample: (S, h, w, C) float32, the test images devolved after every epoch
    (24x24 punks, or a folder's images at the data's size).
    """

    x_train: np.ndarray
    x_val: np.ndarray
    x_sample: np.ndarray


@dataclass
class GroupJob:
    """One training group: train `recipe` from `start` epochs to `epochs`.

    weights/optimizer: the arrays of epoch `start` ([] when start is 0).
    attempt: which try this is (0 the first; the driver retries a failed group).
    epoch0: send the untrained network's sample first (the store lacks it).
    """

    key: str
    names: list[str]
    recipe: Recipe
    epochs: int
    sample: int
    start: int = 0
    weights: list[np.ndarray] = field(default_factory=list)
    optimizer: list[np.ndarray] = field(default_factory=list)
    attempt: int = 0
    epoch0: bool = True


@dataclass(frozen=True)
class Progress:
    """Batches done so far in the epoch running now, and the running loss."""

    key: str
    epoch: int
    batch: int
    batches: int
    loss: float


@dataclass(frozen=True)
class Failed:
    """The group stopped. retry: whether trying again could help."""

    key: str
    message: str
    retry: bool


def group_events(job: GroupJob, data: TrainData) -> Iterator[Progress | EpochResult | Failed]:
    """`run_group`, with a user-facing failure sent as a `Failed` item."""
    try:
        yield from run_group(job, data)
    except PunkforgeError as err:
        yield Failed(job.key, str(err), retry=False)


def run_group(job: GroupJob, data: TrainData) -> Iterator[Progress | EpochResult]:
    """Train one group from job.start to job.epochs, yielding progress and epochs.

    Raises RunError when the loss stops being finite.
    """
    from punkforge.training.autoencoder import (
        build_autoencoder,
        keras_module,
        make_loss,
        make_optimizer,
    )
    from punkforge.training.graph_steps import EpochRunner

    keras = keras_module()
    r, cfg = job.recipe, job.recipe.train
    keras.utils.set_random_seed(r.seed)
    model = build_autoencoder(r.model, r.channels, data.x_train.shape[1:3])
    if job.epoch0:
        # The seed's initial weights, before any are loaded or trained: the same
        # on a resume. An inference call draws no random numbers, so the
        # trained weights stay byte-identical with or without it.
        yield EpochResult(0, [], [], to_uint8(model(data.x_sample, training=False)), {"epoch": 0})
    optimizer = make_optimizer(cfg)
    optimizer.build(model.trainable_variables)
    if job.start > 0:
        model.set_weights(job.weights)
        for var, value in zip(optimizer.variables, job.optimizer, strict=True):
            var.assign(value)
    runner = EpochRunner(model, optimizer, make_loss(cfg), data.x_train, data.x_val,
                         cfg.batch_size)  # fmt: skip
    for epoch in range(job.start + 1, job.epochs + 1):
        t0 = time.perf_counter()
        steps = runner.progress(epoch_order(r.seed, epoch, len(data.x_train)))
        while True:
            try:
                done, running = next(steps)
            except StopIteration as stop:
                loss, val_loss = stop.value
                break
            yield Progress(job.key, epoch, done, runner.batches(), running)
        seconds = time.perf_counter() - t0
        if not math.isfinite(loss) or (len(data.x_val) > 0 and not math.isfinite(val_loss)):
            raise RunError(
                f"training diverged at epoch {epoch}: loss is {loss}, val_loss {val_loss}. "
                "Fix: lower train.learning_rate, or try another optimizer or activation."
            )
        row = {"epoch": epoch, "loss": loss, "val_loss": val_loss, "seconds": round(seconds, 4)}
        yield EpochResult(
            epoch,
            [np.asarray(w) for w in model.get_weights()],
            [np.array(v) for v in optimizer.variables],
            to_uint8(model(data.x_sample, training=False)),
            row,
        )


class EpochHooks(Protocol):
    """What `train_store` tells a benchmark or notebook as it trains."""

    def epoch_start(self, epoch: int, epochs: int, batches: int) -> None: ...
    def batch_end(self, batch: int, loss: float) -> None: ...
    def epoch_end(self, epoch: int, epochs: int, row: dict[str, float]) -> None: ...


def train_store(
    recipe: Recipe,
    punks: Any,
    store: Path,
    epochs: int,
    sample: int,
    hooks: EpochHooks | None = None,
) -> StoreState:
    """Both halves in this process: heal `store`, train it to `epochs`, commit each epoch.

    For benchmarks and notebooks; hooks (optional) get epoch_start(epoch, epochs,
    batches), batch_end(batch, loss) and epoch_end(epoch, epochs, row).
    """
    from punkforge.training.store import (
        commit_epoch,
        has_epoch0,
        heal_store,
        read_optimizer,
        read_weights,
        split,
        wipe_store,
    )

    store.mkdir(parents=True, exist_ok=True)
    state, _ = heal_store(store)
    if state.epoch >= epochs and state.sample >= sample:
        return state
    if state.sample < sample and state.files:
        wipe_store(store)
        store.mkdir(parents=True, exist_ok=True)
        state = StoreState()
    job = GroupJob(training_key(recipe), ["base"], recipe, epochs, sample, state.epoch,
                   epoch0=not has_epoch0(state))  # fmt: skip
    if state.epoch:
        job.weights = read_weights(store, state.epoch, state)
        job.optimizer = read_optimizer(store, state.epoch, state)
    at = split(len(punks.train), recipe.train.validation_split)
    data = TrainData(punks.train[:at], punks.train[at:], punks.test[:sample])
    shown = 0
    for item in run_group(job, data):
        if isinstance(item, Progress):
            if hooks and item.epoch != shown:
                shown = item.epoch
                hooks.epoch_start(item.epoch, epochs, item.batches)
            if hooks:
                hooks.batch_end(item.batch, item.loss)
        else:
            state = commit_epoch(store, state, item, sample)
            if hooks and item.epoch:
                hooks.epoch_end(item.epoch, epochs, item.row)
    return state
