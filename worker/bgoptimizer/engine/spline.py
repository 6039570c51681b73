"""Polyharmonic spline in TensorFlow: solve from (centre, value) pairs, evaluate anywhere.

phi(r) = r^k for odd k and r^k log r for even k (k = 1..4), plus a linear polynomial
``v0 + v1 y + v2 x``. Coordinates are isotropic (y and x in the same unit), so a circle stays a
circle on any frame. Everything is differentiable in the centres and the values, batched over
channels (the last axis), and works in the dtype of its inputs (float32 in the engine).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import tensorflow as tf

from .runtime.numerics import NUMERICS

__all__ = ["ORDERS", "Spline", "evaluate", "inverse", "phi", "solve", "squared_distances"]

ORDERS = (1, 2, 3, 4)
"""Supported polyharmonic orders k."""

_SMOOTHING_SIGN = {1: -1.0, 2: 1.0, 3: 1.0, 4: -1.0}
"""Sign under which each kernel is conditionally positive definite (-r, r^2 log r, r^3,
-r^4 log r): regularisation is added with it, so that it smooths for every order, as scipy's
``smoothing`` does for its ``-r`` linear kernel."""


class Spline(NamedTuple):
    """A solved spline: enough to evaluate it.

    Attributes
    ----------
    centres
        (N, 2) ``(y, x)`` sample positions.
    weights
        (N, C) radial-basis weights.
    poly
        (3, C) coefficients of ``1, y, x``.
    order
        Polyharmonic order k.
    """

    centres: tf.Tensor
    weights: tf.Tensor
    poly: tf.Tensor
    order: int


def squared_distances(points: tf.Tensor, centres: tf.Tensor) -> tf.Tensor:
    """(M, N) squared distances between (M, 2) points and (N, 2) centres.

    Differences rather than the ``|a|^2 + |b|^2 - 2ab`` expansion: exact near r = 0, where the
    kernels and their gradients are most sensitive, and fused into one pass when compiled.
    """
    dy = points[:, 0:1] - centres[None, :, 0]
    dx = points[:, 1:2] - centres[None, :, 1]
    return dy * dy + dx * dx


def phi(r2: tf.Tensor, order: int) -> tf.Tensor:
    """The polyharmonic kernel of order ``order`` as a function of the squared distance.

    Written in r^2 so no square root is needed for even k (r^k log r = r2^(k/2) log(r2) / 2).
    At r = 0 the value is 0 and the gradient is 0: the kernel is evaluated on a safe stand-in
    there (the double-``where`` guard), so no ``0 * inf`` reaches the gradient.

    Examples
    --------
    >>> float(phi(tf.constant(4.0), 3))
    8.0
    """
    if order not in ORDERS:
        raise ValueError(f"order must be one of {ORDERS}, got {order}")
    live = r2 > NUMERICS.r2_floor
    safe = tf.where(live, r2, tf.ones_like(r2))
    if order == 1:
        value = tf.sqrt(safe)
    elif order == 3:
        value = safe * tf.sqrt(safe)
    else:
        value = 0.5 * tf.math.log(safe) * (safe if order == 2 else safe * safe)
    return tf.where(live, value, tf.zeros_like(value))


def _poly_basis(points: tf.Tensor) -> tf.Tensor:
    """(M, 3) rows ``1, y, x``."""
    return tf.concat([tf.ones_like(points[:, :1]), points], axis=1)


def inverse(matrix: tf.Tensor) -> tf.Tensor:
    """Inverse of a square matrix; in compiled code by Gauss–Jordan elimination.

    Traced into a graph (the fit's compiled epochs) it is one small ``tf.while_loop`` with
    partial pivoting (a row swap and a rank-1 update per column) instead of
    ``tf.linalg.inv``, which XLA expands into an LU factorisation and blocked triangular
    solves: as fast to run at the spline's sizes (~4.5 µs for 35 × 35 on a 2-core CPU), but
    less to compile. Run eagerly, where such a loop would cost ~35 Python-dispatched
    iterations, it is ``tf.linalg.inv``. A singular matrix gives non-finite entries in a
    graph (a zero pivot) and an ``InvalidArgumentError`` eagerly; callers check.

    Examples
    --------
    >>> pivoted = tf.function(inverse)(tf.constant([[0.0, 2.0], [4.0, 0.0]]))  # a zero pivot
    >>> pivoted.numpy().tolist()
    [[0.0, 0.25], [0.5, 0.0]]
    """
    if tf.executing_eagerly():
        return tf.linalg.inv(matrix)
    n = matrix.shape[0] if matrix.shape[0] is not None else tf.shape(matrix)[0]
    rows = tf.range(n)
    augmented = tf.concat([matrix, tf.eye(n, dtype=matrix.dtype)], axis=1)

    def eliminate(k: tf.Tensor, a: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        column = tf.abs(a[:, k])
        pivot = tf.cast(tf.argmax(tf.where(rows >= k, column, -tf.ones_like(column))), tf.int32)
        a = tf.gather(a, tf.where(rows == k, pivot, tf.where(rows == pivot, k, rows)))
        pivot_row = a[k] / a[k, k]
        factors = tf.where(rows == k, tf.zeros_like(column), a[:, k])
        a = a - factors[:, None] * pivot_row[None, :]
        return k + 1, tf.where((rows == k)[:, None], pivot_row[None, :], a)

    _, augmented = tf.while_loop(lambda k, a: k < n, eliminate, (tf.constant(0), augmented))
    return augmented[:, n:]


@tf.custom_gradient
def _symmetric_solve(lhs: tf.Tensor, rhs: tf.Tensor) -> tuple[tf.Tensor, Callable]:
    """``lhs^-1 rhs`` for a symmetric ``lhs``, with a hand-written gradient.

    One explicit inverse serves the forward pass and the backward pass (two matrix products:
    ``d rhs = lhs^-1 g`` and ``d lhs = -d rhs · solution^T``), instead of autodiff's second
    factorisation: the compiled training step shrinks and compiles several times faster.
    """
    inv = inverse(lhs)
    solution = tf.matmul(inv, rhs)

    def grad(upstream: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        d_rhs = tf.matmul(inv, upstream)
        return -tf.matmul(d_rhs, solution, transpose_b=True), d_rhs

    return solution, grad


def solve(centres: tf.Tensor, values: tf.Tensor, order: int, regularisation: float = 0.0) -> Spline:
    """The spline through (or, with regularisation, near) ``values`` at ``centres``.

    Solves ``[[A ± lambda I, P], [P^T, 0]] [w; v] = [f; 0]`` with ``A_ij = phi(|c_i - c_j|)``
    and ``P = [1, y, x]``: the standard polyharmonic system (scipy's ``RBFInterpolator`` with
    ``degree=1`` and ``smoothing=lambda`` solves the same one).

    Parameters
    ----------
    centres
        (N, 2) positions, N >= 3 and not all on one line.
    values
        (N, C) values, one column per channel.
    order
        Polyharmonic order k in 1..4.
    regularisation
        lambda >= 0, added to A's diagonal with the kernel's sign (subtracted for k = 1 and
        4, whose kernels are conditionally negative definite); 0 interpolates exactly.

    Returns
    -------
    Spline

    Examples
    --------
    >>> c = tf.constant([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    >>> s = solve(c, tf.constant([[1.0], [2.0], [3.0], [4.0]]), 2)
    >>> round(float(evaluate(s, tf.constant([[1.0, 0.0]]))[0, 0]), 4)
    3.0
    """
    centres = tf.convert_to_tensor(centres)
    values = tf.convert_to_tensor(values, dtype=centres.dtype)
    n = tf.shape(centres)[0]
    kernel = phi(squared_distances(centres, centres), order)
    lam = _SMOOTHING_SIGN[order] * tf.cast(regularisation, centres.dtype)
    kernel += lam * tf.eye(n, dtype=centres.dtype)
    basis = _poly_basis(centres)
    lhs = tf.concat(
        [
            tf.concat([kernel, basis], axis=1),
            tf.concat([tf.transpose(basis), tf.zeros((3, 3), centres.dtype)], axis=1),
        ],
        axis=0,
    )
    rhs = tf.concat([values, tf.zeros((3, tf.shape(values)[1]), values.dtype)], axis=0)
    solution = _symmetric_solve(lhs, rhs)
    return Spline(centres, solution[:n], solution[n:], order)


def evaluate(spline: Spline, points: tf.Tensor) -> tf.Tensor:
    """(M, C) spline values at (M, 2) ``(y, x)`` points.

    Holds an (M, N) temporary: callers with many points go through
    :func:`bgoptimizer.engine.model.spline_values` or :func:`bgoptimizer.engine.model.model_image`,
    which chunk. The radial sum is a broadcast product reduced over N rather than a matmul:
    with C = 3 columns XLA's CPU dot (and its gradient) is slower than the fused
    multiply-reduce, which made an RGB step ~1.5× dearer than it needs to be.
    """
    points = tf.convert_to_tensor(points, dtype=spline.centres.dtype)
    radial = phi(squared_distances(points, spline.centres), spline.order)
    weighted = tf.reduce_sum(radial[:, :, None] * spline.weights[None], axis=1)
    return weighted + tf.matmul(_poly_basis(points), spline.poly)
