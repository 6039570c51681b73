"""Iterative residual rejection: the one-sided robust test, growing, the guard, and the refit
keeping a bright extended object out of the model."""

from __future__ import annotations

import numpy as np
import pytest

from bgoptimizer.engine.fit.driver import fit_spline
from bgoptimizer.engine.fit.rejection import (
    MAD_TO_SIGMA,
    edge_reach,
    reject_outliers,
    relocate,
    robust_sigma,
)
from bgoptimizer.engine.model import model_at
from bgoptimizer.params import FitParams


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
    assert pytest.approx(1 / 0.6745, rel=1e-3) == MAD_TO_SIGMA


def test_rejects_blocks_above_the_model_only_and_grows_them() -> None:
    model = np.full((30, 40, 3), 0.2, np.float32)
    image = model + _noise(model.shape, 0.01)
    image[10:14, 20:24] += 0.2  # object: far above the model
    image[20:24, 5:9] -= 0.2  # far below: not an object, kept
    weight = np.ones_like(image)
    weight[0, 0] = 0.0
    out, rejection = reject_outliers(image, weight, model, sigma_k=4.5, grow=1)
    expected = np.zeros((30, 40), bool)
    expected[9:15, 19:25] = True  # the object grown by one block on every side
    rejected = out[..., 0] == 0
    np.testing.assert_array_equal(rejected[1:], expected[1:])  # not the object below
    assert rejection.applied and rejection.rejected_fraction == pytest.approx(36 / (30 * 40 - 1))
    assert all(s == pytest.approx(0.01, rel=0.15) for s in rejection.sigma)
    np.testing.assert_array_equal(out[~rejected], weight[~rejected])
    assert out.dtype == np.float32


def test_no_growth_and_one_channel_is_enough() -> None:
    model = np.zeros((20, 20, 3), np.float32)
    image = model + _noise(model.shape, 0.01, seed=1)
    image[5, 5, 2] += 1.0  # bright in blue only
    out, _ = reject_outliers(image, np.ones_like(image), model, sigma_k=5.0, grow=0)
    assert (out[5, 5] == 0).all() and out[4, 5].all() and out[5, 6].all()


def test_an_edge_shortfall_stays_in_the_fit_an_object_running_off_the_edge_does_not() -> None:
    """A gradient the model fell short of fades within a few blocks of the edge; a nebula
    centred on the edge reaches as deep as it is wide (EDGE_REACH: 4 blocks of 40 here)."""
    h, w = 40, 60
    model = np.zeros((h, w, 1), np.float32)
    image = model + _noise(model.shape, 0.01, seed=2)
    rows, cols = np.mgrid[0:h, 0:w]
    image[..., 0] += np.where(cols >= w - 8, 0.5 ** (w - 1 - cols), 0.0)  # shortfall, right
    nebula = (rows - 20) ** 2 + cols**2 < 14**2  # a half disc on the left edge, 14 deep
    image[nebula] += 0.5
    image[:4, 30:33] = np.nan  # missing blocks ...
    image[4:6, 30:33] += 1.0  # ... and a small high area next to them: too small to judge
    image[28:31, 30:33] += 1.0  # an object inside the frame
    out, _ = reject_outliers(image, np.ones_like(image), model, sigma_k=5.0, grow=0)
    rejected = out[..., 0] == 0
    assert rejected[nebula].all() and rejected[28:31, 30:33].all()
    assert not rejected[:, w - 8 :].any() and not rejected[4:6, 30:33].any()
    assert rejected.sum() == nebula.sum() + 9


def test_the_last_rejection_gives_back_a_faint_shelf_joined_to_an_object_at_the_edge() -> None:
    """A faint shelf (the stiff pass short of a gradient) from the edge to a bright object deep
    inside is one deep edge area: earlier rejections keep it all out, the last one only the
    object's core and wings (not the bright shortfall hugging the edge)."""
    h, w = 60, 90
    model = np.zeros((h, w, 1), np.float32)
    image = model + _noise(model.shape, 0.01, seed=3)
    image[10:30, :40] += 0.085  # the shelf, 8.5 sigma: above the test's 5, below 2 x 5
    image[15:25, 25:35] += 1.0  # the object, 10 x 10 blocks: wings of 0.25 x 10 blocks
    image[10:30, :3] += np.array([0.5, 0.25, 0.125], np.float32)[None, :, None]  # a shortfall
    first, _ = reject_outliers(image, np.ones_like(image), model, sigma_k=5.0, grow=0)
    last, _ = reject_outliers(image, np.ones_like(image), model, sigma_k=5.0, grow=0, final=True)
    assert (first[10:30, :40] == 0).mean() > 0.97  # but for a few blocks the noise pulled down
    kept_out = last[..., 0] == 0
    assert kept_out[15:25, 25:35].all() and kept_out[14, 25] and kept_out[15:25, 23].all()
    assert not kept_out[10:30, :20].any() and not kept_out[10:12, :40].any()  # shortfall too


