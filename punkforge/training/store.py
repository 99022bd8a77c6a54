"""The training store: every finished epoch on disk, verified when read, healed when damaged.

A *training store* is a folder holding what one training run has made so far,
one set of files per finished epoch:

    weights-0003.npz     the model weights after epoch 3 (w0, w1, ... in get_weights order)
    optimizer-0003.npz   the optimiser's variables after epoch 3 (v0, v1, ...)
    snapshot-0003.npz    the devolved sample after epoch 3: images (S, 24, 24, C) uint8
    snapshot-0000.npz    the untrained network's sample (epoch 0), made before the first
                         epoch from the seed's initial weights; stores made before it
                         existed have none and still work (their snapshots start at 1)
    state.json           epoch, sample, history rows and the size + sha256 of every file
                         above; written last, it is the commit point

`commit_epoch` is the driver's half of training: it writes one epoch that a
worker (`punkforge.training.worker`) has sent, atomically, `state.json` last.
`read_state` trusts only the longest run of epochs whose files all still match
their records; `heal_store` rolls the folder back to that epoch (deleting only
files its `state.json` lists) and says so in one line. Every epoch keeps its own
optimiser file, so any intact epoch can be resumed exactly. Epoch 0 is only a
picture: no weights, no history row; when it is damaged it alone is dropped (the
trained epochs stay). Nothing here imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from punkforge import files, records
from punkforge.errors import RunError
from punkforge.recipe.plain_dicts import training_dict
from punkforge.recipe.sections import Recipe

STATE = "state.json"
FORMAT = 2  # state.json with per-file records and per-epoch snapshots


def training_key(recipe: Recipe) -> str:
    """Short hash of what decides the weights (all but train.epochs and rendering).

    For a folder of images it includes the folder's content fingerprint, so a
    changed folder starts a new store.
    """
    d = training_dict(recipe)
    from punkforge.data import folder_images

    if folder_images.is_folder(recipe.data):
        d["data"] = {**d["data"], **folder_images.data_identity(recipe.data)}
    blob = json.dumps(d, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:16]


def weights_name(epoch: int) -> str:
    return f"weights-{epoch:04d}.npz"


def optimizer_name(epoch: int) -> str:
    return f"optimizer-{epoch:04d}.npz"


def snapshot_name(epoch: int) -> str:
    return f"snapshot-{epoch:04d}.npz"


EPOCH0 = snapshot_name(0)  # the untrained sample; the one file of epoch 0


def epoch_files(epoch: int) -> tuple[str, str, str]:
    """The three files that make epoch `epoch` resumable and renderable."""
    return weights_name(epoch), optimizer_name(epoch), snapshot_name(epoch)


@dataclass
class StoreState:
    """What a store holds: finished epochs, their history rows and file records.

    files maps a file name to {"size": int, "sha256": str}.
    """

    epoch: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    sample: int = 0
    files: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class EpochResult:
    """One finished epoch as a worker sends it to the driver.

    weights: model.get_weights() arrays; optimizer: the optimiser's variables in
    order; snapshot: (S, 24, 24, C) uint8, the devolved sample; row: epoch, loss,
    val_loss, seconds. Epoch 0 (the untrained network, sent before epoch 1)
    carries only its snapshot: no weights, no optimiser, row {"epoch": 0}.
    """

    epoch: int
    weights: list[np.ndarray]
    optimizer: list[np.ndarray]
    snapshot: np.ndarray
    row: dict[str, float]


def _load_raw(store: Path) -> tuple[StoreState | None, str | None]:
    """(recorded state, None) or (None, why it cannot be read) or (None, None) if absent."""
    path = store / STATE
    if not path.exists() and not path.is_symlink():
        return None, None
    try:
        rec = files.read_record(path, records.StoreRecord)
    except records.Damaged as err:  # torn, edited, another version's, or the wrong shape
        return None, f"{STATE} {str(err).removeprefix(str(path)).strip()}"
    if rec is None:
        return None, None
    raw = records.plain(rec)
    state = StoreState(rec.epoch, raw["history"], rec.sample, raw["files"])
    return state, None


def _intact(store: Path, name: str, entry: dict[str, Any] | None) -> bool:
    """The file is a plain file (no link) that matches its record."""
    return entry is not None and not files.damaged_entries(store, {name: entry})


def _verify(store: Path, raw: StoreState) -> tuple[StoreState, str | None]:
    """The intact prefix of `raw` and, if shorter, the first damaged file's name.

    A file whose size and mtime still equal its record keeps its recorded
    sha256 (`files.damaged_entries`); any other is hashed again.
    """
    bad = files.damaged_entries(store, raw.files)
    for epoch in range(1, raw.epoch + 1):
        for name in epoch_files(epoch):
            if name in bad or name not in raw.files:
                return _prefix(raw, epoch - 1, bad), name
    if EPOCH0 in bad:  # only the picture of epoch 0 is lost; the trained epochs stay
        return _prefix(raw, raw.epoch, bad), EPOCH0
    return raw, None


def _prefix(
    state: StoreState, epoch: int, bad: set[str] | frozenset[str] = frozenset()
) -> StoreState:
    keep = {n for e in range(1, epoch + 1) for n in epoch_files(e)}
    if EPOCH0 not in bad:
        keep.add(EPOCH0)
    kept = {n: e for n, e in state.files.items() if n in keep}
    return StoreState(
        epoch,
        [h for h in state.history if h["epoch"] <= epoch],
        state.sample if kept else 0,
        kept,
    )


def has_epoch0(state: StoreState) -> bool:
    """The (verified) state holds the untrained network's sample."""
    return EPOCH0 in state.files


