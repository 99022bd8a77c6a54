"""Atomic file writing, hashing and the per-folder manifest.

Every file punkforge makes is written to a hidden temporary name in the same
folder, flushed to disk and renamed into place, so a reader (or a rerun after
kill -9) never sees half a file. `sha256_file` and `write_manifest` record what
was written.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from punkforge.errors import RunError

TMP_PREFIX = ".tmp-"


def explain_os_error(path: Path, err: OSError) -> RunError:
    """A failed write as a RunError saying why (read-only, disk full, ...) and the fix."""
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "the folder is not writable (read-only or owned by someone else)"
        fix = "choose another folder with --out, or fix its permissions"
    elif err.errno == errno.ENOSPC:
        why = "the disk is full"
        fix = (
            "free some space (or pick another disk with --out) and run again; finished work is kept"
        )
    else:
        why = err.strerror or str(err)
        fix = "check the path and run again"
    return RunError(f"Cannot write {path}: {why}. Fix: {fix}.")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success rename it over `path`.

    The temporary keeps the real suffix (writers such as Pillow and imageio
    pick the format from it). On any exception the temporary is removed and
    the old file, if any, is left untouched.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=target.suffix, dir=target.parent)
        os.close(fd)
    except OSError as err:
        raise explain_os_error(target, err) from None
    tmp = Path(tmp_name)
    try:
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise explain_os_error(target, err) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` atomically; return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 `text` to `path` atomically; return the path."""
    return write_bytes(path, text.encode("utf-8"))


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write `obj` as indented JSON atomically; return the path."""
    return write_text(path, json.dumps(obj, indent=2, sort_keys=False) + "\n")


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def remove_stale_temporaries(folder: str | os.PathLike[str]) -> None:
    """Delete temporaries left by a killed writer (they are never valid files)."""
    root = Path(folder)
    if not root.is_dir():
        return
    for tmp in root.rglob(f"{TMP_PREFIX}*"):
        with contextlib.suppress(OSError):
            tmp.unlink()


def file_entries(folder: Path, names: list[Path] | None = None) -> dict[str, dict[str, Any]]:
    """Size and sha256 of every file under `folder` (or of `names`), by relative path."""
    paths = names if names is not None else sorted(p for p in folder.rglob("*") if p.is_file())
    out: dict[str, dict[str, Any]] = {}
    for p in sorted(paths):
        if p.name.startswith(TMP_PREFIX) or p.name == "manifest.json":
            continue
        out[p.relative_to(folder).as_posix()] = {
            "size": p.stat().st_size,
            "sha256": sha256_file(p),
        }
    return out


def save_npz(path: str | os.PathLike[str], **arrays: Any) -> Path:
    """Write arrays as an uncompressed .npz whose bytes depend only on the arrays.

    numpy's own savez stamps each member with the current time; fixed stamps
    make a resumed run's files byte-identical to an uninterrupted one's.
    """
    import io
    import zipfile

    import numpy as np

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, arr in arrays.items():
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, member.getvalue())
    return write_bytes(path, buf.getvalue())


def load_npz(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Every array of an .npz (never unpickles objects)."""
    import numpy as np

    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def read_history(folder: Path) -> list[dict[str, float]]:
    """history.csv rows (epoch, loss, val_loss, seconds); [] when missing or unreadable."""
    try:
        lines = (folder / "history.csv").read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    rows = []
    for line in lines[1:]:
        try:
            ep, loss, val, sec = line.split(",")
            row = {"epoch": int(ep), "loss": float(loss), "val_loss": float(val)}
            rows.append({**row, "seconds": float(sec)})
        except ValueError:
            continue
    return rows


def write_history(folder: Path, history: list[dict[str, float]]) -> None:
    """history.csv: epoch, loss, val_loss, seconds."""
    lines = ["epoch,loss,val_loss,seconds"] + [
        f"{h['epoch']},{h['loss']:.6f},{h['val_loss']:.6f},{h['seconds']:.3f}" for h in history
    ]
    write_text(folder / "history.csv", "\n".join(lines) + "\n")
