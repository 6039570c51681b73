"""TensorFlow device choice and description for the engine ("auto", "cpu" or "gpu").

Importing this module imports TensorFlow with its C++ log noise turned down; GPUs get memory
growth so that one job does not reserve the whole card. The objects TensorFlow's import made
(about 280 000, alive as long as the process) are then frozen out of the garbage collector
(``gc.freeze``): neither the full collections during a fit nor the one at the interpreter's
exit (1.3–1.6 s of a 2-core CPU after a TensorFlow import) walk them any more.
"""

from __future__ import annotations

import contextlib
import gc

import tensorflow as tf

from ...exceptions import ParameterError
from ...params import DEVICES

tf.get_logger().setLevel("ERROR")
gc.freeze()

__all__ = ["DEVICES", "describe_devices", "gpu_names", "resolve_device"]

"""Accepted values of every ``device`` argument."""

_memory_growth_set = False


def _gpus() -> list[tf.config.PhysicalDevice]:
    """Physical GPUs, with memory growth switched on the first time they are listed."""
    global _memory_growth_set
    gpus = tf.config.list_physical_devices("GPU")
    if not _memory_growth_set:
        for gpu in gpus:
            # RuntimeError: TensorFlow already initialised the GPU; keep its setting.
            with contextlib.suppress(RuntimeError):
                tf.config.experimental.set_memory_growth(gpu, True)
        _memory_growth_set = True
    return gpus


def gpu_names() -> list[str]:
    """Human-readable names of the visible GPUs (empty on a CPU-only machine)."""
    names = []
    for gpu in _gpus():
        details = tf.config.experimental.get_device_details(gpu)
        names.append(str(details.get("device_name", gpu.name)))
    return names


def resolve_device(device: str = "auto") -> str:
    """The TensorFlow device string to run on.

    Parameters
    ----------
    device
        ``auto`` (first GPU if any, else the CPU), ``cpu`` or ``gpu``.

    Returns
    -------
    str
        ``"/GPU:0"`` or ``"/CPU:0"``, for ``tf.device``.

    Raises
    ------
    ParameterError
        Unknown name, or ``gpu`` asked for on a machine without one.

    Examples
    --------
    >>> resolve_device("cpu")
    '/CPU:0'
    """
    if device not in DEVICES:
        raise ParameterError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    if device == "cpu":
        return "/CPU:0"
    has_gpu = bool(_gpus())
    if device == "gpu" and not has_gpu:
        raise ParameterError("device 'gpu' was asked for but TensorFlow sees no GPU")
    return "/GPU:0" if has_gpu else "/CPU:0"


def describe_devices(device: str = "auto") -> str:
    """What ``device`` runs on, in words: the GPU's name or ``"CPU"``."""
    if resolve_device(device).startswith("/GPU"):
        return gpu_names()[0]
    return "CPU"
