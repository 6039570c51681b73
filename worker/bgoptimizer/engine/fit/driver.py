"""Fit the background spline: Adam on sample positions and values, with a plateau schedule.

The driver around :mod:`bgoptimizer.engine.fit.train`'s compiled epochs, which keep the best
state by the exact loss, lower the learning rate on plateaus and stop early by themselves.
Python runs between calls of many epochs (about ``REPORT_INTERVAL`` each): it reports
progress (at most ~10 events a second, plus live previews), checks for cancellation, and
chains the first pass and the rejection refits.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ...exceptions import NumericalError
from ...params import FitParams
from ...progress import ProgressEvent, ProgressHooks, Stage
from ..model import fit_of, model_at, spline_values
from ..runtime.devices import describe_devices, resolve_device
from ..runtime.numerics import NUMERICS
from ..spline import solve
from .init import (
    check_inputs,
    frame_bounds,
    initial_centres,
    initial_values,
    loss_quantile,
    padded_pixels,
    pixel_data,
)
from .loss import LossWeights
from .rejection import Rejection, reject_outliers, relocate
from .result import FitResult
from .train import (
    EPOCHS_PER_CALL,
    EpochPlan,
    Knobs,
    PixelData,
    Tracker,
    TrainState,
    epochs_function,
    exact_loss,
    initial_state,
    start_tracker,
)

__all__ = ["FitResult", "compile_ahead", "fit_spline"]

REPORT_INTERVAL = 0.1
"""Seconds between plain progress events."""

REFIT_PATIENCE_SHARE = 0.5
"""A warm-started refit waits this share of ``patience`` / ``lr_patience`` (halves its cost)."""


class _FitProgress:
    """The one throttle of progress events (every :data:`REPORT_INTERVAL`), with optional live
    previews and the cancel check (:class:`~bgoptimizer.progress.JobProgress` places them
    in the job).
    """

    def __init__(
        self,
        hooks: ProgressHooks,
        params: FitParams,
        preview: Callable[[TrainState], np.ndarray] | None,
        passes: int = 1,
    ) -> None:
        self.hooks, self.params, self.preview = hooks, params, preview
        self.passes, self.index, self.done, self.in_pass = passes, 0, 0, 0
        self.start = time.perf_counter()
        self.last = -float("inf")

    def next_pass(self) -> None:
        """Start the next pass: its epochs are numbered on from the previous pass's."""
        self.index += 1
        self.in_pass = 0

    def until_preview(self) -> int:
        """Epochs until the next live preview is due (a call must end there), or the most
        one call runs when there are no previews.
        """
        every = self.params.preview_every
        if self.preview is None or every <= 0:
            return EPOCHS_PER_CALL
        return every - self.done % every

    def epochs(self, count: int, loss: float, lr: float, state: TrainState) -> None:
        """After a call that ran ``count`` epochs: check for cancellation, then report if it
        is time to (with a preview when the epoch count reached a multiple of
        ``preview_every``).

        Events carry the epoch count over all passes, and the progress is the pass's share of
        the whole (each pass gets an equal share).
        """
        self.hooks.check_cancel()
        self.done += count
        self.in_pass += count
        every = self.params.preview_every
        with_preview = self.preview is not None and every > 0 and self.done % every == 0
        now = time.perf_counter()
        if with_preview or now - self.last >= REPORT_INTERVAL:
            self.last = now
            share = (self.index + self.in_pass / self.params.epochs) / self.passes
            self.hooks.report(
                ProgressEvent(
                    stage=Stage.OPTIMISING,
                    progress=share,
                    elapsed=now - self.start,
                    message=f"pass {self.index + 1}/{self.passes}, epoch {self.in_pass}: "
                    f"loss {loss:.6g}",
                    epoch=self.done,
                    epochs=self.params.epochs * self.passes,
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
                epochs=self.params.epochs * self.passes,
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
    preview_coords: np.ndarray | None = None,
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
        ``model (h', w', C) -> preview``; called every ``params.preview_every`` epochs with
        the current model at ``preview_coords``.
    preview_coords
        (h', w', 2) points the previews are made at (default ``coords``): a preview can be
        sharper than the working image.
    device
        ``auto``, ``cpu`` or ``gpu``.
    execution
        ``xla`` (default: compiled epochs, fastest once compiled), ``graph`` (a plain
        TensorFlow graph: no compile time, slower steps) or ``eager`` (parity tests).

    Returns
    -------
    FitResult
        The last pass's best state by exact loss (see ``params.rejection_passes``).

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
    >>> from bgoptimizer.engine.model import model_at
    >>> model_at(fit, coords).shape
    (20, 30, 1)
    """
    hooks = hooks or ProgressHooks()
    passes = params.rejection_passes + 1
    preview = None
    if make_preview is not None:
        at = coords if preview_coords is None else preview_coords
        preview = lambda s: make_preview(_model(s, params, at))  # noqa: E731
    progress = _FitProgress(hooks, params, preview, passes)
    with tf.device(resolve_device(device)):
        rng = np.random.default_rng(params.seed)
        check_inputs(image, weight, coords)
        centres = initial_centres(coords, params.samples, params.initializer, rng)
        loss_weights = LossWeights.from_params(params)
        values = initial_values(image, weight, coords, centres, loss_quantile(loss_weights))
        problem = _Problem(image, coords, loss_weights, frame_bounds(coords), params, execution)
        results, rejections, objects = problem.run(weight, centres, values, rng, progress)
    result = _combine(results, rejections)
    result.objects = objects
    result.device = describe_devices(device)
    progress.finish(result)
    return result


def compile_ahead(
    shape: tuple[int, int, int], params: FitParams, *, device: str = "auto", execution: str = "xla"
) -> None:
    """Trace and compile the fit's epochs for an (h, w, C) working image, before its data exist.

    One zero-epoch call on zeros of the shapes :func:`fit_spline` will pass, so its own first
    call finds the compiled code (in memory, and in the XLA cache on disk). The pipeline runs
    this on a thread while it stretches and downscales the image: tracing, compilation or the
    cache's load (1–4 s on a 2-core CPU) overlap that work instead of following it.
    """
    height, width, channels = shape
    pixels = height * width
    dtype = NUMERICS.dtype.as_numpy_dtype
    rows = padded_pixels(pixels)
    zeros = lambda *dims: tf.constant(np.zeros(dims, dtype))  # noqa: E731
    data = PixelData(zeros(rows, 2), zeros(rows, channels), zeros(rows, channels), zeros(rows))
    plan = EpochPlan.build(data, pixels, params.order)
    weights = LossWeights.from_params(params)
    knobs = Knobs.build(weights, params.regularisation, np.zeros((2, 2), dtype), params)
    state = initial_state(zeros(params.samples, 2), zeros(params.samples, channels))
    tracker = start_tracker(params.learning_rate, 0.0, state)
    offsets = tf.zeros((EPOCHS_PER_CALL,), tf.int32)
    with tf.device(resolve_device(device)):
        epochs_function(plan, execution)(data, knobs, state, tracker, offsets, tf.constant(0))


@dataclass(frozen=True)
class _Problem:
    """What stays the same between the passes of one fit."""

    image: np.ndarray
    coords: np.ndarray
    loss_weights: LossWeights
    bounds: np.ndarray
    params: FitParams
    execution: str

    def run(
        self,
        weight: np.ndarray,
        centres: np.ndarray,
        values: np.ndarray,
        rng: np.random.Generator,
        progress: _FitProgress,
    ) -> tuple[list[FitResult], list[Rejection], np.ndarray | None]:
        """The first pass, then ``rejection_passes`` refits, each warm-started from the
        previous pass's samples with the blocks far above its model rejected (the rejection
        starts from ``weight`` every time, so a block rejected once can come back; the last one
        gives back the faint parts of deep edge areas, see
        :func:`~bgoptimizer.engine.fit.rejection.reject_outliers`). When
        refits follow, the first pass uses ``first_regularisation``: a stiffer spline that
        leaves the objects in its residual for the rejection to find. Also returns the blocks
        the last refit was kept away from (None without refits).
        """
        params = self.params
        first = params.first_regularisation if params.rejection_passes else params.regularisation
        results = [self.fit(weight, centres, values, rng, progress, first, refit=False)]
        rejections: list[Rejection] = []
        objects = None
        for index in range(params.rejection_passes):
            previous = results[-1]
            fit_weight, rejection = reject_outliers(
                self.image,
                weight,
                model_at(previous, self.coords),
                sigma_k=params.rejection_sigma,
                grow=params.rejection_grow,
                final=index == params.rejection_passes - 1,
            )
            rejections.append(rejection)
            objects = (weight > 0).any(axis=2) & ~(fit_weight > 0).any(axis=2)
            centres, values = self._restart(previous, fit_weight)
            progress.next_pass()
            results.append(
                self.fit(
                    fit_weight, centres, values, rng, progress, params.regularisation, refit=True
                )
            )
        return results, rejections, objects

    def _restart(self, previous: FitResult, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The previous pass's samples, those on rejected blocks moved to the nearest kept
        block and started from the sky there (the loss's quantile of the kept blocks nearby).
        """
        centres, moved = relocate(previous.centres, self.coords, weight)
        values = np.array(previous.values, copy=True)
        if moved.any():
            quantile = loss_quantile(self.loss_weights)
            local = initial_values(self.image, weight, self.coords, centres, quantile, blend=False)
            values[moved] = local[moved]
        return centres, values

    def fit(
        self,
        weight: np.ndarray,
        centres: np.ndarray,
        values: np.ndarray,
        rng: np.random.Generator,
        progress: _FitProgress,
        regularisation: float,
        *,
        refit: bool,
    ) -> FitResult:
        """One pass from the given samples with the given weights (fresh Adam moments).

        Every pass has the same working shape, so they share one compiled epoch function.
        """
        started = time.perf_counter()
        data, pixels = pixel_data(self.image, weight, self.coords, rng)
        plan = EpochPlan.build(data, pixels, self.params.order)
        state = initial_state(tf.constant(centres), tf.constant(values))
        params = _refit_schedule(self.params) if refit else self.params
        knobs = Knobs.build(self.loss_weights, regularisation, self.bounds, params)
        start_loss = _start_loss(plan, data, knobs, state)
        tracker = start_tracker(params.learning_rate, start_loss, state)
        offsets = rng.integers(pixels, size=params.epochs).astype(np.int32)
        init_time = time.perf_counter() - started
        trainer = _Epochs(epochs_function(plan, self.execution), data, knobs, plan.steps)
        result = _optimise(trainer, state, tracker, offsets, progress, params)
        result.timings["init"] = init_time
        return result


def _refit_schedule(params: FitParams) -> FitParams:
    """A refit's schedule: it starts next to its optimum, so its waits are shorter.

    Examples
    --------
    >>> p = _refit_schedule(FitParams())
    >>> (p.patience, p.lr_patience)
    (25, 10)
    """
    share = REFIT_PATIENCE_SHARE
    return dataclasses.replace(
        params,
        patience=max(1, round(params.patience * share)),
        lr_patience=max(1, round(params.lr_patience * share)),
    )


def _combine(results: list[FitResult], rejections: list[Rejection]) -> FitResult:
    """The last pass's spline with every pass's epochs, losses and times.

    ``loss_history`` runs through all passes (each pass's losses use its own weights) and
    ``best_epoch`` counts through them too: the epochs of the earlier passes plus the last
    pass's best epoch (so ``best_epoch`` equal to the earlier passes' epochs means the last
    pass kept its starting state); ``best_loss``, ``stopped_early`` and ``final_lr`` are the
    last pass's.
    """
    last = results[-1]
    before = sum(r.epochs_run for r in results[:-1])
    last.best_epoch = before + last.best_epoch
    last.loss_history = [loss for r in results for loss in r.loss_history]
    last.epochs_run = len(last.loss_history)
    timings = {key: sum(r.timings.get(key, 0.0) for r in results) for key in ("init", "optimise")}
    last.timings.update(timings)
    last.timings["first_epoch"] = results[0].timings["first_epoch"]
    last.timings["passes"] = float(len(results))
    last.rejections = [r.to_dict() for r in rejections]
    return last


def _start_loss(plan: EpochPlan, data: PixelData, knobs: Knobs, state: TrainState) -> float:
    """The exact loss of the starting samples, or :class:`NumericalError` when they make no
    spline (a singular system: all samples on one line, or two at one place; run eagerly,
    its inverse raises) or a non-finite loss.
    """
    try:
        loss = float(exact_loss(plan, data, knobs, state.centres, state.values))
    except tf.errors.InvalidArgumentError as err:
        raise NumericalError(
            "the spline system cannot be solved: the samples are all on one line or coincide"
        ) from err
    if not np.isfinite(loss):
        raise NumericalError("the starting spline gives a non-finite loss")
    return loss


def _model(state: TrainState, params: FitParams, coords: np.ndarray) -> np.ndarray:
    """The state's model at every working pixel, (h, w, C)."""
    spline = solve(state.centres, state.values, params.order, params.regularisation)
    return spline_values(spline, coords)


@dataclass(frozen=True)
class _Epochs:
    """The compiled epochs bound to their data and knobs."""

    run: Callable
    data: PixelData
    knobs: Knobs
    steps: int

    def __call__(
        self, state: TrainState, tracker: Tracker, offsets: np.ndarray
    ) -> tuple[TrainState, Tracker, list[float], bool]:
        """Run ``len(offsets)`` epochs (fewer if the schedule stops or a loss is not finite);
        the losses of those run, and whether the last one was finite.
        """
        count = len(offsets)
        padded = np.zeros(EPOCHS_PER_CALL, np.int32)
        padded[:count] = offsets
        before = int(tracker.epoch)
        state, tracker, losses, finite = self.run(
            self.data, self.knobs, state, tracker, tf.constant(padded), tf.constant(count)
        )
        ran = int(tracker.epoch) - before
        return state, tracker, losses.numpy()[:ran].tolist(), bool(finite)


def _epochs_per_call(seconds: float, epochs: int) -> int:
    """How many epochs the next call should run to last about ``REPORT_INTERVAL``.

    Examples
    --------
    >>> _epochs_per_call(0.05, 10), _epochs_per_call(0.0, 10), _epochs_per_call(9.0, 1)
    (20, 256, 1)
    """
    if seconds <= 0:
        return EPOCHS_PER_CALL
    return int(min(max(REPORT_INTERVAL * epochs / seconds, 1), EPOCHS_PER_CALL))


def _optimise(
    trainer: _Epochs,
    state: TrainState,
    tracker: Tracker,
    offsets: np.ndarray,
    progress: _FitProgress,
    params: FitParams,
) -> FitResult:
    """Run calls of many epochs until early stopping, the epoch limit or a non-finite loss.

    The first call runs one epoch (its time, with the compilation, is ``first_epoch``); each
    later call runs as many as last about ``REPORT_INTERVAL``, ending where a live preview is
    due. The epochs' results do not depend on how they are split between calls.
    """
    history: list[float] = []
    finite = True
    started = time.perf_counter()
    first_epoch = 0.0
    per_call = 1
    while len(history) < params.epochs and finite and not bool(tracker.stop):
        count = min(per_call, params.epochs - len(history), progress.until_preview())
        done = len(history)
        called = time.perf_counter()
        state, tracker, losses, finite = trainer(state, tracker, offsets[done : done + count])
        seconds = time.perf_counter() - called
        history += losses
        if done == 0:
            first_epoch = time.perf_counter() - started
        else:
            per_call = _epochs_per_call(seconds, len(losses))
        if losses:
            progress.epochs(len(losses), losses[-1], float(tracker.lr), state)
    optimise = time.perf_counter() - started
    steady = max(len(history) - 1, 0) * trainer.steps
    regularisation = float(trainer.knobs.regularisation)
    spline = solve(tracker.best_centres, tracker.best_values, params.order, regularisation)
    result = fit_of(spline, tracker.best_values, regularisation)
    result.loss_history = history
    result.epochs_run = len(history)
    result.best_epoch = int(tracker.best_epoch)
    result.best_loss = float(tracker.best_loss)
    result.stopped_early = bool(tracker.stop) or not finite
    result.final_lr = float(tracker.lr)
    result.timings = {
        "optimise": optimise,
        "first_epoch": first_epoch,
        "per_step_ms": 1e3 * (optimise - first_epoch) / steady if steady else float("nan"),
        "steps_per_epoch": float(trainer.steps),
    }
    return result
