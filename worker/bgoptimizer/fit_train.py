"""The compiled part of the fit: one epoch of mini-batch Adam steps, then the exact loss.

An epoch is one pass over the working pixels in cache-sized mini-batches, capped at
``NUMERICS.max_epoch_steps`` batches (the pixels are shuffled once, and each epoch starts at a
new seeded offset), all inside one compiled call: no Python runs between steps. The epoch ends
with the exact full-batch loss of the new state, computed in chunks, which the caller uses for
early stopping, the plateau schedule and best-state selection. The trainable parameters are
the sample positions and values; the spline weights are re-solved from them at every step (an
(N + 3)² system, cheap next to the pixels).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import tensorflow as tf

from .fit_loss import LossWeights, pixel_loss
from .numerics import NUMERICS
from .spline import evaluate, solve
from .xla_cache import recovering

__all__ = [
    "EXECUTIONS",
    "EpochPlan",
    "Knobs",
    "PixelData",
    "TrainState",
    "epoch_function",
    "exact_loss",
    "initial_state",
    "run_epoch",
]


class PixelData(NamedTuple):
    """The working pixels, flattened and shuffled, padded to whole evaluation chunks.

    ``coords`` (Q, 2), ``image`` (Q, C) with missing values replaced by 0, ``weight`` (Q, C)
    with 0 there, ``valid`` (Q,) 1 for the first P real pixels and 0 for the padding.
    """

    coords: tf.Tensor
    image: tf.Tensor
    weight: tf.Tensor
    valid: tf.Tensor


class Knobs(NamedTuple):
    """Per-fit numbers passed into the compiled code as tensors: loss weights, smoothing, and
    the (2, 2) ``[low, high]`` ``(y, x)`` frame the sample positions are kept inside."""

    weights: LossWeights
    regularisation: tf.Tensor
    bounds: tf.Tensor

    @classmethod
    def build(cls, weights: LossWeights, regularisation: float, bounds: Any) -> Knobs:
        """Knobs as float tensors of the engine's dtype."""
        as_tensor = lambda v: tf.constant(v, NUMERICS.dtype)  # noqa: E731
        return cls(
            LossWeights(*map(as_tensor, weights)), as_tensor(regularisation), as_tensor(bounds)
        )


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


