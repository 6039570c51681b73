"""The synthetic sky generator and its scoring."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from bgoptimizer.engine.synthetic import CASES, GRADIENTS, make_sky, score_model


def test_reproducible_and_truthful():
    a = make_sky(60, 90, gradients=GRADIENTS, seed=3)
    b = make_sky(60, 90, gradients=GRADIENTS, seed=3)
    np.testing.assert_array_equal(a.image, b.image)
    assert np.all(a.image[a.missing] == 0) and a.missing.any()
    assert np.all(a.image[~a.missing] > 0)
    assert a.extended.max() > 0 and np.ptp(a.background) > 0
    assert make_sky(40, 40, channels=1, gradients=(), seed=1).image.shape == (40, 40, 1)
    assert set(CASES["dome+airglow+vignette"].gradients) <= set(GRADIENTS)


def test_unknown_gradient():
    with pytest.raises(ValueError, match=r"unknown gradient\(s\) or object\(s\): fog"):
        make_sky(10, 10, gradients=("fog",))


def test_score_of_the_truth_and_of_a_flat_guess():
    sky = make_sky(60, 90, gradients=("dome",), seed=4)
    perfect = score_model(sky, sky.background)
    assert perfect["residual_rms_pct"] == pytest.approx(0, abs=1e-9)
    assert perfect["absorbed_pct"] == pytest.approx(0, abs=1e-9)
    absorbed = score_model(sky, sky.background + sky.extended)
    assert absorbed["absorbed_pct"] == pytest.approx(100, abs=1)
    flat = make_sky(60, 90, gradients=(), seed=4)
    assert score_model(flat, flat.background)["invented_ptp_pct"] == pytest.approx(0, abs=1e-6)


def test_every_case_renders_and_the_large_objects_are_large():
    for name, case in CASES.items():
        sky = case.sky(80, 120, seed=1)
        assert sky.image.shape == (80, 120, 3) and np.isfinite(sky.image).all(), name
    support = lambda sky: sky.extended.sum(2) > 0.01 * sky.extended.sum(2).max()  # noqa: E731
    nebula = make_sky(200, 300, gradients=("airglow",), objects=("large_nebula",), seed=2)
    covered = support(nebula)
    assert 0.25 < covered.mean() < 0.5  # a third of the frame, give or take
    assert covered[[0, -1]].any() or covered[:, [0, -1]].any()  # it runs off an edge
    small = CASES["dome"].sky(200, 300, seed=2)
    assert support(small).mean() < covered.mean() / 2


# SHA-256 prefixes of make_sky(60, 90, gradients=..., seed=5).image as the generator drew them
# before the large objects existed (commit 4b3cb29): the first benchmark's skies, and so the
# README's accuracy rows, stay comparable. Change them only with a deliberate new benchmark.
FIRST_SKIES = {
    ("dome",): "4d1d10945b4a7212",
    ("dome", "airglow", "vignette"): "ebcf962ee7c54424",
    (): "b86995c1ab675c3c",
}


@pytest.mark.parametrize("gradients", list(FIRST_SKIES), ids=str)
def test_the_first_benchmark_skies_are_unchanged_by_the_large_objects(gradients):
    sky = make_sky(60, 90, gradients=gradients, seed=5)
    assert hashlib.sha256(sky.image.tobytes()).hexdigest()[:16] == FIRST_SKIES[gradients]
    old_style = make_sky(60, 90, gradients=("dome",), seed=5)
    assert np.array_equal(CASES["dome"].sky(60, 90, seed=5).image, old_style.image)
    with_large = make_sky(60, 90, gradients=("dome",), objects=("galaxy", "nebula", "ifn"), seed=5)
    assert np.array_equal(with_large.background, old_style.background)


def test_the_landscape_is_masked_and_left_out_of_the_score():
    sky = CASES["milky-way+landscape"].sky(120, 180, seed=3)
    assert sky.mask is not None and 0.6 < sky.mask.mean() < 0.85
    assert sky.mask[0].all() and not sky.mask[-1].any()
    wild = sky.background.copy()
    wild[~sky.mask] = 5.0  # whatever the model does under the landscape does not count
    assert score_model(sky, wild)["residual_rms_pct"] == pytest.approx(0, abs=1e-6)


def test_a_model_that_sinks_under_the_dark_cloud_scores_its_dip():
    sky = CASES["dark-cloud"].sky(120, 180, seed=4)
    assert sky.dark is not None and sky.dark.max() > 0
    assert score_model(sky, sky.background)["dip_pct"] == pytest.approx(0, abs=1e-6)
    sunk = score_model(sky, sky.background - sky.dark)["dip_pct"]
    assert 60 < sunk < 140  # following the cloud's shadow all the way down is ~100 %
