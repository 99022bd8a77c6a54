"""Atomic files, deterministic npz, safe paths, the run lock and the manifest check."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from punkforge import files
from punkforge.errors import RunError
from punkforge.run.outputs import manifest_intact, run_lock, safe_child


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


def test_stale_temporaries_are_removed(tmp_path: Path) -> None:
    (tmp_path / "v").mkdir()
    stale = tmp_path / "v" / ".tmp-abc.png"
    stale.write_bytes(b"x")
    keep = tmp_path / "v" / "poster.png"
    keep.write_bytes(b"y")
    files.remove_stale_temporaries(tmp_path)
    assert not stale.exists() and keep.exists()


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


def test_manifest_intact_notices_a_changed_file(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("hello")
    manifest = {"files": files.file_entries(tmp_path)}
    assert manifest_intact(tmp_path, manifest)
    (tmp_path / "a.txt").write_text("hello!")
    assert not manifest_intact(tmp_path, manifest)
    (tmp_path / "a.txt").unlink()
    assert not manifest_intact(tmp_path, manifest)


def test_run_lock_refuses_a_second_holder_and_frees_on_death(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from punkforge.run.outputs import run_lock\n"
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
