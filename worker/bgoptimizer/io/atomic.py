"""Atomic file writes: a temporary file in the target's directory, fsync, then ``os.replace``.

A crash, an exception or a full disk never leaves a half-written file under the final name;
the temporary file is removed on every error path.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from ..exceptions import FormatError

__all__ = ["atomic_write"]


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Yield a binary file; on normal exit it replaces ``path``, on error it vanishes.

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
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
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
