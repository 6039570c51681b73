"""Missing pixels, user-mask validation and the weight mask."""

from __future__ import annotations

import numpy as np
import pytest

from bgoptimizer.engine.masking import check_user_mask, missing_mask, weight_mask
from bgoptimizer.exceptions import MaskError


def test_missing_is_decided_per_pixel():
    px = np.full((2, 3, 3), 0.1, np.float32)
    px[0, 0, 1] = 0.0
    px[1, 2, 2] = np.inf
    px[1, 0] = np.nan
    assert missing_mask(px).tolist() == [[True, False, False], [True, False, True]]


def test_user_mask_shapes():
    assert check_user_mask(np.ones((4, 5)), (4, 5, 3)).shape == (4, 5, 1)
    assert check_user_mask(np.full((4, 5, 3), 2.0), (4, 5, 3)).max() == 1.0  # clipped


@pytest.mark.parametrize(
    ("shape", "match"),
    [
        ((5, 4), r"mask is 4x5x1 but the image is 5x4x3"),
        ((4, 5, 2), r"mask is 5x4x2 but the image is 5x4x3 .*1 or 3 channel"),
        ((4,), r"mask is 4 but the image is 5x4x3"),
    ],
)
def test_user_mask_mismatch(shape, match):
    with pytest.raises(MaskError, match=match):
        check_user_mask(np.ones(shape), (4, 5, 3))


def test_user_mask_non_finite():
    m = np.ones((2, 2))
    m[0, 0] = np.nan
    with pytest.raises(MaskError, match=r"non-finite"):
        check_user_mask(m, (2, 2, 1))


def test_weight_combines_coverage_thresholds_and_user_mask():
    stretched = np.array([[0.1, 0.5, 1.4, np.nan]], np.float32)[..., None]
    frac = np.array([[1.0, 0.5, 1.0, 0.0]], np.float32)[..., None]
    w = weight_mask(stretched, frac, threshold_min=0.2, threshold_max=1.2)
    assert w[..., 0].tolist() == [[0.0, 0.5, 0.0, 0.0]]  # 1.4 > max although clipped it'd be 1
    user = np.array([[1.0, 0.5, 1.0, 1.0]], np.float32)[..., None]
    w = weight_mask(stretched, frac, threshold_min=0.0, threshold_max=2.0, user=user)
    assert w[..., 0].tolist() == [[1.0, 0.25, 1.0, 0.0]]


@pytest.mark.parametrize("channel", [0, 1, 2])
@pytest.mark.parametrize("value", [0.0, np.nan, np.inf, -np.inf])
def test_missing_mask_marks_a_pixel_missing_in_any_one_channel(channel: int, value: float) -> None:
    px = np.full((4, 5, 3), 0.5, np.float32)
    px[2, 3, channel] = value
    expected = np.zeros((4, 5), bool)
    expected[2, 3] = True
    assert (missing_mask(px) == expected).all()
