"""XLA's persistent compilation cache, so a working size seen before is not compiled again.

Compiling the fit's epoch function costs 2–3 s and ~150 MB of peak memory on a 2-core CPU:
more than a third of a cold 3000×2000 fit. TensorFlow can keep compiled executables on disk
(``--tf_xla_persistent_cache_directory``); images of one camera share working sizes, so
every fit after the first of its size loads the executable instead. The flag is read at the
process's first XLA compilation, so :func:`recovering`, which every compiled function of the
engine is built with (at import or before its first call), calls :func:`enable` first, and
:func:`bgoptimizer.engine.runtime.xla_cpu.configure` (the CPU code generator's flag, read
at the same moment).

``BGOPT_XLA_CACHE`` picks the folder (default ``$XDG_CACHE_HOME/bgoptimizer/xla``, else
``~/.cache/bgoptimizer/xla``); ``off`` switches the cache off. A ``TF_XLA_FLAGS`` that
already names a cache folder is left alone. A cache entry TensorFlow cannot read (a truncated
file) fails the call that loads it: :func:`recovering` wraps compiled functions so that such a
call clears the folder, rebuilds the function and compiles afresh once.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import xla_cpu

__all__ = ["ENV", "cache_dir", "clear", "enable", "recovering"]

ENV = "BGOPT_XLA_CACHE"
_FLAG = "--tf_xla_persistent_cache_directory"
_enabled: Path | None = None


def cache_dir() -> Path | None:
    """The folder ``BGOPT_XLA_CACHE`` asks for, or None when it says ``off``."""
    value = os.environ.get(ENV)
    if value is not None:
        return None if value.strip().lower() in ("", "off", "0", "none") else Path(value)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "bgoptimizer" / "xla"


def enable() -> Path | None:
    """Point XLA at the cache folder (made if needed); the folder used, or None.

    None when the cache is off, the folder cannot be made (a read-only home: fits still
    work, they compile every time), or ``TF_XLA_FLAGS`` already chose a folder.
    """
    global _enabled
    flags = os.environ.get("TF_XLA_FLAGS", "")
    if _FLAG in flags:
        return _enabled
    folder = cache_dir()
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    os.environ["TF_XLA_FLAGS"] = f"{flags} {_FLAG}={folder}".strip()
    _enabled = folder
    return folder


def clear() -> None:
    """Remove every cached executable from the folder this process uses."""
    if _enabled is None:
        return
    for entry in _enabled.glob("*.pb"):
        with contextlib.suppress(OSError):
            entry.unlink()


def recovering(build: Callable[[], Callable[..., Any]]) -> Callable[..., Any]:
    """``build()``'s compiled function, rebuilt once if a cache entry cannot be read.

    TensorFlow reports an unreadable entry as a failed call (``OutOfRangeError``,
    ``DataLossError`` or ``InvalidArgumentError``) and remembers the failure for that
    function, hence the rebuild: the new function compiles and rewrites the entry. Errors
    with no cache in use, or a second failure, propagate.
    """
    import tensorflow as tf

    enable()
    xla_cpu.configure(tf.__version__)
    unreadable = (
        tf.errors.OutOfRangeError,
        tf.errors.DataLossError,
        tf.errors.InvalidArgumentError,
    )
    function = build()

    def call(*args: Any, **kwargs: Any) -> Any:
        nonlocal function
        try:
            return function(*args, **kwargs)
        except unreadable:
            if _enabled is None:
                raise
            clear()
            function = build()
            return function(*args, **kwargs)

    return call
