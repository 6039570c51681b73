"""TensorFlow's native start-up text kept out of the terminal unless ``--verbose``.

TensorFlow's C++ side writes to file descriptor 2 before its logging is configured ("All log
messages before absl::InitializeLog() is called are written to STDERR", the CUDA probe's
lines), so ``TF_CPP_MIN_LOG_LEVEL`` does not silence it. :func:`native_stderr_to` points
descriptor 2 at a log file for the command's duration and gives Python's ``sys.stderr`` a
copy of the terminal's descriptor: the user still sees every message of ours and Python's.
A ``sys.stderr`` that is not descriptor 2 (a test's capture) is left as it is. The worker's
engine processes do the same unless :data:`VERBOSE_ENV` is set (``--verbose`` sets it).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

__all__ = ["VERBOSE_ENV", "native_log_path", "native_stderr_to"]

VERBOSE_ENV = "BGOPT_VERBOSE"
"""Set (to anything non-empty) by ``--verbose`` for the processes a command starts, or by
the user: TensorFlow's native text is then left on the terminal or the worker's log."""


def native_log_path() -> Path:
    """Where the native text goes: ``bgoptimizer-native.log`` in the temporary folder."""
    import tempfile

    return Path(tempfile.gettempdir()) / f"bgoptimizer-native-{os.getuid()}.log"


@contextlib.contextmanager
def native_stderr_to(path: Path) -> Iterator[None]:
    """Descriptor 2 to ``path`` (appended), ``sys.stderr`` on the terminal, both restored."""
    python_stderr = sys.stderr
    python_stderr.flush()
    try:
        rebind = python_stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):
        rebind = False
    terminal = os.dup(2)
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 2)
    if rebind:
        sys.stderr = os.fdopen(os.dup(terminal), "w", buffering=1, encoding=python_stderr.encoding)
    try:
        yield
    finally:
        if rebind:
            sys.stderr.flush()
            sys.stderr.close()
            sys.stderr = python_stderr
        os.dup2(terminal, 2)
        os.close(terminal)
