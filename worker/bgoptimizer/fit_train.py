"""The compiled part of the fit: one epoch of mini-batch Adam steps, then the exact loss.

An epoch is one pass over the working pixels in cache-sized mini-batches (the pixels are
shuffled once, and each epoch starts the pass at a new seeded offset), all inside one compiled
call: no Python runs between steps. The epoch ends with the exact full-batch loss of the new
state, computed in chunks, which the caller uses for early stopping, the plateau schedule and
best-state selection. The trainable parameters are the sample positions and values; the spline
weights are re-solved from them at every step (an (N + 3)² system, cheap next to the pixels).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import tensorflow as tf

from .fit_loss import LossWeights, pixel_loss
from .numerics import NUMERICS
from .spline import evaluate, solve

__all__ = ["PixelData", "TrainState", "Trainer", "initial_state"]


class PixelData(NamedTuple):
    """The working pixels, flattened and shuffled, padded to whole evaluation chunks.

    ``coords`` (Q, 2), ``image`` (Q, C) with missing values replaced by 0, ``weight`` (Q, C)
    with 0 there, ``valid`` (Q,) 1 for the first P real pixels and 0 for the padding.
    """

    coords: tf.Tensor
    image: tf.Tensor
    weight: tf.Tensor
    valid: tf.Tensor


class TrainState(NamedTuple):
    """Parameters and Adam's moments, carried through the compiled loop."""

    centres: tf.Tensor
    values: tf.Tensor
    m_centres: tf.Tensor
    m_values: tf.Tensor
    v_centres: tf.Tensor
    v_values: tf.Tensor
    step: tf.Tensor


def initial_state(centres: tf.Tensor, values: tf.Tensor) -> TrainState:
    """A fresh state at the given parameters with zero moments."""
    zc, zv = tf.zeros_like(centres), tf.zeros_like(values)
    return TrainState(centres, values, zc, zv, zc, zv, tf.zeros((), NUMERICS.dtype))


def _adam(
    param: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, lr: tf.Tensor, step: tf.Tensor
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """One Adam update of one tensor (Kingma & Ba, bias-corrected)."""
    b1, b2 = NUMERICS.adam_beta1, NUMERICS.adam_beta2
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad * grad
    m_hat = m / (1 - b1**step)
    v_hat = v / (1 - b2**step)
    return param - lr * m_hat / (tf.sqrt(v_hat) + NUMERICS.adam_epsilon), m, v


class Trainer:
    """Builds the epoch function for one problem size.

    Parameters
    ----------
    data
        The working pixels.
    pixels
        P, the number of real pixels in ``data``.
    order, regularisation
        Spline settings.
    weights
        Loss term multipliers.
    compiled
        Run through ``tf.function`` with XLA (the default); ``False`` runs the same code
        eagerly, for the parity test and debugging.
    """

    def __init__(
        self,
        data: PixelData,
        pixels: int,
        *,
        order: int,
        regularisation: float,
        weights: LossWeights,
        compiled: bool = True,
    ) -> None:
        self.data = data
        self.pixels = pixels
        self.order = order
        self.regularisation = regularisation
        self.weights = weights
        self.batch = min(NUMERICS.batch_pixels, pixels)
        self.steps = -(-pixels // self.batch)
        self.chunk = min(NUMERICS.eval_pixels, int(data.valid.shape[0]))
        wrap: Callable = tf.function(jit_compile=True, autograph=False) if compiled else (lambda f: f)
        self.epoch = wrap(self._epoch)

    def _batch_loss(self, centres: tf.Tensor, values: tf.Tensor, index: tf.Tensor) -> tf.Tensor:
        spline = solve(centres, values, self.order, self.regularisation)
        model = evaluate(spline, tf.gather(self.data.coords, index))
        losses = pixel_loss(
            model, tf.gather(self.data.image, index), tf.gather(self.data.weight, index),
            self.weights,
        )
        return tf.reduce_mean(losses)

    def _step(self, state: TrainState, lr: tf.Tensor, start: tf.Tensor) -> TrainState:
        index = (start + tf.range(self.batch)) % self.pixels
        with tf.GradientTape() as tape:
            tape.watch([state.centres, state.values])
            loss = self._batch_loss(state.centres, state.values, index)
        g_centres, g_values = tape.gradient(loss, [state.centres, state.values])
        step = state.step + 1
        centres, m_c, v_c = _adam(
            state.centres, g_centres, state.m_centres, state.v_centres, lr, step
        )
        values, m_v, v_v = _adam(state.values, g_values, state.m_values, state.v_values, lr, step)
        return TrainState(centres, values, m_c, m_v, v_c, v_v, step)

    def _epoch(
        self, state: TrainState, lr: tf.Tensor, offset: tf.Tensor
    ) -> tuple[TrainState, tf.Tensor]:
        """``steps`` Adam steps from pixel ``offset`` on, then the exact loss."""

        def body(i: tf.Tensor, s: TrainState) -> tuple[tf.Tensor, TrainState]:
            return i + 1, self._step(s, lr, offset + i * self.batch)

        _, state = tf.while_loop(lambda i, s: i < self.steps, body, (tf.constant(0), state))
        return state, self.exact_loss(state.centres, state.values)

    def exact_loss(self, centres: tf.Tensor, values: tf.Tensor) -> tf.Tensor:
        """Mean loss over all P pixels, in chunks so the temporaries stay cache-sized.

        Called eagerly for the starting state (no second compilation) and compiled inside
        :meth:`epoch`.
        """
        spline = solve(centres, values, self.order, self.regularisation)
        data, size = self.data, self.chunk

        def body(i: tf.Tensor, total: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            rows = i * size + tf.range(size)
            model = evaluate(spline, tf.gather(data.coords, rows))
            losses = pixel_loss(
                model, tf.gather(data.image, rows), tf.gather(data.weight, rows), self.weights
            )
            return i + 1, total + tf.reduce_sum(losses * tf.gather(data.valid, rows))

        chunks = int(data.valid.shape[0]) // size
        _, total = tf.while_loop(
            lambda i, t: i < chunks, body, (tf.constant(0), tf.zeros((), NUMERICS.dtype))
        )
        return total / self.pixels
