"""The fitted background model's values: at given points, or as a full-resolution image.

The spline itself (:mod:`bgoptimizer.engine.spline`) evaluates a batch of points; this module
turns a :class:`~bgoptimizer.engine.fit.result.FitResult` into values in bounded memory, on
the CPU or a GPU.

The background is smooth, so the full-resolution image is, by default, the exact spline on a
coarse grid of nodes every ``step`` pixels, upsampled by separable Catmull-Rom (bicubic)
interpolation; ``step`` is halved until the interpolation's error at every cell's centre
(where a tensor-product cubic errs most) is within a quarter of :data:`MODEL_TOLERANCE` of
the model's range, so the whole image stays within the tolerance (tested against the exact
evaluation). ``tolerance=0`` evaluates every pixel exactly: work is then split into chunks
whose (pixels × N) temporaries fit a memory budget, each run through one compiled function
of fixed shape (the last chunk is padded), so nothing retraces.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import tensorflow as tf
from numpy.typing import ArrayLike

from .fit.result import FitResult
from .runtime.devices import resolve_device
from .runtime.numerics import NUMERICS
from .runtime.xla_cache import recovering
from .spline import Spline, evaluate, solve

__all__ = [
    "MODEL_TOLERANCE",
    "TEMP_BUDGET_BYTES",
    "chunk_size",
    "compile_ahead",
    "fit_of",
    "model_at",
    "model_bands",
    "model_image",
    "spline_of",
    "spline_values",
    "through_samples",
]

TEMP_BUDGET_BYTES = 64 * 2**20
"""Memory the temporaries of one chunk may take (a few P × N float arrays)."""

MODEL_TOLERANCE = 1e-4
"""Largest deviation of the upsampled model from the exact spline, as a share of the model's
range (per channel)."""

_CHECK_MARGIN = 0.25
"""Share of the tolerance the cell centres may use: the rest covers the points between them."""

_STEP_SAFETY = 0.9
"""Shrink of the step predicted from a failed check, so that the next check passes."""

_COARSEST_CELLS = 128
"""Cells along the long side the grid starts from (then halved in step until accurate)."""

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


# AutoGraph off: the spline's branches are on Python values (the order), so the graph is the
# same, and its conversion was 0.2-0.3 s of every process's first evaluation
_compiled_rows = recovering(
    lambda: tf.function(_evaluate_rows, jit_compile=True, reduce_retracing=True, autograph=False)
)

_compiled_points = recovering(lambda: tf.function(evaluate, jit_compile=True, autograph=False))

_GRID_CHUNK = 1 << 14
"""Points per compiled call on the coarse grid (the last call padded): one shape, one trace."""


def _grid_values(spline: Spline, y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """(len(y), len(x), C) exact model on the grid of normalised ``y`` × ``x``."""
    dtype = spline.centres.dtype.as_numpy_dtype
    points = np.stack(np.meshgrid(y, x, indexing="ij"), -1).reshape(-1, 2).astype(dtype)
    total = len(points)
    padded = np.zeros((-(-total // _GRID_CHUNK) * _GRID_CHUNK, 2), dtype)
    padded[:total] = points
    parts = [
        _compiled_points(spline, tf.constant(padded[i : i + _GRID_CHUNK])).numpy()
        for i in range(0, len(padded), _GRID_CHUNK)
    ]
    return np.concatenate(parts)[:total].reshape(len(y), len(x), -1).astype(np.float32)


def compile_ahead(samples: int, channels: int, order: int, *, device: str = "auto") -> None:
    """Trace and compile the grid evaluation of :func:`model_bands` for a spline of
    ``samples`` centres and ``channels`` channels, before the fit has made it.

    TensorFlow names each trace with a process-wide counter, which the fit's data-dependent
    work advances: traced after the fit, the function had a new name in every process, so
    the persistent XLA cache (keyed by the compiled module, name included) never served it.
    The pipeline calls this on its compile-ahead thread right after the fit's own, a point
    every run reaches through the same steps: the name, and the cache entry, stay the same,
    and the compilation or the cache's load overlaps the stretch and downscale.
    """
    dtype = NUMERICS.dtype.as_numpy_dtype
    zeros = lambda *shape: tf.constant(np.zeros(shape, dtype))  # noqa: E731
    spline = Spline(zeros(samples, 2), zeros(samples, channels), zeros(3, channels), order)
    with tf.device(resolve_device(device)):
        _compiled_points(spline, zeros(_GRID_CHUNK, 2))


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
    tolerance: float = MODEL_TOLERANCE,
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
    tolerance
        Largest deviation from the exact spline, as a share of each channel's range; 0
        evaluates every pixel exactly (slow: the spline's cost times every pixel).

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
    with tf.device(resolve_device(device)):
        upsample = _coarse_model(spline, height, width, tolerance) if tolerance > 0 else None
        scale = tf.constant(float(max(height, width)), spline.centres.dtype)
        for first in range(0, height, rows):
            if upsample is None:
                block = _compiled_rows(spline, tf.constant(first), rows, width, scale).numpy()
                block = block[: height - first]
            else:
                block = upsample.rows(first, min(height, first + rows))
            out[first : first + rows] = block if transform is None else transform(block)
    return out


def model_bands(
    result: FitResult,
    height: int,
    width: int,
    *,
    device: str = "auto",
    transform: Callable[[np.ndarray, int], np.ndarray] | None = None,
    tolerance: float = MODEL_TOLERANCE,
) -> Callable[[int, slice], np.ndarray]:
    """``(channel, rows) -> (rows, W)`` float32: the values of :func:`model_image`, one
    channel's rows at a time, so that nothing image-sized is held (the grid upsampled down
    the columns, H × C × nodes, is what stays).

    ``transform(band, channel)`` maps each band (the pipeline un-stretches here). When the
    exact evaluation is needed (``tolerance=0``, or the grid cannot meet it) the whole
    untransformed model is computed once and held.

    Examples
    --------
    >>> flat = through_samples([[0, 0], [0, 1], [1, 0]], [[0.2], [0.2], [0.2]])
    >>> band = model_bands(flat, 4, 6)(0, slice(1, 3))
    >>> band.shape, bool(np.allclose(band, 0.2))
    ((2, 6), True)
    """
    spline = spline_of(result)
    with tf.device(resolve_device(device)):
        upsample = _coarse_model(spline, height, width, tolerance) if tolerance > 0 else None
    if upsample is None:
        whole = model_image(result, height, width, device=device, tolerance=0)

        def values(channel: int, rows: slice) -> np.ndarray:
            return whole[rows, :, channel]
    else:

        def values(channel: int, rows: slice) -> np.ndarray:
            first, stop, _ = rows.indices(height)
            return upsample.rows(first, stop, channel)

    if transform is None:
        return values
    return lambda channel, rows: transform(values(channel, rows), channel)


def catmull_rom(step: int) -> np.ndarray:
    """(4, step) weights of the 4 nodes around each of a cell's ``step`` pixels.

    Node ``i - 1 .. i + 2`` weights for the pixel at ``u = j / step`` past node ``i``: the
    C1 bicubic of image software, exact for quadratics.

    Examples
    --------
    >>> catmull_rom(2).tolist()
    [[0.0, -0.0625], [1.0, 0.5625], [0.0, 0.5625], [0.0, -0.0625]]
    """
    u = np.arange(step, dtype=np.float64) / step
    u2, u3 = u * u, u * u * u
    return np.stack(
        [
            (-u3 + 2 * u2 - u) / 2,
            (3 * u3 - 5 * u2 + 2) / 2,
            (-3 * u3 + 4 * u2 + u) / 2,
            (u3 - u2) / 2,
        ]
    )


def _interpolate(grid: np.ndarray, weights: np.ndarray, axis: int, length: int) -> np.ndarray:
    """Upsample ``grid`` along ``axis`` (0 or 1) to ``length`` pixels: its nodes lie every
    ``step`` pixels from one before the first pixel to two past the last cell.

    One small matrix product per cell (its 4 nodes by the ``(4, step)`` weights): the node
    windows are ``4 / step`` of the output, so the product writes the output in one pass.
    """
    windows = np.lib.stride_tricks.sliding_window_view(grid, 4, axis=axis)
    cells = np.matmul(windows, weights.astype(grid.dtype))  # (..., cells, ..., step)
    cells = np.moveaxis(cells, -1, axis + 1)
    merged = cells.reshape(*grid.shape[:axis], -1, *grid.shape[axis + 1 :])
    return merged[:length] if axis == 0 else merged[:, :length]


def _coarse_model(spline: Spline, height: int, width: int, tolerance: float) -> _Upsampled | None:
    """The upsampled model, or None when only single-pixel cells would meet ``tolerance``
    (then the exact evaluation is cheaper).
    """
    scale = float(max(height, width))
    step = max(1, -(-max(height, width) // _COARSEST_CELLS))
    while step > 1:  # a step of 1 is the exact evaluation
        ny, nx = -(-height // step) + 3, -(-width // step) + 3
        y = (np.arange(-1, ny - 1) * step + 0.5) / scale
        x = (np.arange(-1, nx - 1) * step + 0.5) / scale
        nodes = _grid_values(spline, y, x)
        middle = step / 2 / scale
        mids = _grid_values(spline, y[1:-2] + middle, x[1:-2] + middle)
        half = catmull_rom(2)[:, 1:]
        guess = _interpolate(_interpolate(nodes, half, 0, ny - 3), half, 1, nx - 3)
        inside = nodes[1 : (height - 1) // step + 2, 1 : (width - 1) // step + 2]
        span = inside.max(axis=(0, 1)) - inside.min(axis=(0, 1))
        span = np.maximum(span, np.finfo(np.float32).eps * np.abs(inside).max(axis=(0, 1)))
        with np.errstate(invalid="ignore"):  # 0 / 0 for an all-zero model: exact below
            worst = float((np.abs(guess - mids).max(axis=(0, 1)) / span).max())
        target = _CHECK_MARGIN * tolerance
        if not np.isfinite(worst):  # a model that is not finite somewhere: evaluate exactly
            return None
        if worst <= target:
            weights = catmull_rom(step).astype(np.float32)
            columns = np.ascontiguousarray(
                _interpolate(nodes, weights, 0, height).transpose(0, 2, 1)
            )
            return _Upsampled(columns, weights, width)
        # the error falls at least as the step squared (h^2 log h near an even kernel's centre)
        step = min(step - 1, int(step * math.sqrt(target / worst) * _STEP_SAFETY))
    return None


@dataclass(frozen=True)
class _Upsampled:
    """The model's grid upsampled down the columns, (H, C, nodes): channels before x, so a
    band's product needs no copy before the one into the caller's array.
    """

    columns: np.ndarray
    weights: np.ndarray
    width: int

    def rows(self, first: int, stop: int, channel: int | None = None) -> np.ndarray:
        """Rows ``first .. stop`` of the model, (rows, W, C), or (rows, W) of one channel."""
        part = self.columns[first:stop] if channel is None else self.columns[first:stop, channel]
        windows = np.lib.stride_tricks.sliding_window_view(part, 4, axis=-1)
        cells = np.matmul(windows, self.weights)  # (rows, [C,] cells, step)
        band = cells.reshape(*cells.shape[:-2], -1)[..., : self.width]
        return band if channel is not None else band.transpose(0, 2, 1)
