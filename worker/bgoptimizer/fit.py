"""Fit the background spline: Adam on sample positions and values, with a plateau schedule.

The driver around :mod:`bgoptimizer.fit_train`'s compiled epochs: it keeps the best state
by the exact loss, lowers the learning rate on plateaus, stops early, reports progress (at
most ~10 events a second, plus live previews) and checks for cancellation after every epoch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from .devices import describe_devices, resolve_device
from .evaluate import evaluate_points
from .exceptions import NumericalError
from .fit_init import (
    frame_bounds,
    initial_centres,
    initial_values,
    loss_quantile,
    pixel_data,
)
from .fit_loss import LossWeights
from .fit_train import (
    EpochPlan,
    Knobs,
    PixelData,
    TrainState,
    epoch_function,
    exact_loss,
    initial_state,
)
from .numerics import NUMERICS
from .params import FitParams
from .progress import ProgressEvent, ProgressHooks, Stage
from .spline import Spline, solve

__all__ = ["FitResult", "fit_spline"]

REPORT_INTERVAL = 0.1
"""Seconds between plain progress events."""


@dataclass
class FitResult:
    """A fitted background spline and how the fit went.

    Attributes
    ----------
    centres
        (N, 2) normalised ``(y, x)`` sample positions.
    values
        (N, C) stretched sample values (the model passes through them unless regularised).
    weights, poly
        (N, C) radial weights and (3, C) coefficients of ``1, y, x``: the solved spline.
    order, regularisation
        Spline settings.
    loss_history
        Exact loss after each epoch.
    epochs_run, best_epoch, best_loss
        Epochs done, the epoch whose state was kept (0: the starting state) and its loss.
    stopped_early
        Whether early stopping (or a recovered numerical failure) ended the fit.
    final_lr
        Learning rate at the end.
    timings
        ``init`` and ``optimise`` seconds, ``per_step_ms`` (compiled steps, first epoch and
        its compilation excluded), ``first_epoch`` seconds (with compilation).
    device
        What ran the fit: a GPU's name or ``"CPU"``.
    """

    centres: np.ndarray
    values: np.ndarray
    weights: np.ndarray
    poly: np.ndarray
    order: int
    regularisation: float = 0.0
    loss_history: list[float] = field(default_factory=list)
    epochs_run: int = 0
    best_epoch: int = 0
    best_loss: float = float("nan")
    stopped_early: bool = False
    final_lr: float = float("nan")
    timings: dict[str, float] = field(default_factory=dict)
    device: str = "CPU"

    @classmethod
    def from_samples(
        cls, centres: np.ndarray, values: np.ndarray, order: int = 2, regularisation: float = 0.0
    ) -> FitResult:
        """The spline through given samples, without optimisation."""
        dtype = NUMERICS.dtype
        spline = solve(
            tf.constant(centres, dtype), tf.constant(values, dtype), order, regularisation
        )
        return cls._from_spline(spline, tf.constant(values, dtype), regularisation)

    @classmethod
    def _from_spline(cls, spline: Spline, values: tf.Tensor, regularisation: float) -> FitResult:
        return cls(
            centres=spline.centres.numpy(),
            values=values.numpy(),
            weights=spline.weights.numpy(),
            poly=spline.poly.numpy(),
            order=spline.order,
            regularisation=regularisation,
        )

    def spline(self) -> Spline:
        """The solved spline as tensors."""
        dtype = NUMERICS.dtype
        return Spline(
            tf.constant(self.centres, dtype),
            tf.constant(self.weights, dtype),
            tf.constant(self.poly, dtype),
            self.order,
        )

    def evaluate(self, coords: np.ndarray) -> np.ndarray:
        """Model at ``(..., 2)`` normalised ``(y, x)`` points, as ``(..., C)`` float32."""
        return evaluate_points(self.spline(), coords)


@dataclass
class _Schedule:
    """Best-state tracking, plateau learning-rate reduction and early stopping (Keras-like).

    An epoch improves when its loss is below the reference by more than ``min_delta``; that
    resets both waits. The kept (best) state is the lowest exact loss seen, improvement or not.
    """

    params: FitParams
    lr: float
    best_loss: float
    best: TrainState
    reference: float = float("inf")
    best_epoch: int = 0
    wait: int = 0
    lr_wait: int = 0

    def __post_init__(self) -> None:
        self.reference = self.best_loss

    def update(self, epoch: int, loss: float, state: TrainState) -> bool:
        """Take one epoch's exact loss; returns whether to stop."""
        if loss < self.best_loss:
            self.best_loss, self.best, self.best_epoch = loss, state, epoch
        if loss < self.reference - self.params.min_delta:
            self.reference, self.wait, self.lr_wait = loss, 0, 0
            return False
        self.wait += 1
        self.lr_wait += 1
        if self.lr_wait >= self.params.lr_patience:
            self.lr = max(self.lr * self.params.lr_factor, NUMERICS.min_learning_rate)
            self.lr_wait = 0
        return self.wait >= self.params.patience


