"""The fitted background model's values: at given points, or as a full-resolution image.

The spline itself (:mod:`bgoptimizer.engine.spline`) evaluates a batch of points; this module
turns a :class:`~bgoptimizer.engine.fit.result.FitResult` into values in bounded memory, on
the CPU or a GPU.

Work is split into chunks whose (pixels × N) temporaries fit a memory budget; each chunk runs
through one compiled function of fixed shape (the last chunk is padded), so nothing retraces.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike

from .fit.result import FitResult
from .runtime.devices import resolve_device
from .runtime.numerics import NUMERICS
from .runtime.xla_cache import recovering
from .spline import Spline, evaluate, solve

__all__ = [
    "TEMP_BUDGET_BYTES",
    "chunk_size",
    "fit_of",
    "model_at",
    "model_image",
    "spline_of",
    "spline_values",
    "through_samples",
]

TEMP_BUDGET_BYTES = 64 * 2**20
"""Memory the temporaries of one chunk may take (a few P × N float arrays)."""

_TEMPORARIES = 4  # squared distances, kernel values, their guards: live (P, N) arrays


def chunk_size(samples: int, channels: int = 1, budget: int = TEMP_BUDGET_BYTES) -> int:
    """Points per chunk so that one chunk's temporaries fit ``budget``: a few (points ×
    samples) arrays, and the (points × samples × channels) products of the radial sum, which
    only a compiled evaluation fuses away.

    Examples
    --------
    >>> chunk_size(32), chunk_size(32, 3)
    (104857, 74898)
    """
    per_sample = _TEMPORARIES + channels
    per_point = per_sample * samples * np.dtype(NUMERICS.dtype.as_numpy_dtype).itemsize
    return max(1024, budget // per_point)


def _evaluate_rows(
    spline: Spline, first_row: tf.Tensor, rows: int, width: int, scale: tf.Tensor
) -> tf.Tensor:
    """(rows, width, C) model at full-res pixel centres of rows ``first_row ...``."""
    dtype = spline.centres.dtype
    y = (tf.cast(first_row + tf.range(rows), dtype) + 0.5) / scale
    x = (tf.cast(tf.range(width), dtype) + 0.5) / scale
    yy, xx = tf.meshgrid(y, x, indexing="ij")
    points = tf.stack([tf.reshape(yy, [-1]), tf.reshape(xx, [-1])], axis=1)
    return tf.reshape(evaluate(spline, points), (rows, width, -1))


_compiled_rows = recovering(
    lambda: tf.function(_evaluate_rows, jit_compile=True, reduce_retracing=True)
)


def spline_of(fit: FitResult) -> Spline:
    """The fit's solved spline as tensors."""
    dtype = NUMERICS.dtype
    return Spline(
        tf.constant(fit.centres, dtype),
        tf.constant(fit.weights, dtype),
        tf.constant(fit.poly, dtype),
        fit.order,
    )


def through_samples(
    centres: ArrayLike, values: ArrayLike, order: int = 2, regularisation: float = 0.0
) -> FitResult:
    """The spline through given ``(y, x)`` samples and their ``(N, C)`` values, unoptimised.

    Examples
    --------
    >>> flat = through_samples([[0, 0], [0, 1], [1, 0]], [[0.2], [0.2], [0.2]])
    >>> flat.weights.shape, flat.poly.shape
    ((3, 1), (3, 1))
    """
    dtype = NUMERICS.dtype
    values = tf.constant(values, dtype)
    spline = solve(tf.constant(centres, dtype), values, order, regularisation)
    return fit_of(spline, values, regularisation)


def fit_of(spline: Spline, values: tf.Tensor, regularisation: float) -> FitResult:
    """A solved spline and the sample values it was solved through, as plain numpy data."""
    return FitResult(
        centres=spline.centres.numpy(),
        values=values.numpy(),
        weights=spline.weights.numpy(),
        poly=spline.poly.numpy(),
        order=spline.order,
        regularisation=regularisation,
    )


def model_at(fit: FitResult, points: np.ndarray) -> np.ndarray:
    """The fit's model at ``(..., 2)`` normalised ``(y, x)`` points, as ``(..., C)`` float32."""
    return spline_values(spline_of(fit), points)


def spline_values(spline: Spline, points: np.ndarray, chunk: int | None = None) -> np.ndarray:
    """Model values at arbitrary ``(..., 2)`` ``(y, x)`` points, as ``(..., C)`` float32.

    Parameters
    ----------
    spline
        A solved spline.
    points
        Normalised ``(y, x)`` coordinates, any leading shape.
    chunk
        Points per chunk; from the memory budget when omitted.
    """
    points = np.asarray(points, dtype=NUMERICS.dtype.as_numpy_dtype)
    lead = points.shape[:-1]
    flat = points.reshape(-1, 2)
    size = chunk or chunk_size(*map(int, spline.weights.shape))
    parts = [
        evaluate(spline, tf.constant(flat[i : i + size])).numpy() for i in range(0, len(flat), size)
    ]
    channels = int(spline.weights.shape[1])
    out = np.concatenate(parts) if parts else np.zeros((0, channels), np.float32)
    return out.reshape(*lead, channels).astype(np.float32, copy=False)


def model_image(
    result: FitResult,
    height: int,
    width: int,
    *,
    chunk_pixels: int | None = None,
    device: str = "auto",
    transform: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """The model at every full-resolution pixel centre, in bounded memory.

    Pixel (row, col) is evaluated at ``((row + 0.5) / S, (col + 0.5) / S)``, S = max(H, W):
    the normalisation the fit's ``coords`` use.

    Parameters
    ----------
    result
        The fit.
    height, width
        Full-resolution size.
    chunk_pixels
        Pixels per chunk (rounded to whole rows); from the memory budget when omitted.
    device
        ``auto``, ``cpu`` or ``gpu``.
    transform
        Applied to each (rows, W, C) chunk before it is stored (the pipeline un-stretches
        here, so no second full-size array is needed).

    Returns
    -------
    np.ndarray
        (H, W, C) float32 model (stretched, unless ``transform`` maps it back).

    Raises
    ------
    ParameterError
        Unknown device, or ``gpu`` without one.

    Examples
    --------
    >>> flat = through_samples([[0, 0], [0, 1], [1, 0]], [[0.2], [0.2], [0.2]])
    >>> model = model_image(flat, 4, 6)
    >>> model.shape, model.dtype, bool(np.allclose(model, 0.2))
    ((4, 6, 1), dtype('float32'), True)
    """
    spline = spline_of(result)
    size = chunk_pixels or chunk_size(*map(int, spline.weights.shape))
    rows = int(min(height, max(1, size // width)))
    out = np.empty((height, width, int(spline.weights.shape[1])), np.float32)
    scale = tf.constant(float(max(height, width)), spline.centres.dtype)
    with tf.device(resolve_device(device)):
        for first in range(0, height, rows):
            block = _compiled_rows(spline, tf.constant(first), rows, width, scale).numpy()
            block = block[: height - first]
            out[first : first + rows] = block if transform is None else transform(block)
    return out