class EpochPlan(NamedTuple):
    """The static shape of one problem's epochs; equal plans share one compiled function.

    Loss weights and regularisation are not part of it: they are tensors passed at each call
    (:class:`Knobs`), so fits that differ only in them reuse the compiled code.

    Attributes
    ----------
    order
        Polyharmonic order.
    pixels
        P, the number of real pixels.
    batch
        Pixels per step, ``min(NUMERICS.batch_pixels, P)``.
    chunk
        Pixels per chunk of the exact loss.
    """

    order: int
    pixels: int
    batch: int
    chunk: int

    @classmethod
    def build(cls, data: PixelData, pixels: int, order: int) -> EpochPlan:
        """The plan for ``pixels`` real pixels in ``data``."""
        chunk = min(NUMERICS.eval_pixels, int(data.valid.shape[0]))
        return cls(order, pixels, min(NUMERICS.batch_pixels, pixels), chunk)

    @property
    def steps(self) -> int:
        """Adam steps per epoch: one pass over the pixels, at most ``max_epoch_steps``."""
        return min(-(-self.pixels // self.batch), NUMERICS.max_epoch_steps)


def _batch_loss(
    plan: EpochPlan,
    data: PixelData,
    knobs: Knobs,
    centres: tf.Tensor,
    values: tf.Tensor,
    index: tf.Tensor,
) -> tf.Tensor:
    spline = solve(centres, values, plan.order, knobs.regularisation)
    model = evaluate(spline, tf.gather(data.coords, index))
    losses = pixel_loss(
        model, tf.gather(data.image, index), tf.gather(data.weight, index), knobs.weights
    )
    return tf.reduce_mean(losses)


def _step(
    plan: EpochPlan,
    data: PixelData,
    knobs: Knobs,
    state: TrainState,
    lr: tf.Tensor,
    start: tf.Tensor,
) -> TrainState:
    index = (start + tf.range(plan.batch)) % plan.pixels
    with tf.GradientTape() as tape:
        tape.watch([state.centres, state.values])
        loss = _batch_loss(plan, data, knobs, state.centres, state.values, index)
    g_centres, g_values = tape.gradient(loss, [state.centres, state.values])
    step = state.step + 1
    centres, m_c, v_c = _adam(state.centres, g_centres, state.m_centres, state.v_centres, lr, step)
    centres = tf.clip_by_value(centres, knobs.bounds[0], knobs.bounds[1])  # stay on the frame
    values, m_v, v_v = _adam(state.values, g_values, state.m_values, state.v_values, lr, step)
    return TrainState(centres, values, m_c, m_v, v_c, v_v, step)


def run_epoch(
    plan: EpochPlan,
    data: PixelData,
    knobs: Knobs,
    state: TrainState,
    lr: tf.Tensor,
    offset: tf.Tensor,
) -> tuple[TrainState, tf.Tensor]:
    """``plan.steps`` Adam steps on mini-batches from pixel ``offset`` on, then the exact loss.

    Batch ``i`` is pixels ``offset + i·batch ...`` of the shuffled data, wrapping around.
    """

    def body(i: tf.Tensor, s: TrainState) -> tuple[tf.Tensor, TrainState]:
        return i + 1, _step(plan, data, knobs, s, lr, offset + i * plan.batch)

    _, state = tf.while_loop(lambda i, s: i < plan.steps, body, (tf.constant(0), state))
    return state, exact_loss(plan, data, knobs, state.centres, state.values)


def exact_loss(
    plan: EpochPlan, data: PixelData, knobs: Knobs, centres: tf.Tensor, values: tf.Tensor
) -> tf.Tensor:
    """Mean loss over all P pixels, in chunks so the temporaries stay cache-sized."""
    spline = solve(centres, values, plan.order, knobs.regularisation)
    size = plan.chunk

    def body(i: tf.Tensor, total: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        rows = i * size + tf.range(size)
        model = evaluate(spline, tf.gather(data.coords, rows))
        losses = pixel_loss(
            model, tf.gather(data.image, rows), tf.gather(data.weight, rows), knobs.weights
        )
        return i + 1, total + tf.reduce_sum(losses * tf.gather(data.valid, rows))

    chunks = int(data.valid.shape[0]) // size
    _, total = tf.while_loop(
        lambda i, t: i < chunks, body, (tf.constant(0), tf.zeros((), NUMERICS.dtype))
    )
    return total / plan.pixels


EpochFunction = Callable[..., tuple[TrainState, tf.Tensor]]


EXECUTIONS = ("xla", "graph", "eager")
"""How epochs run: XLA-compiled (fast steps, seconds of compilation), a plain TensorFlow graph
(no compilation, ~5x slower steps on big images), or eagerly (parity tests, debugging)."""


@functools.lru_cache(maxsize=8)
def epoch_function(plan: EpochPlan, execution: str = "xla") -> EpochFunction:
    """``(data, knobs, state, lr, offset) -> (state, exact loss)`` for ``plan``.

    Traced with AutoGraph off (the loops are explicit) and cached per plan, so repeated fits
    of one size (a worker's jobs, the tests) trace and compile once.
    """
    if execution not in EXECUTIONS:
        raise ValueError(f"execution must be one of {EXECUTIONS}, got {execution!r}")
    epoch = functools.partial(run_epoch, plan)
    if execution == "eager":
        return epoch
    if execution == "graph":
        return tf.function(epoch, autograph=False)
    return recovering(lambda: tf.function(epoch, jit_compile=True, autograph=False))
