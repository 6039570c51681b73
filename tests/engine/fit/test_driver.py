"""The fit: recovery of a smooth gradient, the overshoot term, schedule, hooks, parity.

Long fits run as plain TensorFlow graphs (``execution="graph"``: the same code, traced in
about a second, no XLA compile), short ones eagerly; XLA compiles one problem (RGB 30 x 45,
N = 9) for the reproducibility and parity tests.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from bgoptimizer.engine.fit.driver import fit_spline
from bgoptimizer.engine.fit.init import frame_bounds, initial_centres, pixel_data
from bgoptimizer.engine.fit.loss import LossWeights
from bgoptimizer.engine.fit.train import EpochPlan, Knobs, exact_loss
from bgoptimizer.engine.model import model_at
from bgoptimizer.exceptions import CancelledError, NumericalError, ParameterError
from bgoptimizer.params import FitParams
from bgoptimizer.progress import ProgressEvent, ProgressHooks, Stage


def _coords(h: int, w: int) -> np.ndarray:
    """Working-pixel centres of a 4x downscale, over max(H, W) as the pipeline makes them."""
    scale = 4 * max(h, w)
    yy, xx = np.meshgrid(
        (np.arange(h) * 4 + 2) / scale, (np.arange(w) * 4 + 2) / scale, indexing="ij"
    )
    return np.stack([yy, xx], -1).astype(np.float32)


def _gradient(coords: np.ndarray, channels: int = 1) -> np.ndarray:
    y, x = coords[..., 0], coords[..., 1]
    sky = 0.2 + 0.15 * x - 0.1 * y + 0.05 * np.exp(-((x - 0.3) ** 2 + (y - 0.2) ** 2) / 0.05)
    tint = np.array([1.0, 0.9, 1.1][:channels])
    return (sky[..., None] * tint).astype(np.float32)


def _with_stars(image: np.ndarray, seed: int = 0, noise: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = image + rng.normal(0, noise, image.shape) if noise else image.copy()
    h, w = image.shape[:2]
    for r, c in zip(rng.integers(0, h, 25), rng.integers(0, w, 25), strict=True):
        out[r, c] += 0.5
    return out.astype(np.float32)


def _params(**kw: object) -> FitParams:
    base = {
        "samples": 9,
        "epochs": 150,
        "learning_rate": 0.005,
        "patience": 40,
        "rejection_passes": 0,  # one pass: these tests check the schedule of a single fit
    }
    return FitParams.from_mapping({**base, **kw})


def test_recovers_a_smooth_gradient_under_stars() -> None:
    coords = _coords(24, 36)
    truth = _gradient(coords)
    image = _with_stars(truth)
    fit = fit_spline(image, np.ones_like(image), coords, _params(), execution="graph")
    model = model_at(fit, coords)
    span = truth.max() - truth.min()
    assert np.sqrt(np.mean((model - truth) ** 2)) < 0.02 * span
    assert fit.best_loss < fit.loss_history[0]
    assert fit.centres.shape == (9, 2) and fit.values.shape == (9, 1)
    low, high = frame_bounds(coords)
    assert (fit.centres >= low).all() and (fit.centres <= high).all()


def test_overshoot_term_keeps_the_model_under_the_data() -> None:
    coords = _coords(20, 30)
    image = _with_stars(_gradient(coords), seed=1, noise=0.01)
    below = {}
    for alpha in (0.0, 5.0):
        fit = fit_spline(
            image, np.ones_like(image), coords, _params(alpha=alpha), execution="graph"
        )
        below[alpha] = float(np.mean(image >= model_at(fit, coords)))
    # alpha 0: a median fit (about half the pixels above); alpha 5: the 1/12 quantile.
    assert below[0.0] < 0.7
    assert below[5.0] > 0.85


def test_missing_pixels_do_not_poison_the_fit() -> None:
    coords = _coords(16, 24)
    image = _gradient(coords, 3)
    weight = np.ones_like(image)
    image[:4], weight[:4] = np.nan, 0.0
    image[5, 5, 1] = np.inf  # a bad value whose weight was left at 1
    fit = fit_spline(image, weight, coords, _params(epochs=5), execution="eager")
    assert np.isfinite(fit.loss_history).all() and np.isfinite(fit.values).all()


def test_nothing_to_fit_and_bad_shapes_are_parameter_errors() -> None:
    coords = _coords(8, 8)
    image = _gradient(coords)
    with pytest.raises(ParameterError, match="weight is 0 everywhere"):
        fit_spline(image, np.zeros_like(image), coords, _params(), execution="eager")
    with pytest.raises(ParameterError, match="coords must be"):
        fit_spline(image, np.ones_like(image), coords[:4], _params(), execution="eager")
    with pytest.raises(ParameterError, match="weight shape"):
        fit_spline(image, np.ones((8, 8, 3), np.float32), coords, _params(), execution="eager")


def test_unsolvable_start_is_a_numerical_error() -> None:
    coords = _coords(1, 40)  # one row: every sample on one line, the linear term is singular
    image = _gradient(coords)
    with pytest.raises(NumericalError, match="cannot be solved"):
        fit_spline(image, np.ones_like(image), coords, _params(), execution="eager")


def test_grid_keeps_the_frame_aspect_and_random_is_seeded() -> None:
    coords = _coords(20, 30)
    grid = initial_centres(coords, 24, "grid", np.random.default_rng(0))
    rows = np.unique(grid[:, 0].round(6))
    assert len(grid) == 24 and len(rows) == 4  # 4 rows of 6 on a 3:2 frame
    a = initial_centres(coords, 24, "random", np.random.default_rng(5))
    b = initial_centres(coords, 24, "random", np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert (a >= coords.min((0, 1))).all() and (a <= coords.max((0, 1))).all()


def test_cancel_stops_at_the_first_check_that_says_so() -> None:
    coords = _coords(12, 18)
    image = _gradient(coords)
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) == 3

    hooks = ProgressHooks(is_cancelled=cancelled)
    with pytest.raises(CancelledError, match="cancelled"):
        fit_spline(image, np.ones_like(image), coords, _params(), hooks=hooks, execution="eager")
    assert len(calls) == 3


def test_progress_events_and_live_previews() -> None:
    coords = _coords(12, 18)
    image = _gradient(coords, 3)
    events: list[ProgressEvent] = []
    shapes = []

    def preview(model: np.ndarray) -> np.ndarray:
        shapes.append(model.shape)
        return model

    fit_spline(
        image,
        np.ones_like(image),
        coords,
        _params(epochs=6, preview_every=2),
        hooks=ProgressHooks(on_event=events.append),
        make_preview=preview,
        execution="eager",
    )
    with_preview = [e.epoch for e in events if e.preview is not None]
    assert with_preview == [2, 4, 6] and shapes == [(12, 18, 3)] * 3
    assert all(e.stage is Stage.OPTIMISING and 0 < e.progress <= 1 for e in events)
    assert events[-1].progress == 1.0 and events[-1].message.startswith("best epoch")
    assert events[-1].epochs == 6 and events[-1].lr == pytest.approx(0.005)


def test_early_stopping_restores_the_best_state_and_lowers_the_rate() -> None:
    # lr 0.02 overshoots from the robust start (with α 5): no epoch beats it, the rate is
    # halved on each plateau, the fit stops early and must hand back the starting state.
    coords = _coords(24, 36)
    image = _with_stars(_gradient(coords), noise=0.02)
    params = _params(
        epochs=400,
        learning_rate=0.02,
        patience=12,
        lr_patience=4,
        lr_factor=0.5,
        min_delta=1e-4,
        alpha=5.0,
    )
    fit = fit_spline(image, np.ones_like(image), coords, params, execution="graph")
    assert fit.stopped_early and fit.epochs_run == params.patience
    assert fit.best_epoch < fit.epochs_run and fit.best_loss <= min(fit.loss_history)
    assert fit.final_lr == pytest.approx(0.02 * 0.5**3)  # plateaus at epochs 4, 8, 12
    # The returned spline is the best state: its exact loss is best_loss.
    data, pixels = pixel_data(image, np.ones_like(image), coords, np.random.default_rng(0))
    plan = EpochPlan.build(data, pixels, params.order)
    knobs = Knobs.build(
        LossWeights.from_params(params), params.regularisation, frame_bounds(coords), params
    )
    again = exact_loss(plan, data, knobs, tf.constant(fit.centres), tf.constant(fit.values))
    assert float(again) == pytest.approx(fit.best_loss, rel=1e-5)


def test_kept_state_is_the_lowest_loss_epoch() -> None:
    coords = _coords(24, 36)
    image = _with_stars(_gradient(coords), noise=0.02)
    params = _params(epochs=60, learning_rate=0.01, min_delta=0.0)
    fit = fit_spline(image, np.ones_like(image), coords, params, execution="graph")
    history = np.array(fit.loss_history)
    assert fit.best_epoch == int(history.argmin()) + 1
    assert fit.best_loss == pytest.approx(history.min())
    assert fit.best_loss < history[0]


@pytest.fixture(scope="module")
def compiled_problem() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    coords = _coords(30, 45)
    image = _with_stars(_gradient(coords, 3), noise=0.01)
    return image, np.ones_like(image), coords


def test_same_seed_same_result(compiled_problem) -> None:
    params = _params(epochs=8, initializer="random", seed=7)
    first = fit_spline(*compiled_problem, params)
    second = fit_spline(*compiled_problem, params)
    np.testing.assert_array_equal(first.centres, second.centres)
    np.testing.assert_array_equal(first.values, second.values)
    assert first.loss_history == second.loss_history
    other = fit_spline(*compiled_problem, _params(epochs=8, initializer="random", seed=8))
    assert not np.array_equal(first.centres, other.centres)


@pytest.mark.parametrize("execution", ["xla", "graph"])
def test_eager_and_compiled_agree(compiled_problem, execution: str) -> None:
    # XLA fuses and reorders float32 arithmetic, so runs drift apart by rounding only; Adam
    # can turn a rounding-level gradient into a step of up to lr, hence the tolerance of
    # 1/80 of the largest possible movement (8 steps of lr 0.005 = 0.04).
    params = _params(epochs=8, initializer="random", seed=7)
    compiled = fit_spline(*compiled_problem, params, execution=execution)
    eager = fit_spline(*compiled_problem, params, execution="eager")
    np.testing.assert_allclose(compiled.centres, eager.centres, atol=5e-4)
    np.testing.assert_allclose(compiled.values, eager.values, atol=5e-4)
    np.testing.assert_allclose(compiled.loss_history, eager.loss_history, rtol=1e-3)
    assert compiled.timings["per_step_ms"] > 0 and compiled.device == "CPU"


def test_epochs_give_the_same_result_however_they_are_split_between_calls(
    compiled_problem, monkeypatch
) -> None:
    """The driver sizes its calls by the clock; the numbers must not depend on it."""
    from bgoptimizer.engine.fit import driver as fit_module

    params = _params(epochs=12, initializer="random", seed=3)
    together = fit_spline(*compiled_problem, params)
    monkeypatch.setattr(fit_module, "_epochs_per_call", lambda seconds, epochs: 1)
    one_by_one = fit_spline(*compiled_problem, params)
    np.testing.assert_array_equal(together.centres, one_by_one.centres)
    np.testing.assert_array_equal(together.values, one_by_one.values)
    assert together.loss_history == one_by_one.loss_history
    assert together.best_epoch == one_by_one.best_epoch


@pytest.fixture
def poisoned_loss(monkeypatch: pytest.MonkeyPatch) -> tf.Variable:
    """The real exact loss inside the compiled epochs, turned to NaN from its 6th call on
    (what a diverging step gives); the count of calls is returned."""
    from bgoptimizer.engine.fit import train as fit_train

    real, calls = fit_train.exact_loss, tf.Variable(0)

    def poisoned(*args: object) -> tf.Tensor:
        loss = real(*args)
        return tf.where(calls.assign_add(1) >= 6, tf.constant(np.nan, loss.dtype), loss)

    monkeypatch.setattr(fit_train, "exact_loss", poisoned)
    fit_train.epochs_function.cache_clear()
    yield calls
    fit_train.epochs_function.cache_clear()  # no poisoned function left for other tests


def test_a_non_finite_loss_ends_the_fit_on_the_best_finite_state(poisoned_loss) -> None:
    coords = _coords(12, 18)
    image = _gradient(coords)
    fit = fit_spline(image, np.ones_like(image), coords, _params(epochs=50), execution="graph")
    assert fit.epochs_run == 5 and fit.stopped_early and int(poisoned_loss) == 6
    history = np.array(fit.loss_history)
    assert np.all(np.isfinite(history)) and np.all(np.isfinite(fit.values))
    assert fit.best_loss == history.min() and fit.best_epoch == 1 + int(history.argmin())
    assert np.isfinite(model_at(fit, coords)).all()
