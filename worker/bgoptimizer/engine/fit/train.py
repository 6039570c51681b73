"""The compiled part of the fit: many epochs of mini-batch Adam steps and their schedule.

An epoch is one pass over the working pixels in balanced, cache-sized mini-batches (capped
at ``NUMERICS.max_epoch_steps`` batches; the pixels are shuffled once and each epoch starts
at a new seeded offset), followed by the exact full-batch loss of the new state, computed
in chunks. That exact loss drives the schedule: the best state is kept, the learning rate
drops on plateaus, and early stopping ends the fit (Keras' semantics, see :class:`Tracker`).

One compiled call runs up to ``EPOCHS_PER_CALL`` epochs *and* their schedule: no Python runs
between steps or between epochs inside a call. A call costs ~1–2 ms of dispatch on a 2-core
CPU, as much as a whole epoch of a 128-pixel working image, so the Python driver in
:mod:`bgoptimizer.engine.fit.driver` asks for as many epochs per call as fit in its
reporting interval.
The trainable parameters are the sample positions and values; the spline weights are
re-solved from them at every step (an (N + 3)² system, cheap next to the pixels).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import tensorflow as tf

from ...params import FitParams
from ..runtime.numerics import NUMERICS
from ..runtime.xla_cache import recovering
from ..spline import evaluate, solve
from .loss import LossWeights, pixel_loss

__all__ = [
    "EPOCHS_PER_CALL",
    "EXECUTIONS",
    "EpochPlan",
    "Knobs",
    "PixelData",
    "ScheduleKnobs",
    "Tracker",
    "TrainState",
    "epochs_function",
    "exact_loss",
    "initial_state",
    "run_epochs",
    "start_tracker",
]

EPOCHS_PER_CALL = 256
"""Most epochs one compiled call runs (the size of its loss buffer)."""


class PixelData(NamedTuple):
    """The working pixels, flattened and shuffled, padded to whole evaluation chunks.

    ``coords`` (Q, 2), ``image`` (Q, C) with missing values replaced by 0, ``weight`` (Q, C)
    with 0 there, ``valid`` (Q,) 1 for the first P real pixels and 0 for the padding.
    """

    coords: tf.Tensor
    image: tf.Tensor
    weight: tf.Tensor
    valid: tf.Tensor


def _real(value: Any) -> tf.Tensor:
    """``value`` as a constant of the engine's dtype."""
    return tf.constant(value, NUMERICS.dtype)


class ScheduleKnobs(NamedTuple):
    """The schedule's settings as tensors: changing them does not recompile.

    ``min_delta``, ``lr_factor`` and ``min_lr`` are floats of the engine's dtype,
    ``patience`` and ``lr_patience`` int32 epoch counts.
    """

    min_delta: tf.Tensor
    lr_factor: tf.Tensor
    min_lr: tf.Tensor
    patience: tf.Tensor
    lr_patience: tf.Tensor

    @classmethod
    def build(cls, params: FitParams) -> ScheduleKnobs:
        """The schedule ``params`` ask for."""
        return cls(
            _real(params.min_delta),
            _real(params.lr_factor),
            _real(NUMERICS.min_learning_rate),
            tf.constant(params.patience, tf.int32),
            tf.constant(params.lr_patience, tf.int32),
        )


