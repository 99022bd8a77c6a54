"""The output tree guard: no symlinks followed, temporaries journaled, writes recorded.

While a command works on an output tree (`--out/<name>`) it holds
`output_tree(root)`, which makes an `OutputTree` and makes it active for
the code that runs inside the `with`. Every path punkforge then writes,
reads or deletes under that root goes through `check_path`, which lstat's
each component from the root down and refuses a symbolic link where
punkforge's own file or folder belongs (one RunError naming the link and the
fix). `files.atomic_path`, `files.open_read`, `files.ensure_dir` and
`files.remove_listed` call it, so the renderers (which only call
`files.atomic_path`) are guarded without knowing about it.

The active trees travel in a `contextvars.ContextVar` holding an immutable
tuple (set and reset with tokens), so nothing here is module-level mutable
state. A thread does not inherit a ContextVar's value: code that writes
from worker threads (the series renderer) starts each task with
`contextvars.copy_context().run`, so the task sees the same trees.

Temporaries: before `atomic_path` creates a temporary under a tree it
appends the temporary's relative path to `<root>/.journal`. Entering a tree
(under the run lock) deletes every temporary the journal lists and then the
journal, so files left by a kill -9 are removed by the next command of any
kind, and nothing is ever deleted by pattern. A journal line is not fsynced:
it protects against a killed process (the page cache survives), not against
power loss.

Checks are lstat-based: they stop links a user or a tool left behind, not a
process racing punkforge while it writes.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

from punkforge.errors import RunError

JOURNAL = ".journal"
TMP_PREFIX = ".tmp-"
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


class OutputTree:
    """One output tree a command works on: its root, its journal and its write trackers.

    Worker threads may journal and record writes at once, so the journal's
    file descriptor and the trackers are guarded by the tree's own lock.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(os.path.abspath(root))
        self._lock = threading.Lock()
        self._journal_fd: int | None = None
        self._trackers: list[tuple[Path, set[Path]]] = []

    def parts(self, path: Path) -> tuple[str, ...] | None:
        """`path` (absolute) relative to the root, as parts; None when outside the tree."""
        try:
            return path.relative_to(self.root).parts
        except ValueError:
            return None

    def journal(self, parts: tuple[str, ...]) -> None:
        """Append one temporary's relative path to `<root>/.journal`."""
        line = ("/".join(parts) + "\n").encode("utf-8")
        with self._lock:
            if self._journal_fd is None:
                path = check_path(self.root / JOURNAL)
                flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | NOFOLLOW
                self._journal_fd = os.open(path, flags, 0o644)
            os.write(self._journal_fd, line)

    def record_write(self, path: Path) -> None:
        """Tell every tracker whose folder holds `path` that it was just written."""
        with self._lock:
            for folder, written in self._trackers:
                if folder in path.parents:
                    written.add(path)

    @contextlib.contextmanager
    def track_writes(self, folder: Path) -> Iterator[set[Path]]:
        """Collect the absolute paths written under `folder` (absolute) while active."""
        written: set[Path] = set()
        entry = (folder, written)
        with self._lock:
            self._trackers.append(entry)
        try:
            yield written
        finally:
            with self._lock:
                self._trackers.remove(entry)

    def close_journal(self) -> None:
        """Close the journal's file descriptor, if it was opened."""
        with self._lock:
            if self._journal_fd is not None:
                os.close(self._journal_fd)
                self._journal_fd = None


# The trees active in this context, innermost last. A tuple, never changed in
# place: `output_tree` sets a new one and resets it with its token.
_ACTIVE: ContextVar[tuple[OutputTree, ...]] = ContextVar("punkforge_output_trees", default=())


def link_error(path: Path) -> RunError:
    """The one paragraph for a symlink found where punkforge's own file or folder belongs."""
    return RunError(
        f"{path} is a symbolic link, where punkforge keeps its own file or folder; punkforge "
        "never follows links inside its output folder, so nothing was written through it. "
        "Fix: remove the link (move what it points to into its place if you want to keep it), "
        "or choose another --out, and run again."
    )


