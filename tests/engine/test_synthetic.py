"""The synthetic sky generator and its scoring."""

from __future__ import annotations

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
    assert set(CASES["dome+airglow+vignette"]) <= set(GRADIENTS)


def test_unknown_gradient():
    with pytest.raises(ValueError, match=r"unknown gradient\(s\): fog"):
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