class _Progress:
    """Throttled progress events with optional live previews, and the cancel check."""

    def __init__(
        self,
        hooks: ProgressHooks,
        params: FitParams,
        preview: Callable[[TrainState], np.ndarray] | None,
    ) -> None:
        self.hooks, self.params, self.preview = hooks, params, preview
        self.start = time.perf_counter()
        self.last = -float("inf")

    def epoch(self, epoch: int, loss: float, lr: float, state: TrainState) -> None:
        """Check for cancellation, then report if it is time to."""
        self.hooks.check_cancel()
        every = self.params.preview_every
        with_preview = self.preview is not None and every > 0 and epoch % every == 0
        now = time.perf_counter()
        if with_preview or now - self.last >= REPORT_INTERVAL:
            self.last = now
            self.hooks.report(
                ProgressEvent(
                    stage=Stage.OPTIMISING,
                    progress=epoch / self.params.epochs,
                    elapsed=now - self.start,
                    message=f"epoch {epoch}: loss {loss:.6g}",
                    epoch=epoch,
                    epochs=self.params.epochs,
                    loss=loss,
                    lr=lr,
                    preview=self.preview(state) if with_preview else None,
                )
            )

    def finish(self, result: FitResult) -> None:
        """The closing event: optimisation complete, with the kept epoch and its loss."""
        self.hooks.report(
            ProgressEvent(
                stage=Stage.OPTIMISING,
                progress=1.0,
                elapsed=time.perf_counter() - self.start,
                message=f"best epoch {result.best_epoch} of {result.epochs_run}: "
                f"loss {result.best_loss:.6g}",
                epoch=result.epochs_run,
                epochs=self.params.epochs,
                loss=result.best_loss,
                lr=result.final_lr,
            )
        )


def fit_spline(
    image: np.ndarray,
    weight: np.ndarray,
    coords: np.ndarray,
    params: FitParams,
    *,
    hooks: ProgressHooks | None = None,
    make_preview: Callable[[np.ndarray], np.ndarray] | None = None,
    device: str = "auto",
    execution: str = "xla",
) -> FitResult:
    """Fit the background spline to a stretched working image.

    Parameters
    ----------
    image
        (h, w, C) stretched working image, NaN where missing.
    weight
        (h, w, C) weights in [0, 1]; 0 keeps a pixel out of the loss.
    coords
        (h, w, 2) ``(y, x)`` of each working pixel's centre, in full-resolution pixels over
        ``max(H, W)``.
    params
        Fit parameters (samples, order, initializer, seed, loss weights, schedule).
    hooks
        Progress events and cancellation.
    make_preview
        ``model (h, w, C) -> preview``; called every ``params.preview_every`` epochs.
    device
        ``auto``, ``cpu`` or ``gpu``.
    execution
        ``xla`` (default: compiled epochs, fastest once compiled), ``graph`` (a plain
        TensorFlow graph: no compile time, slower steps) or ``eager`` (parity tests).

    Returns
    -------
    FitResult
        The best state by exact loss.

    Raises
    ------
    ParameterError
        Bad shapes, nothing to fit, unknown device.
    NumericalError
        The starting spline cannot be solved or gives a non-finite loss.
    CancelledError
        ``hooks`` asked to stop.

    Examples
    --------
    >>> yy, xx = np.meshgrid(np.arange(20) / 30, np.arange(30) / 30, indexing="ij")
    >>> coords = np.stack([yy, xx], -1).astype(np.float32)
    >>> image = (0.1 + 0.2 * xx)[..., None].astype(np.float32)
    >>> fit = fit_spline(image, np.ones_like(image), coords, FitParams(samples=9, epochs=50))
    >>> fit.evaluate(coords).shape
    (20, 30, 1)
    """
    hooks = hooks or ProgressHooks()
    started = time.perf_counter()
    with tf.device(resolve_device(device)):
        rng = np.random.default_rng(params.seed)
        data, pixels = pixel_data(image, weight, coords, rng)
        centres = initial_centres(coords, params.samples, params.initializer, rng)
        weights = LossWeights.from_params(params)
        values = initial_values(image, weight, coords, centres, loss_quantile(weights))
        plan = EpochPlan.build(data, pixels, params.order)
        knobs = Knobs.build(weights, params.regularisation, frame_bounds(coords))
        state = initial_state(tf.constant(centres), tf.constant(values))
        start_loss = _exact(plan, data, knobs, state)
        if not np.isfinite(start_loss):
            raise NumericalError("the starting spline gives a non-finite loss")
        schedule = _Schedule(params, params.learning_rate, start_loss, state)
        preview = None
        if make_preview is not None:
            preview = lambda s: make_preview(_model(s, params, coords))  # noqa: E731
        progress = _Progress(hooks, params, preview)
        init_time = time.perf_counter() - started
        epoch = epoch_function(plan, execution)
        result = _optimise(_Epochs(epoch, data, knobs, plan.steps), schedule, progress, rng, pixels)
    result.device = describe_devices(device)
    result.timings["init"] = init_time
    progress.finish(result)
    return result