class Knobs(NamedTuple):
    """Per-fit numbers passed into the compiled code as tensors: loss weights, smoothing, the
    (2, 2) ``[low, high]`` ``(y, x)`` frame the sample positions are kept inside, and the
    schedule.
    """

    weights: LossWeights
    regularisation: tf.Tensor
    bounds: tf.Tensor
    schedule: ScheduleKnobs

    @classmethod
    def build(
        cls, weights: LossWeights, regularisation: float, bounds: Any, params: FitParams
    ) -> Knobs:
        """Knobs as tensors of the engine's dtype."""
        return cls(
            LossWeights(*map(_real, weights)),
            _real(regularisation),
            _real(bounds),
            ScheduleKnobs.build(params),
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


class Tracker(NamedTuple):
    """The schedule's state: best state kept, plateau waits, learning rate, stop flag.

    An epoch improves when its loss is below ``reference`` by more than ``min_delta``; that
    resets both waits. The kept (best) state is the lowest exact loss seen, improvement or
    not. ``epoch`` counts the epochs run (with a finite loss); ``best_epoch`` 0 is the start.
    """

    lr: tf.Tensor
    best_loss: tf.Tensor
    best_centres: tf.Tensor
    best_values: tf.Tensor
    best_epoch: tf.Tensor
    reference: tf.Tensor
    wait: tf.Tensor
    lr_wait: tf.Tensor
    epoch: tf.Tensor
    stop: tf.Tensor


def start_tracker(lr: float, loss: float, state: TrainState) -> Tracker:
    """The schedule before the first epoch: the starting state is the best so far."""
    zero = tf.constant(0, tf.int32)
    return Tracker(
        _real(lr),
        _real(loss),
        state.centres,
        state.values,
        zero,
        _real(loss),
        zero,
        zero,
        zero,
        tf.constant(False),
    )


def _track(knobs: ScheduleKnobs, tracker: Tracker, loss: tf.Tensor, state: TrainState) -> Tracker:
    """Take one epoch's finite exact loss (Keras' ReduceLROnPlateau + EarlyStopping)."""
    epoch = tracker.epoch + 1
    better = loss < tracker.best_loss
    improved = loss < tracker.reference - knobs.min_delta
    wait = tf.where(improved, 0, tracker.wait + 1)
    lr_wait = tf.where(improved, 0, tracker.lr_wait + 1)
    drop = lr_wait >= knobs.lr_patience
    return Tracker(
        lr=tf.where(drop, tf.maximum(tracker.lr * knobs.lr_factor, knobs.min_lr), tracker.lr),
        best_loss=tf.where(better, loss, tracker.best_loss),
        best_centres=tf.where(better, state.centres, tracker.best_centres),
        best_values=tf.where(better, state.values, tracker.best_values),
        best_epoch=tf.where(better, epoch, tracker.best_epoch),
        reference=tf.where(improved, loss, tracker.reference),
        wait=wait,
        lr_wait=tf.where(drop, 0, lr_wait),
        epoch=epoch,
        stop=wait >= knobs.patience,
    )


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

    Loss weights, regularisation and the schedule are not part of it: they are tensors
    passed at each call (:class:`Knobs`), so fits that differ only in them reuse the code.

    Attributes
    ----------
    order
        Polyharmonic order.
    pixels
        P, the number of real pixels.
    batch
        Pixels per step: P split into equal batches of at most ``NUMERICS.batch_pixels``
        when that takes at most ``max_epoch_steps`` of them, else ``batch_pixels``.
    chunk
        Pixels per chunk of the exact loss.
    """

    order: int
    pixels: int
    batch: int
    chunk: int

    @classmethod
    def build(cls, data: PixelData, pixels: int, order: int) -> EpochPlan:
        """The plan for ``pixels`` real pixels in ``data``.

        Examples
        --------
        >>> data = PixelData(*[None] * 3, tf.zeros(16384))
        >>> EpochPlan.build(data, 10375, 2)  # two batches of 5188, not 8192 + a wrap-around
        EpochPlan(order=2, pixels=10375, batch=5188, chunk=16384)
        """
        chunk = min(NUMERICS.eval_pixels, int(data.valid.shape[0]))
        batches = -(-pixels // NUMERICS.batch_pixels)
        if batches > NUMERICS.max_epoch_steps:
            batch = NUMERICS.batch_pixels
        else:
            batch = -(-pixels // batches)
        return cls(order, pixels, batch, chunk)

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


def _epoch(
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


_Carry = tuple[tf.Tensor, TrainState, Tracker, tf.Tensor, tf.Tensor]
"""The epochs loop's variables: epoch index, state, tracker, loss buffer, finite flag."""


def run_epochs(
    plan: EpochPlan,
    data: PixelData,
    knobs: Knobs,
    state: TrainState,
    tracker: Tracker,
    offsets: tf.Tensor,
    count: tf.Tensor,
) -> tuple[TrainState, Tracker, tf.Tensor, tf.Tensor]:
    """Up to ``count`` epochs, ``offsets[i]`` the first pixel of epoch ``i``'s batches.

    Stops early when the schedule says so, or at the first non-finite loss (that epoch is
    not counted and its state not kept: the fit then ends on the best finite state).

    Returns
    -------
    state, tracker
        After the last epoch run.
    losses
        (``EPOCHS_PER_CALL``,) exact loss of each epoch run, in order; 0 past them.
    finite
        False when the call ended on a non-finite loss.
    """

    def more(
        i: tf.Tensor, s: TrainState, t: Tracker, losses: tf.Tensor, finite: tf.Tensor
    ) -> tf.Tensor:
        return (i < count) & ~t.stop & finite

    def body(
        i: tf.Tensor, s: TrainState, t: Tracker, losses: tf.Tensor, finite: tf.Tensor
    ) -> _Carry:
        new, loss = _epoch(plan, data, knobs, s, t.lr, offsets[i])
        ok = tf.math.is_finite(loss)
        t = tf.nest.map_structure(
            lambda a, b: tf.where(ok, a, b), _track(knobs.schedule, t, loss, new), t
        )
        losses = tf.tensor_scatter_nd_update(losses, [[i]], [tf.where(ok, loss, 0.0)])
        return i + 1, new, t, losses, ok

    losses = tf.zeros((EPOCHS_PER_CALL,), NUMERICS.dtype)
    start = (tf.constant(0), state, tracker, losses, tf.constant(True))
    _, state, tracker, losses, finite = tf.while_loop(more, body, start)
    return state, tracker, losses, finite


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


EpochsFunction = Callable[..., tuple[TrainState, Tracker, tf.Tensor, tf.Tensor]]


EXECUTIONS = ("xla", "graph", "eager")
"""How epochs run: XLA-compiled (fast steps, seconds of compilation), a plain TensorFlow graph
(no compilation, ~5x slower steps on big images), or eagerly (parity tests, debugging)."""


@functools.lru_cache(maxsize=8)
def epochs_function(plan: EpochPlan, execution: str = "xla") -> EpochsFunction:
    """``(data, knobs, state, tracker, offsets, count) -> (state, tracker, losses, finite)``.

    Traced with AutoGraph off (the loops are explicit) and cached per plan, so repeated fits
    of one size (a worker's jobs, the tests) trace and compile once.
    """
    if execution not in EXECUTIONS:
        raise ValueError(f"execution must be one of {EXECUTIONS}, got {execution!r}")
    run = functools.partial(run_epochs, plan)
    if execution == "eager":
        return run
    if execution == "graph":
        return tf.function(run, autograph=False)
    return recovering(lambda: tf.function(run, jit_compile=True, autograph=False))
