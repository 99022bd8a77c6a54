"""Atomic files, deterministic npz, safe paths, the run lock and the manifest check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from punkforge import files, tree_guard
from punkforge.errors import RunError
from punkforge.pipeline.output_folder import damaged, run_lock, safe_child
from punkforge.training import history


def test_atomic_write_keeps_the_old_file_when_the_writer_fails(tmp_path: Path) -> None:
    target = tmp_path / "poster.png"
    target.write_bytes(b"old")
    with pytest.raises(ZeroDivisionError), files.atomic_path(target) as tmp:
        tmp.write_bytes(b"half")
        1 / 0  # noqa: B018
    assert target.read_bytes() == b"old"
    assert not list(tmp_path.glob(".tmp-*"))


def test_atomic_write_replaces_and_keeps_the_suffix(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.gif"
    with files.atomic_path(target) as tmp:
        assert tmp.suffix == ".gif" and tmp.parent == target.parent
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"


def test_only_journaled_temporaries_are_removed(tmp_path: Path) -> None:
    (tmp_path / "v").mkdir()
    users = tmp_path / "v" / ".tmp-mine.png"  # a user's file that merely looks like ours
    users.write_bytes(b"u")
    killed = subprocess.run(
        [sys.executable, "-c",
         "import os, sys; from pathlib import Path; from punkforge import files, tree_guard\n"
         "root = Path(sys.argv[1])\n"
         "with tree_guard.output_tree(root), files.atomic_path(root / 'v' / 'poster.png') as tmp:\n"
         "    tmp.write_bytes(b'half'); print(tmp.name, flush=True); os._exit(9)",
         str(tmp_path)],
        capture_output=True, text=True,
    )  # fmt: skip
    tmp = tmp_path / "v" / killed.stdout.strip()
    assert killed.returncode == 9 and tmp.exists()
    assert (tmp_path / tree_guard.JOURNAL).read_text().strip() == f"v/{tmp.name}"
    with tree_guard.output_tree(tmp_path):  # the next command, of any kind
        pass
    assert not tmp.exists() and not (tmp_path / tree_guard.JOURNAL).exists()
    assert users.read_bytes() == b"u"


def test_series_threads_write_under_the_same_guard(tmp_path: Path) -> None:
    """The series renderer writes from threads; each sees the tree and refuses a planted link."""
    from punkforge.recipe.sections import SeriesConfig
    from punkforge.rendering.series import save_series

    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "series").mkdir(parents=True)
    root = tmp_path / "t"
    root.mkdir()
    (root / "v").symlink_to(elsewhere)  # a link above the folder the threads write into
    dev = np.zeros((3, 24, 24, 1), np.uint8)
    with tree_guard.output_tree(root), pytest.raises(RunError, match="symbolic link"):
        save_series(dev, None, np.arange(3), root / "v" / "series", SeriesConfig(scale=1), "#000")
    assert not list((elsewhere / "series").iterdir())


def test_a_tree_is_active_only_inside_its_with(tmp_path: Path) -> None:
    with tree_guard.output_tree(tmp_path) as tree:
        assert tree.root == tmp_path.resolve()
        with tree_guard.track_writes(tmp_path / "v") as written:
            files.write_text(tmp_path / "v" / "a.txt", "a")
        assert written == {tmp_path.resolve() / "v" / "a.txt"}
    outside = pytest.raises(ValueError, match="not inside an active output tree")
    with outside, tree_guard.track_writes(tmp_path / "v"):
        pass


def test_npz_bytes_depend_only_on_the_arrays(tmp_path: Path) -> None:
    a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    files.save_npz(tmp_path / "one.npz", devolved=a, ids=np.array([9000, 9001]))
    time.sleep(1.1)  # a zip timestamp would change here
    files.save_npz(tmp_path / "two.npz", devolved=a, ids=np.array([9000, 9001]))
    assert (tmp_path / "one.npz").read_bytes() == (tmp_path / "two.npz").read_bytes()
    back = files.load_npz(tmp_path / "one.npz")
    assert np.array_equal(back["devolved"], a)


def test_safe_child_refuses_links_and_escapes(tmp_path: Path) -> None:
    root = tmp_path / "out"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", root / "base")
    with pytest.raises(RunError, match="symbolic link"):
        safe_child(root, "base")
    with pytest.raises(RunError, match="outside"):
        safe_child(root, "../x")
    assert safe_child(root, "wide") == root / "wide"


def test_damaged_notices_same_size_changes(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    manifest = {"files": files.file_entries(tmp_path, [tmp_path / "a.txt"])}
    assert set(manifest["files"]["a.txt"]) == {"size", "sha256", "mtime_ns"}
    assert not damaged(tmp_path, manifest)
    mtime = manifest["files"]["a.txt"]["mtime_ns"]
    (tmp_path / "a.txt").write_text("hellO")  # same size, new content
    os.utime(tmp_path / "a.txt", ns=(mtime + 10**7, mtime + 10**7))  # and a new mtime
    assert damaged(tmp_path, manifest) == {"a.txt"}
    (tmp_path / "a.txt").write_text("hello")  # same content, new mtime: re-hashed, fine
    os.utime(tmp_path / "a.txt", ns=(mtime + 2 * 10**7, mtime + 2 * 10**7))
    assert not damaged(tmp_path, manifest)
    (tmp_path / "a.txt").unlink()
    assert damaged(tmp_path, manifest) == {"a.txt"}


def test_json_is_always_valid(tmp_path: Path) -> None:
    files.write_json(tmp_path / "s.json", {"val_loss": float("nan"), "x": [float("inf"), 1.5]})
    text = (tmp_path / "s.json").read_text()
    assert json.loads(text) == {"val_loss": None, "x": [None, 1.5]}
    assert "NaN" not in text and "Infinity" not in text


def test_history_round_trips_through_csv(tmp_path: Path) -> None:
    rows = [{"epoch": 1, "loss": 0.5, "val_loss": float("nan"), "seconds": 1.25}]
    history.write_history(tmp_path, rows)
    text = (tmp_path / "history.csv").read_text()
    assert text == "epoch,loss,val_loss,seconds\n1,0.500000,,1.250\n"
    back = history.read_history(tmp_path)
    assert back[0]["loss"] == 0.5 and back[0]["val_loss"] != back[0]["val_loss"]


def test_history_from_the_store_takes_null_val_loss(tmp_path: Path) -> None:
    # state.json keeps a run without validation data (NaN) as null
    history.write_history(tmp_path, [{"epoch": 1, "loss": 0.5, "val_loss": None, "seconds": 1.0}])
    assert (tmp_path / "history.csv").read_text().splitlines()[1] == "1,0.500000,,1.000"


def test_run_lock_refuses_a_second_holder_and_frees_on_death(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path\n"
         "from punkforge.pipeline.output_folder import run_lock\n"
         "with run_lock(Path(sys.argv[1])):\n    print('locked', flush=True); time.sleep(60)",
         str(tmp_path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunError, match=f"pid {holder.pid}"), run_lock(tmp_path):
            pass
    finally:
        holder.kill()  # like kill -9: the OS drops the lock
        holder.wait()
    with run_lock(tmp_path):
        pass