def test_edge_reach_is_the_excess_weighted_depth_of_the_profile() -> None:
    depth = np.repeat(np.arange(20), 4)
    fading = edge_reach(10 * 0.5**depth, depth)
    deep = edge_reach(np.exp(-0.5 * (depth / 10.0) ** 2), depth)  # a Gaussian peak on the edge
    assert fading is not None and deep is not None and fading < 1.5 < 5 < deep
    assert edge_reach(np.ones(6), np.array([0, 0, 0, 1, 1, 1])) is None  # two depths only
    assert edge_reach(-np.ones(80), depth) == 0.0  # nothing above the model


def test_relocate_moves_only_samples_on_rejected_blocks() -> None:
    yy, xx = np.meshgrid(np.arange(10) / 20, np.arange(20) / 20, indexing="ij")
    coords = np.stack([yy, xx], -1).astype(np.float32)
    weight = np.ones((10, 20, 2), np.float32)
    weight[2:8, 5:9] = 0.0  # a rejected object
    weight[2:8, 5:9, 1] = 1.0  # kept in one channel: not rejected
    weight[3:5, 10:19] = 0.0
    centres = np.array([[0.2, 0.3], [0.15, 0.65], [0.45, 0.9]], np.float32)
    out, moved = relocate(centres, coords, weight)
    assert moved.tolist() == [False, True, False]
    np.testing.assert_array_equal(out[[0, 2]], centres[[0, 2]])
    assert out[1].tolist() == pytest.approx([0.1, 0.65])  # row 2: the nearest kept block
    same, none = relocate(centres, coords, np.ones_like(weight))
    assert not none.any() and same is centres


def test_relocate_leaves_samples_alone_when_fewer_blocks_than_samples_are_kept() -> None:
    """With one block left every sample would land on it: a singular spline system."""
    yy, xx = np.meshgrid(np.arange(10) / 20, np.arange(20) / 20, indexing="ij")
    coords = np.stack([yy, xx], -1).astype(np.float32)
    weight = np.zeros((10, 20, 1), np.float32)
    weight[5, 10] = 1.0
    centres = np.array([[0.1, 0.1], [0.1, 0.9], [0.4, 0.2], [0.4, 0.8]], np.float32)
    out, moved = relocate(centres, coords, weight)
    assert not moved.any() and out is centres
    weight[5, 10:14] = 1.0  # four blocks for four samples: they move, two may share a block
    out, moved = relocate(centres, coords, weight)
    assert moved.all()


def test_a_fit_on_a_handful_of_blocks_runs_its_refits() -> None:
    yy, xx = np.meshgrid(np.arange(30) / 40, np.arange(40) / 40, indexing="ij")
    coords = np.stack([yy, xx], -1).astype(np.float32)
    image = (0.2 + 0.1 * xx)[..., None].astype(np.float32)
    weight = np.zeros_like(image)
    weight[[3, 10, 20, 25], [5, 30, 12, 38]] = 1.0
    fit = fit_spline(image, weight, coords, FitParams(samples=9, epochs=20))
    assert len(fit.rejections) == 2 and np.isfinite(fit.best_loss)


def test_a_rejection_that_would_leave_almost_nothing_is_not_applied() -> None:
    model = np.zeros((20, 20, 1), np.float32)
    image = model + _noise(model.shape, 0.01)
    image[[4, 4, 15, 15], [4, 15, 4, 15]] += 1.0  # four objects, grown over the whole frame
    weight = np.ones_like(image)
    out, rejection = reject_outliers(image, weight, model, sigma_k=5.0, grow=6)
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
    # An unsmoothed spline follows the object (~100 % absorbed); with refits, the stiff first
    # pass leaves it in the residual, it is rejected, and the samples on it are moved off.
    image, weight, coords, truth, blob = _blob_problem()
    base = {"samples": 16, "epochs": 300, "learning_rate": 0.01, "regularisation": 0.0}
    single = FitParams.from_mapping({**base, "rejection_passes": 0})
    refit = FitParams.from_mapping({**base, "rejection_passes": 2, "first_regularisation": 0.3})
    one = fit_spline(image, weight, coords, single, execution="graph")
    three = fit_spline(image, weight, coords, refit, execution="graph")
    absorbed_one = _absorbed(model_at(one, coords), truth, blob)
    absorbed_three = _absorbed(model_at(three, coords), truth, blob)
    assert absorbed_one > 0.8 and absorbed_three < 0.3
    assert len(three.rejections) == 2 and all(r["applied"] for r in three.rejections)
    assert 0.02 < three.rejections[-1]["rejected_fraction"] < 0.3
    assert three.epochs_run == len(three.loss_history) > one.epochs_run
    assert 0 < three.best_epoch <= three.epochs_run  # counted through all passes
    assert three.timings["passes"] == 3.0 and not one.rejections
    assert one.regularisation == three.regularisation == 0.0
