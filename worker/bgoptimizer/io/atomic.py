"""Atomic file writes: a temporary file in the target's directory, fsync, then ``os.replace``.

A crash, an exception or a full disk never leaves a half-written file under the final name;
the temporary file is removed on every error path. Large files are written out to disk
while they grow (write-behind), so the final ``fsync`` has little left to wait for.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any, BinaryIO

from ..exceptions import FormatError

__all__ = ["WRITE_BEHIND", "atomic_write", "write_json"]

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

    def write(self, data: Any) -> int:  # any buffer: bytes, memoryview, numpy array
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


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], *, sync: bool = True) -> Iterator[BinaryIO]:
    """Yield a binary file; on normal exit it replaces ``path``, on error it vanishes.

    ``sync=False`` skips the fsync before the rename, for snapshots that may be lost in a
    power cut but must never be seen half-written (a job's progress).

    Raises
    ------
    FormatError
        When the file cannot be written (no space, permissions, ...); the message names it.
    """
    target = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise FormatError(f"cannot write {target}: {exc.strerror or exc}") from exc
    try:
        with ThreadPoolExecutor(1) as pool, _WriteBehind(fd, pool) as f:
            yield f  # type: ignore[misc]
            f.flush()
            f.settle()
            if sync:
                os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise FormatError(f"cannot write {target}: {exc.strerror or exc}") from exc
        raise


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