def read_state(store: Path) -> StoreState:
    """The store's verified state: its epochs up to the first damaged or missing file.

    Read-only (see `heal_store` for the repair); an empty state when nothing
    readable was committed.
    """
    raw, _ = _load_raw(store)
    return _verify(store, raw)[0] if raw else StoreState()


def heal_store(store: Path) -> tuple[StoreState, str | None]:
    """Verify the store and roll it back to its last intact epoch.

    Returns the state training continues from and, when something was
    damaged or missing, one line saying what and where it rolled back to.
    Deletes only the later epochs' files that `state.json` lists.
    """
    raw, why = _load_raw(store)
    if raw is None:
        if why is None:
            return StoreState(), None
        return StoreState(), f"training store {store.name}: {why}; training starts over"
    state, bad = _verify(store, raw)
    if bad is None:
        return state, None
    for name in raw.files:
        if name not in state.files:
            _unlink(store, name)
    write_state(store, state)
    where = f"epoch {state.epoch}" if state.epoch else "the start"
    if bad == EPOCH0:
        where = f"epoch {state.epoch}, without the untrained sample (it is made again on resume)"
    return state, (
        f"training store {store.name}: {bad} is damaged or missing; rolled back to {where}"
    )


def wipe_store(store: Path) -> None:
    """Delete what the store's state.json lists, then state.json (never anything else)."""
    raw, _ = _load_raw(store)
    for name in raw.files if raw else {}:
        _unlink(store, name)
    _unlink(store, STATE)
    with contextlib.suppress(OSError):
        store.rmdir()  # only if nothing else is left in it


def _unlink(store: Path, name: str) -> None:
    # only a regular file is removed; a link or folder there is left alone
    files.remove_listed(store, name)


def write_state(store: Path, state: StoreState) -> None:
    files.write_json(
        store / STATE,
        {
            "format": FORMAT,
            "epoch": state.epoch,
            "sample": state.sample,
            "history": state.history,
            "files": state.files,
        },
    )


