"""Iterative residual rejection: the one-sided robust test, growing, the guard, and the refit
keeping a bright extended object out of the model."""

from __future__ import annotations

import numpy as np
import pytest

from bgoptimizer.fit import fit_spline
from bgoptimizer.params import FitParams
from bgoptimizer.rejection import MAD_TO_SIGMA, reject_outliers, robust_sigma


def _noise(shape: tuple[int, ...], sigma: float = 0.01, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, sigma, shape).astype(np.float32)


def test_robust_sigma_ignores_outliers_and_unused_pixels() -> None:
    r = _noise((40, 40, 2), 0.01)
    r[:5, :5] = 5.0  # a bright object
    used = np.ones_like(r, bool)
    used[..., 1] = False  # channel 1 has no weighted pixel
    centre, sigma = robust_sigma(r, used)
    assert sigma[0] == pytest.approx(0.01, rel=0.1) and abs(centre[0]) < 0.002
    assert sigma[1] == 0.0 and centre[1] == 0.0
    assert MAD_TO_SIGMA == pytest.approx(1 / 0.6745, rel=1e-3)


def test_rejects_blocks_above_the_model_only_and_grows_them() -> None:
    model = np.full((30, 40, 3), 0.2, np.float32)
    image = model + _noise(model.shape, 0.01)
    image[10:14, 20:24] += 0.2  # object: far above the model
    image[20:24, 5:9] -= 0.2  # far below: not an object, kept
    weight = np.ones_like(image)
    weight[0, 0] = 0.0
    out, rejection = reject_outliers(image, weight, model, sigma_k=3.0, grow=1)
    rejected = out[..., 0] == 0
    assert rejected[9:15, 19:25].all()  # the object grown by one block on every side
    assert not rejected[20:24, 5:9].any()
    assert rejected.sum() < 36 + 10  # the 6x6 grown object, plus a few 3-sigma noise blocks
    assert rejection.applied and rejection.rejected_fraction == pytest.approx(
        (rejected.sum() - 1) / (30 * 40 - 1)
    )
    assert all(s == pytest.approx(0.01, rel=0.15) for s in rejection.sigma)
    np.testing.assert_array_equal(out[~rejected], weight[~rejected])
    assert out.dtype == np.float32


def test_no_growth_and_one_channel_is_enough() -> None:
    model = np.zeros((20, 20, 3), np.float32)
    image = model + _noise(model.shape, 0.01, seed=1)
    image[5, 5, 2] += 1.0  # bright in blue only
    out, _ = reject_outliers(image, np.ones_like(image), model, sigma_k=5.0, grow=0)
    assert (out[5, 5] == 0).all() and out[4, 5].all() and out[5, 6].all()


def test_a_rejection_that_would_leave_almost_nothing_is_not_applied() -> None:
    model = np.zeros((20, 20, 1), np.float32)
    image = model + _noise(model.shape, 0.01)
    image[1:, 1:] += 1.0  # nearly everything "above the model"
    weight = np.ones_like(image)
    out, rejection = reject_outliers(image, weight, model, sigma_k=3.0, grow=2)
    assert not rejection.applied and rejection.rejected_fraction > 0.9
    np.testing.assert_array_equal(out, weight)


def _blob_problem() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    h, w = 40, 60
    yy, xx = np.meshgrid(np.arange(h) / w, np.arange(w) / w, indexing="ij")
    coords = np.stack([yy, xx], -1).astype(np.float32)
    truth = (0.2 + 0.05 * xx - 0.03 * yy)[..., None].astype(np.float32)
    blob = 0.15 * np.exp(-0.5 * ((yy - 0.3) ** 2 + (xx - 0.5) ** 2) / 0.06**2)[..., None]
    image = (truth + blob + _noise(truth.shape, 0.002)).astype(np.float32)
    return image, np.ones_like(image), coords, truth, blob.astype(np.float32)


def _absorbed(model: np.ndarray, truth: np.ndarray, blob: np.ndarray) -> float:
    diff = (model - truth)[..., 0]
    e = blob[..., 0]
    diff -= np.median(diff[e < 0.01 * e.max()])
    return float((diff * e).sum() / (e * e).sum())


def test_refits_keep_an_extended_object_out_of_the_model() -> None:
    image, weight, coords, truth, blob = _blob_problem()
    base = {"samples": 16, "epochs": 300, "learning_rate": 0.01, "regularisation": 0.0}
    single = FitParams.from_mapping({**base, "rejection_passes": 0})
    refit = FitParams.from_mapping({**base, "rejection_passes": 2})
    one = fit_spline(image, weight, coords, single, execution="graph")
    three = fit_spline(image, weight, coords, refit, execution="graph")
    assert _absorbed(three.evaluate(coords), truth, blob) < 0.5 * _absorbed(
        one.evaluate(coords), truth, blob
    )
    assert len(three.rejections) == 2 and all(r["applied"] for r in three.rejections)
    assert 0.02 < three.rejections[-1]["rejected_fraction"] < 0.3
    assert three.epochs_run == len(three.loss_history) > one.epochs_run * 0 + 3
    assert three.timings["passes"] == 3.0 and not one.rejections
