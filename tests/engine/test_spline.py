"""The polyharmonic spline against scipy, its own properties, gradients at r = 0, isotropy."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
from scipy.interpolate import RBFInterpolator

from bgoptimizer.engine.model import (
    model_at,
    model_image,
    spline_of,
    spline_values,
    through_samples,
)
from bgoptimizer.engine.spline import evaluate, inverse, phi, solve

SCIPY_KERNELS = {1: "linear", 2: "thin_plate_spline", 3: "cubic"}


def _problem(seed: int = 0, n: int = 24, channels: int = 3):
    rng = np.random.default_rng(seed)
    return rng.random((n, 2)), rng.random((n, channels)), rng.random((300, 2))


def _relative(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).max() / np.abs(b).max())


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("smoothing", [0.0, 0.01])
def test_matches_scipy_in_float64(order: int, smoothing: float) -> None:
    # float64 here: the kernels are dtype-generic, and float32 rounding alone exceeds 1e-5
    # for the cubic kernel's worse-conditioned system (see the float32 test below).
    centres, values, queries = _problem()
    ref = RBFInterpolator(
        centres, values, kernel=SCIPY_KERNELS[order], degree=1, smoothing=smoothing
    )(queries)
    spline = solve(tf.constant(centres), tf.constant(values), order, smoothing)
    assert _relative(evaluate(spline, tf.constant(queries)).numpy(), ref) < 1e-5


def test_float32_thin_plate_close_to_scipy() -> None:
    centres, values, queries = _problem(1)
    ref = RBFInterpolator(centres, values, kernel="thin_plate_spline", degree=1)(queries)
    f32 = [tf.constant(a.astype(np.float32)) for a in (centres, values, queries)]
    assert _relative(evaluate(solve(f32[0], f32[1], 2), f32[2]).numpy(), ref) < 2e-4


def test_order4_interpolates_and_reproduces_linear_functions() -> None:
    centres, values, queries = _problem(2, channels=1)
    spline = solve(tf.constant(centres), tf.constant(values), 4)
    at_centres = evaluate(spline, tf.constant(centres)).numpy()
    np.testing.assert_allclose(at_centres, values, atol=1e-8)

    def linear(p: np.ndarray) -> np.ndarray:
        return (0.3 - 1.5 * p[:, :1] + 2.0 * p[:, 1:]) * [1.0, -2.0]

    spline = solve(tf.constant(centres), tf.constant(linear(centres)), 4)
    np.testing.assert_allclose(
        evaluate(spline, tf.constant(queries)).numpy(), linear(queries), atol=1e-8
    )
    np.testing.assert_allclose(spline.weights.numpy(), 0.0, atol=1e-8)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_phi_is_zero_with_finite_gradient_at_r0(order: int) -> None:
    r2 = tf.constant([0.0, 0.25, 4.0])
    with tf.GradientTape() as tape:
        tape.watch(r2)
        value = phi(r2, order)
    grad = tape.gradient(value, r2).numpy()
    assert value.numpy()[0] == 0.0
    assert np.isfinite(grad).all()
    r = np.sqrt([0.25, 4.0])
    expected = r**order if order % 2 else r**order * np.log(r)
    np.testing.assert_allclose(value.numpy()[1:], expected, rtol=1e-6)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_phi_gradient_is_its_derivative_and_zero_at_r0(order: int) -> None:
    r2 = np.array([0.0, 1e-3, 0.04, 0.7, 3.0])  # float64: central differences to 1e-9
    with tf.GradientTape() as tape:
        points = tf.constant(r2)
        tape.watch(points)
        value = phi(points, order)
    grad = tape.gradient(value, points).numpy()
    step = 1e-7 * r2[1:]
    numeric = phi(tf.constant(r2[1:] + step), order) - phi(tf.constant(r2[1:] - step), order)
    np.testing.assert_allclose(grad[1:], numeric.numpy() / (2 * step), rtol=1e-6)
    assert grad[0] == 0.0


def test_unknown_order_is_refused() -> None:
    with pytest.raises(ValueError, match="order must be one of"):
        phi(tf.constant(1.0), 5)


@pytest.mark.parametrize("order", [1, 2, 3, 4])
def test_gradients_finite_when_points_sit_on_centres(order: int) -> None:
    centres = tf.constant([[0.1, 0.1], [0.1, 0.9], [0.8, 0.2], [0.7, 0.7], [0.4, 0.5]])
    values = tf.constant([[0.2], [0.3], [0.1], [0.4], [0.25]])
    with tf.GradientTape() as tape:
        tape.watch([centres, values])
        spline = solve(centres, values, order)
        loss = tf.reduce_sum(evaluate(spline, centres) ** 2)
    grads = tape.gradient(loss, [centres, values])
    assert all(np.isfinite(g.numpy()).all() for g in grads)


def test_gradient_matches_finite_differences() -> None:
    centres, values, queries = _problem(3, n=8, channels=2)
    c, v, q = tf.constant(centres), tf.constant(values), tf.constant(queries[:20])

    def loss(c: tf.Tensor) -> tf.Tensor:
        return tf.reduce_sum(tf.sin(evaluate(solve(c, v, 2, 0.001), q)))

    with tf.GradientTape() as tape:
        tape.watch(c)
        value = loss(c)
    grad = tape.gradient(value, c).numpy()
    step = np.zeros_like(centres)
    step[3, 1] = 1e-6
    numeric = (loss(c + step) - loss(c - step)).numpy() / 2e-6
    assert grad[3, 1] == pytest.approx(numeric, rel=1e-5)


def test_inverse_pivots_and_matches_numpy() -> None:
    rng = np.random.default_rng(3)
    centres = rng.random((12, 2))
    r2 = ((centres[:, None] - centres[None]) ** 2).sum(-1)
    kernel = np.where(r2 > 0, 0.5 * r2 * np.log(np.where(r2 > 0, r2, 1)), 0.0)
    basis = np.hstack([np.ones((12, 1)), centres])
    # The spline's own system: a zero diagonal and a zero 3 x 3 block, so pivots are needed.
    saddle = np.block([[kernel, basis], [basis.T, np.zeros((3, 3))]])
    traced = tf.function(inverse)  # compiled code takes the Gauss-Jordan path
    for matrix in (saddle, rng.normal(size=(9, 9))):
        for invert in (traced, inverse):
            got = invert(tf.constant(matrix)).numpy()
            np.testing.assert_allclose(got @ matrix, np.eye(len(matrix)), atol=1e-9)
            np.testing.assert_allclose(got, np.linalg.inv(matrix), rtol=1e-8, atol=1e-10)
    singular = tf.constant([[1.0, 2.0], [2.0, 4.0]])
    assert not np.isfinite(traced(singular).numpy()).all()
    with pytest.raises(tf.errors.InvalidArgumentError):
        inverse(singular)


def test_isotropic_on_a_3_by_2_frame() -> None:
    # A 4-fold symmetric spline around the centre of a 300 x 200 frame: pixels the same
    # distance away along rows and columns must agree, which fails if x and y were scaled
    # by the width and the height separately.
    height, width = 200, 300
    middle = np.array([100.5, 150.5]) / width
    ring = [middle + 0.2 * np.array([np.sin(a), np.cos(a)]) for a in np.arange(8) * np.pi / 4]
    result = through_samples(np.vstack([middle, *ring]), np.array([[1.0]] + [[0.0]] * 8))
    model = model_image(result, height, width, chunk_pixels=7 * width, tolerance=0)[..., 0]
    for d in (10, 30, 60):
        along = [model[100 + d, 150], model[100 - d, 150], model[100, 150 + d], model[100, 150 - d]]
        np.testing.assert_allclose(along, along[0], atol=1e-5)


def test_model_image_is_chunk_independent_and_on_pixel_centres() -> None:
    rng = np.random.default_rng(4)
    result = through_samples(rng.random((10, 2)) * [0.5, 1.0], rng.random((10, 2)))
    whole = model_image(result, 37, 74, tolerance=0)
    chunked = model_image(result, 37, 74, chunk_pixels=5 * 74 + 3, tolerance=0)
    np.testing.assert_array_equal(whole, chunked)
    assert whole.dtype == np.float32 and whole.shape == (37, 74, 2)
    rows, cols = np.meshgrid(np.arange(37), np.arange(74), indexing="ij")
    coords = np.stack([rows + 0.5, cols + 0.5], -1) / 74
    np.testing.assert_allclose(whole, spline_values(spline_of(result), coords), atol=1e-5)
    np.testing.assert_allclose(whole[3, 5], model_at(result, coords[3, 5]), atol=1e-5)
    seen = []

    def square(block: np.ndarray) -> np.ndarray:
        seen.append(block.shape[0])
        return block**2

    mapped = model_image(result, 37, 74, chunk_pixels=5 * 74 + 3, transform=square, tolerance=0)
    np.testing.assert_array_equal(mapped, whole**2)
    assert seen == [5] * 7 + [2]  # each chunk once, the padded tail trimmed first