def _tree_of(path: Path) -> tuple[OutputTree, tuple[str, ...]] | None:
    """The innermost active tree holding `path` (absolute), and path's parts below its root."""
    for tree in reversed(_ACTIVE.get()):
        parts = tree.parts(path)
        if parts is not None:
            return tree, parts
    return None


def check_path(path: str | os.PathLike[str]) -> Path:
    """`path` made absolute, after refusing a symlink at any component of it inside a tree.

    Outside every active tree only the last component is checked, and not
    even that for a folder above an active tree (the `--out` root and its
    parents are the user's: they may be links). Components that do not
    exist yet end the check (nothing below them can be a link).
    """
    p = Path(os.path.abspath(path))
    found = _tree_of(p)
    if found is None and users_folder(p):
        return p  # punkforge's own tree starts below it
    if found is None:
        chain = [p]
    else:
        tree, parts = found
        chain = [tree.root]
        for part in parts:
            chain.append(chain[-1] / part)
    for c in chain:
        try:
            st = os.lstat(c)
        except FileNotFoundError:
            break
        except OSError:
            break  # not a directory etc.: the caller's own open or write reports it
        if stat.S_ISLNK(st.st_mode):
            raise link_error(c)
    return p


def users_folder(path: Path) -> bool:
    """Whether absolute `path` is a folder above an active tree: the `--out` root or a parent.

    Those are the user's (links to other disks are theirs to make) and followed.
    """
    return any(path in tree.root.parents for tree in _ACTIVE.get())


def safe_rel(rel: str) -> bool:
    """Whether a relative path read from a record stays inside its folder."""
    parts = Path(rel).parts
    return bool(parts) and not Path(rel).is_absolute() and ".." not in parts and "" not in parts


def journal_temporary(tmp: Path) -> None:
    """Record `tmp` in its tree's journal before it is created (no-op outside a tree)."""
    found = _tree_of(tmp)
    if found is not None:
        tree, parts = found
        tree.journal(parts)


def record_write(path: Path) -> None:
    """Tell every `track_writes` that covers `path` that it was just written."""
    found = _tree_of(path)
    if found is not None:
        found[0].record_write(path)


@contextlib.contextmanager
def track_writes(folder: str | os.PathLike[str]) -> Iterator[set[Path]]:
    """Collect the absolute paths `atomic_path` commits under `folder` while active."""
    f = Path(os.path.abspath(folder))
    found = _tree_of(f)
    if found is None:
        raise ValueError(f"{folder} is not inside an active output tree")
    with found[0].track_writes(f) as written:
        yield written


def clean_journal(root: Path) -> None:
    """Delete the temporaries `root/.journal` lists (regular files only), then the journal."""
    journal = check_path(root / JOURNAL)
    try:
        fd = os.open(journal, os.O_RDONLY | NOFOLLOW)
    except FileNotFoundError:
        return
    with os.fdopen(fd, "rb") as fh:
        lines = fh.read().decode("utf-8", "replace").splitlines()
    for rel in dict.fromkeys(lines):
        if not safe_rel(rel) or not Path(rel).name.startswith(TMP_PREFIX):
            continue  # not a line we wrote: never delete by a record we cannot trust
        tmp = root / rel
        with contextlib.suppress(OSError, RunError):
            check_path(tmp.parent)
            if stat.S_ISREG(os.lstat(tmp).st_mode):
                tmp.unlink()
    journal.unlink(missing_ok=True)


@contextlib.contextmanager
def output_tree(root: str | os.PathLike[str]) -> Iterator[OutputTree]:
    """Guard every write, read and delete under `root`; clean the journal on entry and exit.

    Hold the run lock around it: the journal is cleaned on entry, which
    would delete a concurrent writer's temporaries. The tree is active in
    this context (and in contexts copied from it) until the `with` ends.
    """
    tree = OutputTree(root)
    check_path(tree.root)
    token = _ACTIVE.set((*_ACTIVE.get(), tree))
    try:
        clean_journal(tree.root)
        yield tree
    finally:
        tree.close_journal()
        with contextlib.suppress(OSError, RunError):
            clean_journal(tree.root)
        _ACTIVE.reset(token)