def commit_epoch(store: Path, state: StoreState, result: EpochResult, sample: int) -> StoreState:
    """Write one finished epoch (the driver's half of training); state.json last.

    A kill at any moment leaves the previous committed epoch, or this one.
    Epoch 0 (the untrained sample) may come at any point: it adds its
    snapshot and changes nothing else.
    """
    if result.epoch == 0:
        return _commit_epoch0(store, state, result.snapshot, sample)
    if result.epoch != state.epoch + 1:
        raise RuntimeError(f"epoch {result.epoch} arrived after epoch {state.epoch}")
    arrays = {
        weights_name(result.epoch): {f"w{i}": w for i, w in enumerate(result.weights)},
        optimizer_name(result.epoch): {f"v{i}": v for i, v in enumerate(result.optimizer)},
        snapshot_name(result.epoch): {"images": result.snapshot},
    }
    records = dict(state.files)
    written = [files.save_npz(store / name, **named) for name, named in arrays.items()]
    records.update(files.file_entries(store, written))
    new = StoreState(result.epoch, [*state.history, result.row], sample, records)
    write_state(store, new)
    return new


def _commit_epoch0(store: Path, state: StoreState, snapshot: np.ndarray, sample: int) -> StoreState:
    """snapshot-0000.npz, then state.json listing it (epochs and history unchanged)."""
    written = files.save_npz(store / EPOCH0, images=snapshot)
    records = {**state.files, **files.file_entries(store, [written])}
    new = StoreState(state.epoch, list(state.history), sample if not state.epoch else state.sample,
                     records)  # fmt: skip
    write_state(store, new)
    return new


def _load_checked(store: Path, name: str, state: StoreState | None = None) -> dict[str, Any]:
    """An npz of the store that still matches its record, or a RunError naming it."""
    state = state or read_state(store)
    if not _intact(store, name, state.files.get(name)):
        raise RunError(
            f"{store / name} is damaged or missing. Fix: run the same `punkforge run` again; "
            "the training store rolls back to its last intact epoch and trains from there."
        )
    try:
        return files.load_npz(store / name)
    except Exception as err:  # BadZipFile, EOFError...: the file changed since it verified
        raise RunError(f"{store / name} cannot be read ({err}). Fix: run again.") from None


def read_weights(store: Path, epoch: int, state: StoreState | None = None) -> list[np.ndarray]:
    """The model weights after `epoch`, in `model.get_weights()` order (verified)."""
    arrays = _load_checked(store, weights_name(epoch), state)
    return [arrays[f"w{i}"] for i in range(len(arrays))]


def read_optimizer(store: Path, epoch: int, state: StoreState | None = None) -> list[np.ndarray]:
    """The optimiser's variables after `epoch`, in `optimizer.variables` order (verified)."""
    arrays = _load_checked(store, optimizer_name(epoch), state)
    return [arrays[f"v{i}"] for i in range(len(arrays))]


def has_snapshots(store: Path, upto: int) -> bool:
    """The store holds verified snapshots for epochs 1..upto."""
    return upto > 0 and read_state(store).epoch >= upto


def read_snapshots(store: Path, upto: int) -> tuple[np.ndarray, np.ndarray]:
    """(epochs (E,) int32, images (E, S, h, w, C) uint8) for epochs 0..upto (verified).

    Epoch 0 (the untrained network) is there when the store recorded it; a
    store made before punkforge recorded it gives epochs 1..upto.
    """
    state = read_state(store)
    if state.epoch < upto:
        raise RunError(
            f"{store}: the training store holds {state.epoch} intact epochs, {upto} are needed. "
            "Fix: run the same `punkforge run` again to retrain the missing epochs."
        )
    first = 0 if has_epoch0(state) else 1
    epochs = range(first, upto + 1)
    images = [_load_checked(store, snapshot_name(e), state)["images"] for e in epochs]
    sample = min(len(x) for x in images)  # epoch 0 may hold a smaller sample than a later run
    return np.array(epochs, dtype=np.int32), np.stack([x[:sample] for x in images])


def split(n: int, validation_split: float) -> int:
    """Index where validation starts: Keras' own rule (the last fraction is held out)."""
    return math.ceil(n * (1.0 - validation_split)) if validation_split > 0 else n


def epoch_order(seed: int, epoch: int, n: int) -> np.ndarray:
    """The shuffled order of epoch `epoch` (1-based); depends only on (seed, epoch)."""
    return np.random.default_rng([seed, epoch]).permutation(n)
