"""The training store without TensorFlow: commits, verification, healing, deletion.

Epochs are synthetic `EpochResult`s (small random arrays); every kind of store
file is damaged in the two ways a disk or a person does it (same size, other
bytes; cut short) and the store must roll back to the last intact epoch.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import epoch_result

from punkforge.errors import RunError
from punkforge.training.store import (
    STATE,
    StoreState,
    commit_epoch,
    heal_store,
    read_snapshots,
    read_state,
    read_weights,
    wipe_store,
)


def filled(store: Path, epochs: int = 3) -> StoreState:
    store.mkdir(parents=True, exist_ok=True)
    state = StoreState()
    for e in range(1, epochs + 1):
        state = commit_epoch(store, state, epoch_result(e), sample=2)
    return state


def test_commit_records_every_file_and_reads_back(tmp_path: Path) -> None:
    state = filled(tmp_path)
    assert read_state(tmp_path) == state and state.epoch == 3
    assert sorted(state.files) == sorted(
        f"{k}-{e:04d}.npz" for e in (1, 2, 3) for k in ("weights", "optimizer", "snapshot")
    )
    assert np.array_equal(read_weights(tmp_path, 2)[0], epoch_result(2).weights[0])
    epochs, images = read_snapshots(tmp_path, 3)
    assert list(epochs) == [1, 2, 3] and images.shape == (3, 2, 24, 24, 1)
    assert heal_store(tmp_path) == (state, None)


def corrupt_same_size(p: Path) -> None:
    data = bytearray(p.read_bytes())
    data[len(data) // 2] ^= 0xFF
    p.write_bytes(bytes(data))


def truncate(p: Path) -> None:
    p.write_bytes(p.read_bytes()[: p.stat().st_size // 2])


@pytest.mark.parametrize("kind", ["weights", "optimizer", "snapshot"])
@pytest.mark.parametrize("damage", [corrupt_same_size, truncate, Path.unlink])
def test_a_damaged_epoch_rolls_the_store_back(tmp_path: Path, kind: str, damage) -> None:
    filled(tmp_path)
    damage(tmp_path / f"{kind}-0002.npz")
    assert read_state(tmp_path).epoch == 1  # reading never trusts it
    state, note = heal_store(tmp_path)
    assert state.epoch == 1 and [h["epoch"] for h in state.history] == [1]
    assert note and f"{kind}-0002.npz" in note and "rolled back to epoch 1" in note
    # the later epochs' files are gone, the intact one stays, the record says so
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*state.files, STATE])
    assert json.loads((tmp_path / STATE).read_text())["epoch"] == 1
    assert heal_store(tmp_path) == (state, None)
    # training goes on from there
    state = commit_epoch(tmp_path, state, epoch_result(2), sample=2)
    assert read_state(tmp_path).epoch == 2


@pytest.mark.parametrize("text", ["", "{not json", '{"epoch": 3}', "[]", '"x"'])
def test_a_damaged_state_starts_over(tmp_path: Path, text: str) -> None:
    filled(tmp_path)
    (tmp_path / STATE).write_text(text)
    state, note = heal_store(tmp_path)
    assert state == StoreState()
    assert note and "state.json" in note and "starts over" in note


def test_first_epoch_damaged_rolls_back_to_the_start(tmp_path: Path) -> None:
    filled(tmp_path)
    truncate(tmp_path / "weights-0001.npz")
    state, note = heal_store(tmp_path)
    assert state.epoch == 0 and note and "the start" in note


def test_a_file_changed_after_verifying_is_a_clear_error(tmp_path: Path) -> None:
    state = filled(tmp_path)
    corrupt_same_size(tmp_path / "weights-0003.npz")
    with pytest.raises(RunError, match=r"weights-0003.npz is damaged.*run the same"):
        read_weights(tmp_path, 3, state)
    with pytest.raises(RunError, match="3 are needed"):
        read_snapshots(tmp_path, 3)


def test_a_link_in_the_store_is_refused_never_followed(tmp_path: Path) -> None:
    store = tmp_path / "store"
    filled(store)
    outside = tmp_path / "outside.npz"
    outside.write_bytes((store / "weights-0002.npz").read_bytes())
    (store / "weights-0002.npz").unlink()
    (store / "weights-0002.npz").symlink_to(outside)
    with pytest.raises(RunError, match=r"weights-0002\.npz is a symbolic link"):
        heal_store(store)  # refused with a message, like any link where our file belongs
    assert outside.exists()
    assert (store / "weights-0002.npz").is_symlink(), "nothing of the user's is deleted"


def test_wipe_deletes_only_what_the_store_lists(tmp_path: Path) -> None:
    store = tmp_path / "store"
    filled(store)
    (store / "notes.txt").write_text("mine")
    wipe_store(store)
    assert [p.name for p in store.iterdir()] == ["notes.txt"]
    (store / "notes.txt").unlink()
    filled(store)
    wipe_store(store)
    assert not store.exists(), "an empty store folder goes too"


def test_epochs_must_arrive_in_order(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        commit_epoch(tmp_path, StoreState(), epoch_result(2), sample=2)
