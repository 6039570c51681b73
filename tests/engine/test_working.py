"""The working problem: stretch, downscale and weights in one banded pass."""

from __future__ import annotations

import numpy as np
import pytest

from bgoptimizer.engine import working
from bgoptimizer.engine.downscale import downscale
from bgoptimizer.engine.masking import missing_mask
from bgoptimizer.engine.stretch import StretchParams
from bgoptimizer.engine.working import missing_pixels, prepare
from bgoptimizer.exceptions import MaskError
from bgoptimizer.params import FitParams


def _image():
    rng = np.random.default_rng(5)
    px = (0.05 + 0.002 * rng.standard_normal((64, 96, 3))).astype(np.float32)
    px[:, :10] = 0.0  # border
    px[28:36, 48:56] = 0.9  # a bright star filling four 4x4 blocks
    return px


def test_matches_stretch_then_downscale_and_leaves_input_alone():
    px = _image()
    before = px.copy()
    work = prepare(px, FitParams(downscale=8))
    np.testing.assert_array_equal(px, before)
    assert work.factor == 8 and work.image.shape == (8, 12, 3)
    full = work.stretch.forward(px, clip=False)
    full[work.missing] = np.nan
    np.testing.assert_allclose(work.image, downscale(full, 8).pixels, rtol=1e-6)
    assert np.nanmax(work.image) > 1  # the star block: above the white point, not clipped
    shown = work.display()
    assert shown.max() == 1.0 and shown.min() >= 0 and not np.isnan(shown).any()
    assert np.isnan(work.image[:, 0]).all()  # the first block column is all border
    assert np.all(work.weight[:, 0] == 0)
    assert work.weight[:, 1, 0] == pytest.approx(np.full(8, 6 / 8))  # 6 of 8 columns real


def test_threshold_max_excludes_bright_blocks_and_explicit_stretch_is_used():
    px = _image()
    sp = StretchParams((0.04,) * 3, (0.02,) * 3, (0.3,) * 3)
    work = prepare(px, FitParams(downscale=4, threshold_max=1.0), stretch=sp)
    assert work.stretch is sp
    assert np.all(work.weight[7:9, 12:14] == 0)  # the star block lies above the white point
    assert work.weight[2, 5, 0] == 1.0


def test_user_mask_is_downscaled_and_checked():
    px = _image()
    mask = np.ones((64, 96), np.float32)
    mask[:32] = 0
    work = prepare(px, FitParams(downscale=8), mask=mask)
    assert np.all(work.weight[:4] == 0) and np.all(work.weight[4:, 2:5] > 0)
    with pytest.raises(MaskError, match=r"mask is 64x96x1 but the image is 96x64x3"):
        prepare(px, FitParams(), mask=np.ones((96, 64)))


@pytest.mark.parametrize("channels", [1, 3])
def test_missing_pixels_is_the_mask_of_any_channel(
    monkeypatch: pytest.MonkeyPatch, channels: int
) -> None:
    """Band by band and channel by channel: the whole image's missing_mask, a pixel missing
    when any one of its channels is 0, NaN or infinite."""
    monkeypatch.setattr(working, "_BAND_VALUES", 5 * 96 * channels)  # bands of 5 rows
    rng = np.random.default_rng(3)
    px = rng.random((64, 96, channels), dtype=np.float32) + 0.01
    for value, c in zip((0.0, np.nan, np.inf, -np.inf, 0.0), (0, 1, 2, 1, 2), strict=True):
        spots = rng.integers(0, 64 * 96, 40)
        px.reshape(-1, channels)[spots, c % channels] = value
    expected = missing_mask(px)
    assert expected.sum() > 100
    assert (missing_pixels(px) == expected).all()
