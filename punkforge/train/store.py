"""Training with a checkpoint after every epoch, so a killed run resumes exactly.

A *training store* is a folder holding everything one training run has made
so far: per-epoch weights (`weights-0003.npz`), the latest optimiser state
(`optimizer-0003.npz`), the devolved sample after every epoch (`snapshots.npz`) and
`state.json` (epoch, history), written last as the commit point. The data
order of epoch k depends only on (seed, k), so stopping after any epoch and
resuming gives the same weights as never stopping. Variants that differ only
in `train.epochs` share one store (the runner takes each variant's epoch).
TensorFlow is imported only inside `train_store`.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from punkforge import files
from punkforge.errors import RunError
from punkforge.recipe import Recipe, training_dict
from punkforge.train.data import Punks, to_uint8

STATE = "state.json"


class TrainHooks(Protocol):
    """What the trainer reports while it works (the CLI draws it with rich)."""

    def epoch_start(self, epoch: int, epochs: int, batches: int) -> None: ...
    def batch_end(self, batch: int, loss: float) -> None: ...
    def epoch_end(self, epoch: int, epochs: int, row: dict[str, float]) -> None: ...


class NoHooks:
    def epoch_start(self, epoch: int, epochs: int, batches: int) -> None:
        pass

    def batch_end(self, batch: int, loss: float) -> None:
        pass

    def epoch_end(self, epoch: int, epochs: int, row: dict[str, float]) -> None:
        pass


def training_key(recipe: Recipe) -> str:
    """Short hash of what decides the weights (all but train.epochs and rendering)."""
    blob = json.dumps(training_dict(recipe), sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


@dataclass
class StoreState:
    """What a training store holds: finished epochs and their history rows."""

    epoch: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    sample: int = 0


def read_state(store: Path) -> StoreState:
    """The committed state of a store (an empty state if it has none or it is unreadable)."""
    try:
        raw = json.loads((store / STATE).read_text())
        state = StoreState(int(raw["epoch"]), list(raw["history"]), int(raw["sample"]))
    except (OSError, ValueError, KeyError, TypeError):
        return StoreState()
    if state.epoch > 0 and not (
        (store / weights_name(state.epoch)).exists()
        and (store / optimizer_name(state.epoch)).exists()
    ):
        return StoreState()
    return state


def weights_name(epoch: int) -> str:
    return f"weights-{epoch:04d}.npz"


def optimizer_name(epoch: int) -> str:
    return f"optimizer-{epoch:04d}.npz"


def read_weights(store: Path, epoch: int) -> list[np.ndarray]:
    """The model weights after `epoch`, in `model.get_weights()` order."""
    arrays = files.load_npz(store / weights_name(epoch))
    return [arrays[f"w{i}"] for i in range(len(arrays))]


def read_snapshots(store: Path, upto: int) -> tuple[np.ndarray, np.ndarray]:
    """(epochs (E,), images (E, S, 24, 24, C) uint8) for epochs 1..upto."""
    z = files.load_npz(store / "snapshots.npz")
    keep = z["epochs"] <= upto
    return z["epochs"][keep], z["images"][keep]


def split(n: int, validation_split: float) -> int:
    """Index where validation starts: Keras' own rule (the last fraction is held out)."""
    return math.ceil(n * (1.0 - validation_split)) if validation_split > 0 else n


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The shuffled order of epoch `epoch` (1-based); depends only on (seed, epoch)."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def train_store(
    recipe: Recipe,
    punks: Punks,
    store: Path,
    epochs: int,
    sample: int,
    hooks: TrainHooks | None = None,
) -> StoreState:
    """Train (or resume) the store's network until `epochs` epochs are done.

    `sample` is how many test punks are devolved after each epoch. Raises
    RunError when the loss stops being finite.
    """
    hooks = hooks or NoHooks()
    state = read_state(store)
    if state.epoch >= epochs and state.sample >= sample:
        return state
    if state.sample < sample:
        state = StoreState()  # the recorded sample is too small: start over
        for p in store.glob("*"):
            p.unlink()

    from punkforge.train.model import build_autoencoder, keras_module, make_loss, make_optimizer

    keras = keras_module()
    from punkforge.train.steps import EpochRunner

    cfg = recipe.train
    keras.utils.set_random_seed(recipe.seed)
    model = build_autoencoder(recipe.model, recipe.channels)
    optimizer = make_optimizer(cfg)
    optimizer.build(model.trainable_variables)
    if state.epoch > 0:
        model.set_weights(read_weights(store, state.epoch))
        opt_arrays = files.load_npz(store / optimizer_name(state.epoch))
        for i, var in enumerate(optimizer.variables):
            var.assign(opt_arrays[f"v{i}"])

    at = split(len(punks.train), cfg.validation_split)
    x_train, x_val = punks.train[:at], punks.train[at:]
    x_sample = punks.test[:sample]
    snaps_epochs: list[int] = []
    snaps: list[np.ndarray] = []
    if state.epoch > 0 and (store / "snapshots.npz").exists():
        e, imgs = read_snapshots(store, state.epoch)
        snaps_epochs, snaps = list(e), list(imgs)
    runner = EpochRunner(model, optimizer, make_loss(cfg), x_train, x_val, cfg.batch_size)

    history = list(state.history)
    for epoch in range(state.epoch + 1, epochs + 1):
        hooks.epoch_start(epoch, epochs, runner.batches())
        t0 = time.perf_counter()
        loss, val_loss = runner(epoch_order(recipe.seed, epoch, len(x_train)), hooks.batch_end)
        seconds = time.perf_counter() - t0
        if not math.isfinite(loss) or (len(x_val) > 0 and not math.isfinite(val_loss)):
            raise RunError(
                f"training diverged at epoch {epoch}: loss is {loss}, val_loss {val_loss}. "
                "Fix: lower train.learning_rate, or try another optimizer or activation."
            )
        snaps_epochs.append(epoch)
        snaps.append(to_uint8(model(x_sample, training=False)))
        row = {"epoch": epoch, "loss": loss, "val_loss": val_loss, "seconds": round(seconds, 4)}
        history.append(row)
        _commit(store, epoch, model, optimizer, history, sample, snaps_epochs, snaps)
        hooks.epoch_end(epoch, epochs, row)
    return StoreState(epochs, history, sample)


def _commit(
    store: Path,
    epoch: int,
    model: Any,
    optimizer: Any,
    history: list[dict[str, float]],
    sample: int,
    snaps_epochs: list[int],
    snaps: list[np.ndarray],
) -> None:
    """Write one epoch's checkpoint; state.json last, so a kill leaves the previous epoch."""
    weights = model.get_weights()
    files.save_npz(store / weights_name(epoch), **{f"w{i}": w for i, w in enumerate(weights)})
    opt = {f"v{i}": np.array(v) for i, v in enumerate(optimizer.variables)}
    files.save_npz(store / optimizer_name(epoch), **opt)
    files.save_npz(
        store / "snapshots.npz",
        epochs=np.array(snaps_epochs, dtype=np.int32),
        images=np.stack(snaps),
    )
    files.write_json(store / STATE, {"epoch": epoch, "history": history, "sample": sample})
    for old in store.glob("optimizer-*.npz"):
        if old.name != optimizer_name(epoch):
            old.unlink(missing_ok=True)