def _exact(plan: EpochPlan, data: PixelData, knobs: Knobs, state: TrainState) -> float:
    try:
        return float(exact_loss(plan, data, knobs, state.centres, state.values))
    except tf.errors.InvalidArgumentError as err:  # a singular system outside XLA
        raise NumericalError(f"the spline system cannot be solved: {err.message}") from err


def _model(state: TrainState, params: FitParams, coords: np.ndarray) -> np.ndarray:
    """The state's model at every working pixel, (h, w, C)."""
    spline = solve(state.centres, state.values, params.order, params.regularisation)
    return evaluate_points(spline, coords)


@dataclass(frozen=True)
class _Epochs:
    """The epoch function bound to its data and knobs."""

    run: Callable
    data: PixelData
    knobs: Knobs
    steps: int


def _optimise(
    trainer: _Epochs,
    schedule: _Schedule,
    progress: _Progress,
    rng: np.random.Generator,
    pixels: int,
) -> FitResult:
    """Run epochs until early stopping, the epoch limit or a non-finite loss."""
    params = schedule.params
    state = schedule.best
    history: list[float] = []
    stopped = False
    started = time.perf_counter()
    first_epoch = 0.0
    for epoch in range(1, params.epochs + 1):
        offset = tf.constant(int(rng.integers(pixels)), tf.int32)
        lr = tf.constant(schedule.lr, NUMERICS.dtype)
        state, loss_t = trainer.run(trainer.data, trainer.knobs, state, lr, offset)
        loss = float(loss_t)
        if epoch == 1:
            first_epoch = time.perf_counter() - started
        if not np.isfinite(loss):  # recover: keep the best finite state and stop
            stopped = True
            break
        history.append(loss)
        stopped = schedule.update(epoch, loss, state)
        progress.epoch(epoch, loss, schedule.lr, state)
        if stopped:
            break
    optimise = time.perf_counter() - started
    steady = max(len(history) - 1, 0) * trainer.steps
    best = schedule.best
    spline = solve(best.centres, best.values, params.order, params.regularisation)
    result = FitResult._from_spline(spline, best.values, params.regularisation)
    result.loss_history = history
    result.epochs_run = len(history)
    result.best_epoch = schedule.best_epoch
    result.best_loss = schedule.best_loss
    result.stopped_early = stopped
    result.final_lr = schedule.lr
    result.timings = {
        "optimise": optimise,
        "first_epoch": first_epoch,
        "per_step_ms": 1e3 * (optimise - first_epoch) / steady if steady else float("nan"),
        "steps_per_epoch": float(trainer.steps),
    }
    return result
