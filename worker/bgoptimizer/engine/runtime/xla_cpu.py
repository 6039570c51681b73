"""XLA's CPU code generator, chosen for the memory of a fit's first compilation.

TensorFlow 2.21's MLIR "fusion emitters" hold ~95 MB more while compiling the fit than XLA's
elemental emitters, which break the engine's 800 MB promise; the engine asks for the elemental
ones (``--xla_cpu_use_fusion_emitters=false``) and pays slightly slower steps. The
measurements are in ``docs/notes/engine-speed.md`` ("XLA's CPU emitters").

XLA reads ``XLA_FLAGS`` once, at the process's first compilation, so
:func:`bgoptimizer.engine.runtime.xla_cache.recovering`, which builds every compiled
function of the engine, calls :func:`configure` first. A choice already in ``XLA_FLAGS`` is
left alone, and so is a TensorFlow older than 2.21 (XLA ends the process on a flag it does not
know). GPUs are not affected. The persistent cache's keys do not include the flag.
"""

from __future__ import annotations

import os

__all__ = ["FLAG", "configure"]

FLAG = "--xla_cpu_use_fusion_emitters"
_FIRST_VERSION = (2, 21)
"""The first TensorFlow release this flag was checked on."""


def configure(tensorflow_version: str) -> bool:
    """Ask XLA for the elemental CPU emitters; True when this call set the flag.

    Examples
    --------
    >>> configure("2.16.1")  # too old to be sure the flag exists: nothing set
    False
    """
    flags = os.environ.get("XLA_FLAGS", "")
    if FLAG in flags or _release(tensorflow_version) < _FIRST_VERSION:
        return False
    os.environ["XLA_FLAGS"] = f"{flags} {FLAG}=false".strip()
    return True


def _release(version: str) -> tuple[int, int]:
    """(major, minor) of a version string such as ``2.21.0`` or ``2.22.0-dev20260101``."""
    major, minor = version.split(".")[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)
