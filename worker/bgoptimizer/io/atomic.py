"""Atomic file writes: a temporary file in the target's directory, fsync, then ``os.replace``.

A crash, an exception or a full disk never leaves a half-written file under the final name;
the temporary file is removed on every error path. Large files are written out to disk
while they grow (write-behind), so the final ``fsync`` has little left to wait for.
"""

from __future__ import annotations

import contextlib
import glob
import io
import json
import os
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, BinaryIO

from ..exceptions import DiskFullError, FormatError

__all__ = ["WRITE_BEHIND", "atomic_write", "remove_stale_temporaries", "write_json"]

WRITE_BEHIND = 32 << 20
"""Bytes written between two background ``fdatasync`` calls, so that the disk writes the file
while the rest is produced (measured in ``docs/notes/xisf.md``, "Write-behind")."""


class _WriteBehind(io.BufferedWriter):
    """A buffered file whose data the kernel writes out in the background as it grows."""

    def __init__(self, fd: int, pool: ThreadPoolExecutor) -> None:
        super().__init__(io.FileIO(fd, "wb"))
        self._pool = pool
        self._unsynced = 0
        self._sync: Future[None] | None = None
        self.requested = 0
        """Bytes handed to :meth:`write` so far, written or not (what a full disk refused)."""

    def write(self, data: Any) -> int:  # any buffer: bytes, memoryview, numpy array
        self.requested += memoryview(data).nbytes
        n = super().write(data)
        self._unsynced += n
        if self._unsynced >= WRITE_BEHIND and (self._sync is None or self._sync.done()):
            self.settle()  # an earlier background sync's error surfaces here
            self.flush()
            self._sync = self._pool.submit(os.fdatasync, self.fileno())
            self._unsynced = 0
        return n

    def settle(self) -> None:
        """Wait for the background sync in progress; raise its error, if any."""
        if self._sync is not None:
            self._sync.result()

    def close(self) -> None:
        """Close once no background sync uses the descriptor any more (errors included)."""
        if self._sync is not None:
            wait([self._sync])
        super().close()


_SUFFIX = ".tmp"
_STALE_S = 600.0


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], *, sync: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file; on normal exit it replaces ``path``, on error it vanishes.

    ``sync=False`` skips the fsync before the rename, for snapshots that may be lost in a
    power cut but must never be seen half-written (a job's progress).

    Raises
    ------
    DiskFullError
        When the disk or the quota is full (the message says how much was written).
    FormatError
        When the file cannot be written otherwise (permissions, ...); the message names it.
    """
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=_SUFFIX, dir=target.parent)
    except OSError as exc:
        raise _write_error(target, exc, 0) from exc
    out: _WriteBehind | None = None
    try:
        with ThreadPoolExecutor(1) as pool, _WriteBehind(fd, pool) as out:
            yield out  # type: ignore[misc]
            out.flush()
            out.settle()
            if sync:
                os.fsync(out.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise _write_error(target, exc, 0 if out is None else out.requested) from exc
        raise


def _write_error(target: Path, exc: OSError, written: int) -> FormatError | DiskFullError:
    """A full disk is a resource problem, not a bad file: say which and how much it needed."""
    if exc.errno in DiskFullError.CODES:
        return DiskFullError(target.parent, written or None)
    return FormatError(f"cannot write {target}: {exc.strerror or exc}")


def remove_stale_temporaries(target: Path, *, min_age_s: float = _STALE_S) -> list[Path]:
    """Remove what a killed writer of ``target`` left (``.<name>.<8 random>.tmp``).

    Only this module's own pattern for this one target, and only files untouched for
    ``min_age_s`` (a write in progress keeps its file's modification time fresh).
    """
    now, removed = time.time(), []
    for tmp in target.parent.glob(f".{glob.escape(target.name)}.{'?' * 8}{_SUFFIX}"):
        with contextlib.suppress(OSError):
            if now - tmp.stat().st_mtime >= min_age_s:
                tmp.unlink()
                removed.append(tmp)
    return removed


def _read_umask() -> int:
    """The process umask (mkstemp creates 0600 files; a plain open would honour the umask)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _read_umask()  # read once at import: os.umask is process-wide and not thread-safe


def write_json(path: Path, data: Any, *, indent: int = 2, sync: bool = True) -> None:
    """Write ``data`` as indented UTF-8 JSON, atomically (reports, summaries, job records)."""
    with atomic_write(path, sync=sync) as f:
        f.write((json.dumps(data, indent=indent) + "\n").encode("utf-8"))
