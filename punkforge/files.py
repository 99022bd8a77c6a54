"""Atomic file writing, guarded reading, hashing, JSON and npz: generic file helpers.

Every file punkforge makes is written to a hidden temporary name in the same
folder, flushed to disk and renamed into place, so a reader (or a rerun after
kill -9) never sees half a file. Inside an output tree (`tree_guard.output_tree`)
every path is checked for symbolic links first and every temporary is
journaled before it exists (see `punkforge.tree_guard`). `file_entries` and
`damaged_entries` record and verify what was written. JSON records are read
back only through `read_record`, validated against their `punkforge.records`
model: a wrong shape is damage, never a traceback.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import math
import os
import secrets
import stat
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, TypeVar

from punkforge import records
from punkforge.errors import RunError
from punkforge.tree_guard import (
    NOFOLLOW,
    TMP_PREFIX,
    check_path,
    journal_temporary,
    link_error,
    record_write,
    safe_rel,
    users_folder,
)

__all__ = ["TMP_PREFIX"]


def explain_os_error(path: Path, err: OSError) -> RunError:
    """A failed write as a RunError saying why (read-only, disk full, ...) and the fix."""
    if err.errno == errno.ELOOP:
        return link_error(path)
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


def ensure_dir(path: str | os.PathLike[str]) -> Path:
    """Create `path` (and parents) as real folders; a link or file in the way is refused."""
    p = check_path(path)
    try:
        p.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        pass
    except OSError as err:
        raise explain_os_error(p, err) from None
    check_path(p)  # parents made just now, or a link planted meanwhile
    # the user's folder above a tree may be a link to a folder; punkforge's own may not
    if not stat.S_ISDIR((os.stat if users_folder(p) else os.lstat)(p).st_mode):
        raise RunError(
            f"{p} is a file where punkforge keeps a folder. Fix: move it away and run again."
        )
    return p


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success rename it over `path`.

    The temporary keeps the real suffix (writers such as Pillow and imageio
    pick the format from it). It is journaled before it is created, so a
    kill -9 leaves a record the next command removes it by. On any exception
    the temporary is removed and the old file, if any, is left untouched. A
    symbolic link at `path` (or above it, inside an output tree) is refused.
    """
    target = Path(path)
    ensure_dir(target.parent)
    target = check_path(target)
    tmp = target.parent / f"{TMP_PREFIX}{secrets.token_hex(8)}{target.suffix}"
    try:
        journal_temporary(tmp)
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | NOFOLLOW, 0o644))
    except OSError as err:
        raise explain_os_error(target, err) from None
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDONLY | NOFOLLOW)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.chmod(tmp, 0o644)
        check_path(target)
        os.replace(tmp, target)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise explain_os_error(target, err) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    record_write(target)


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to `path` atomically; return the path."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 `text` to `path` atomically; return the path."""
    return write_bytes(path, text.encode("utf-8"))


def json_safe(obj: Any) -> Any:
    """`obj` with every NaN or infinite float replaced by None (JSON has no NaN)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    return obj


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write `obj` as indented, strictly valid JSON (NaN/inf become null) atomically."""
    text = json.dumps(json_safe(obj), indent=2, sort_keys=False, allow_nan=False)
    return write_text(path, text + "\n")


def open_read(path: str | os.PathLike[str]) -> IO[bytes]:
    """Open a file for reading without following a symbolic link (anywhere in a tree)."""
    p = check_path(path)
    try:
        fd = os.open(p, os.O_RDONLY | NOFOLLOW)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise link_error(p) from None
        raise
    return os.fdopen(fd, "rb")


def read_bytes(path: str | os.PathLike[str]) -> bytes:
    """A file's bytes, read with `open_read` (OSError when missing)."""
    with open_read(path) as fh:
        return fh.read()


R = TypeVar("R", bound=records.Record)


def read_record(path: str | os.PathLike[str], model: type[R]) -> R | None:
    """The record at `path` validated as `model` (None when there is no file).

    The one place punkforge's JSON records are read: read without following
    a link (a link is refused with its own message), then `records.parse`;
    unreadable bytes or a wrong shape raise `records.Damaged`.
    """
    try:
        data = read_bytes(path)
    except FileNotFoundError:
        return None
    except OSError as err:
        raise records.Damaged(f"{path} cannot be read ({err.strerror or err})") from None
    return records.parse(data, model, str(path))


def read_record_or_none(path: str | os.PathLike[str], model: type[R]) -> R | None:
    """`read_record`, a damaged record read as none (the caller redoes it from its sources)."""
    try:
        return read_record(path, model)
    except records.Damaged:
        return None


def sha256_file(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes."""
    with open_read(path) as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def file_entries(folder: Path, names: Iterable[Path]) -> dict[str, dict[str, Any]]:
    """{relative path: size, sha256, mtime_ns} for `names` (files under `folder`)."""
    out: dict[str, dict[str, Any]] = {}
    for p in sorted(Path(n) for n in names):
        st = os.lstat(check_path(p))
        out[p.relative_to(folder).as_posix()] = {
            "size": st.st_size,
            "sha256": sha256_file(p),
            "mtime_ns": st.st_mtime_ns,
        }
    return out


def damaged_entries(folder: Path, entries: dict[str, Any]) -> set[str]:
    """The recorded files that no longer match their record (missing, changed, not a file).

    Fast path: a file whose size and mtime_ns both equal the record keeps its
    recorded sha256; any other file is hashed again. So a same-size
    corruption is caught (it changes mtime) while an unchanged tree costs one
    lstat per file. A record naming a path outside `folder` counts as damaged.
    """
    bad: set[str] = set()
    for rel, entry in entries.items():
        try:
            if not safe_rel(rel):
                raise ValueError(rel)
            p = check_path(folder / rel)
            st = os.lstat(p)
            if not stat.S_ISREG(st.st_mode) or st.st_size != entry["size"]:
                bad.add(rel)
                continue
            if st.st_mtime_ns != entry.get("mtime_ns") and sha256_file(p) != entry["sha256"]:
                bad.add(rel)
        except RunError:
            raise
        except (OSError, KeyError, TypeError, ValueError):
            bad.add(rel)
    return bad


def remove_listed(folder: Path, rel: str) -> None:
    """Delete folder/rel, a file our own records list; a link or folder there is refused."""
    if not safe_rel(rel):
        return
    p = check_path(folder / rel)
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        return  # not the file we recorded: leave it alone
    try:
        p.unlink()
    except FileNotFoundError:
        pass
    except OSError as err:
        raise explain_os_error(p, err) from None


def save_npz(path: str | os.PathLike[str], **arrays: Any) -> Path:
    """Write arrays as an uncompressed .npz whose bytes depend only on the arrays.

    numpy's own savez stamps each member with the current time; fixed stamps
    make a resumed run's files byte-identical to an uninterrupted one's.
    """
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
    """Every array of an .npz (never unpickles objects).

    A missing, truncated or corrupt file is a RunError naming it, never a
    BadZipFile traceback.
    """
    import numpy as np

    try:
        with open_read(path) as fh:
            data = io.BytesIO(fh.read())
        with np.load(data, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except FileNotFoundError:
        why = "is missing"
    except (OSError, ValueError, EOFError, KeyError, zipfile.BadZipFile) as err:
        why = f"is damaged ({type(err).__name__}: {err})"
    raise RunError(
        f"{path} {why}. Fix: run `punkforge run` again to rebuild it from its training store "
        "(or with --fresh to start that variant over)."
    )
