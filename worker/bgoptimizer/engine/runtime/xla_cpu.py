"""XLA's CPU code generator, chosen for the memory of a fit's first compilation.

In TensorFlow 2.21, XLA compiles each CPU fusion with its MLIR "fusion emitters", every
kernel in a compilation context of its own. Compiling the fit's epoch function that way holds
~95 MB more at its peak than with XLA's older elemental emitters. On a 2-core CPU, three runs
of ``bench/speed.py`` at 3000×2000 gave, fusion emitters → elemental emitters:

- peak of a first fit that compiles: mono 800–822 → 724–726 MB, RGB 887–890 → 790–795 MB
  (the engine's promise is ≤ 800 MB);
- that first fit: mono 4.0–4.9 → 4.0–4.6 s, RGB 5.4–6.3 → 4.8–5.6 s (less to compile);
- a step: mono 0.8–1.2 → 1.4–1.8 ms, RGB 1.4–1.8 → 1.7–2.2 ms (the centres' gradient
  is slower), so a worker's next fit takes 0.6 → 0.8 s (mono), 1.1 → 1.1–1.5 s (RGB).

The engine asks for the elemental emitters (``--xla_cpu_use_fusion_emitters=false``): the
memory promise holds, and fits that reuse compiled code pay for the slower steps: a few
tenths of a second, ~1.5 s in a realistic three-pass fit of 3000×2000 RGB.

XLA reads ``XLA_FLAGS`` once, at the process's first compilation, so
:func:`bgoptimizer.engine.runtime.xla_cache.recovering`, which builds every compiled
function of the engine,
calls :func:`configure` first. A choice already in ``XLA_FLAGS`` is left alone (set
``XLA_FLAGS=--xla_cpu_use_fusion_emitters=true`` to compare), and so is a TensorFlow older
than 2.21: XLA ends the process on a flag it does not know, and older releases were not
checked for this one. GPUs are not affected. The persistent cache's keys do not include the
flag: code compiled and cached with the other emitters goes on being loaded (compare with an
empty cache folder).
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
