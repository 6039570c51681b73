"""The upsampled model against the exact evaluation at every pixel: within 1e-4 of the range."""

from __future__ import annotations

import numpy as np
import pytest

from bgoptimizer.engine.fit.driver import fit_spline
from bgoptimizer.engine.model import MODEL_TOLERANCE, catmull_rom, model_image, through_samples
from bgoptimizer.engine.synthetic import make_sky
from bgoptimizer.engine.working import prepare
from bgoptimizer.params import FitParams


def _deviation(fast: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Per-channel largest deviation as a share of the exact model's range."""
    span = exact.max(axis=(0, 1)) - exact.min(axis=(0, 1))
    return np.abs(fast - exact).max(axis=(0, 1)) / span


def test_catmull_rom_reproduces_quadratics() -> None:
    weights = catmull_rom(7)
    u = np.arange(7) / 7
    nodes = np.arange(-1, 3)[:, None]
    np.testing.assert_allclose(weights.sum(axis=0), 1.0, atol=1e-12)
    np.testing.assert_allclose((nodes * weights).sum(axis=0), u, atol=1e-12)
    np.testing.assert_allclose((nodes**2 * weights).sum(axis=0), u**2, atol=1e-12)


def test_a_fitted_sky_model_is_within_tolerance() -> None:
    height, width = 600, 900
    sky = make_sky(height, width, channels=3, seed=3)
    params = FitParams()
    work = prepare(sky.image, params)
    fit = fit_spline(work.image, work.weight, work.coords, params, device="cpu")
    exact = model_image(fit, height, width, tolerance=0)
    fast = model_image(fit, height, width)
    assert fast.shape == exact.shape and fast.dtype == np.float32
    assert (_deviation(fast, exact) <= MODEL_TOLERANCE).all()
    assert (fast != exact).any()  # it did interpolate


@pytest.mark.parametrize("order", [3, 4])  # 2, the default, is the fitted sky above
def test_splines_of_every_smooth_order_are_within_tolerance(order: int) -> None:
    rng = np.random.default_rng(order)
    centres = rng.random((16, 2)) * [2 / 3, 1.0]
    result = through_samples(centres, rng.random((16, 2)), order, regularisation=0.1)
    exact = model_image(result, 301, 457, tolerance=0)
    fast = model_image(result, 301, 457)
    assert (_deviation(fast, exact) <= MODEL_TOLERANCE).all()
    assert (fast != exact).any()


def test_a_kernel_with_corners_falls_back_to_the_exact_evaluation() -> None:
    # r (order 1) has a cone at every centre: no cubic meets 1e-4 there without 1-pixel cells.
    rng = np.random.default_rng(2)
    result = through_samples(rng.random((20, 2)) * [0.5, 1.0], rng.random((20, 1)), 1)
    np.testing.assert_array_equal(
        model_image(result, 150, 300), model_image(result, 150, 300, tolerance=0)
    )


def test_the_transform_sees_each_band_once() -> None:
    rng = np.random.default_rng(5)
    result = through_samples(rng.random((12, 2)) * [0.5, 1.0], rng.random((12, 3)))
    plain = model_image(result, 200, 400)
    seen = []

    def double(block: np.ndarray) -> np.ndarray:
        seen.append(block.shape)
        return block * 2

    np.testing.assert_array_equal(
        model_image(result, 200, 400, chunk_pixels=30 * 400, transform=double), plain * 2
    )
    assert seen == [(30, 400, 3)] * 6 + [(20, 400, 3)]
