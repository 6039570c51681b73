"""Block downscaling: partial edge blocks, NaN handling, centres, automatic factor."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bgoptimizer.engine.downscale import auto_factor, block_coords, downscale
from bgoptimizer.exceptions import ParameterError
from bgoptimizer.io import read_image
from shared_data import real_files


def test_partial_edge_blocks_use_real_pixels_only():
    img = np.arange(5 * 7, dtype=np.float32).reshape(5, 7, 1)
    d = downscale(img, 3, "mean")
    assert d.pixels.shape == (2, 3, 1)
    assert d.pixels[1, 2, 0] == pytest.approx(img[3:5, 6:7].mean())  # a 2 x 1 corner block
    assert d.pixels[0, 0, 0] == pytest.approx(img[0:3, 0:3].mean())
    med = downscale(img, 3, "median")
    assert med.pixels[1, 2, 0] == pytest.approx(np.median(img[3:5, 6:7]))
    assert np.all(d.valid_fraction == 1.0)  # padding is not counted as missing


def test_nan_blocks_and_valid_fraction():
    img = np.ones((4, 4, 2), np.float32)
    img[:2, :2] = np.nan
    img[2, 2] = np.nan
    img[3, 3] = 5.0
    d = downscale(img, 2)
    assert np.isnan(d.pixels[0, 0]).all()
    assert d.valid_fraction[0, 0, 0] == 0
    assert d.valid_fraction[1, 1, 0] == pytest.approx(0.75)
    assert d.pixels[1, 1, 0] == pytest.approx(1.0)  # median of 1, 1, 5
    assert downscale(img, 2, "mean").pixels[1, 1, 0] == pytest.approx(7 / 3)


def test_block_centres_map_to_full_resolution_pixel_centres():
    c = block_coords(5, 7, 3)
    # rows 0-2 -> mean index 1 -> centre 1.5; rows 3-4 -> 3.5 -> 4.0; normalised by 7
    np.testing.assert_allclose(c[:, 0, 0], [1.5 / 7, 4.0 / 7], rtol=1e-6)
    np.testing.assert_allclose(c[0, :, 1], [1.5 / 7, 4.5 / 7, 6.5 / 7], rtol=1e-6)
    np.testing.assert_allclose(block_coords(4, 2, 1)[:, 0, 0], (np.arange(4) + 0.5) / 4)


def test_a_linear_ramp_is_reproduced_at_the_block_centres():
    h, w = 37, 53
    yy, xx = np.mgrid[0:h, 0:w]
    ramp = (0.3 * (yy + 0.5) + 0.7 * (xx + 0.5)).astype(np.float32)[..., None] / max(h, w)
    d = downscale(ramp, 8, "mean")
    want = 0.3 * d.coords[..., 0] + 0.7 * d.coords[..., 1]
    np.testing.assert_allclose(d.pixels[..., 0], want, atol=1e-5)


def test_transform_is_applied_per_band_and_bands_join(monkeypatch):
    rng = np.random.default_rng(0)
    img = rng.random((300, 40, 1)).astype(np.float32)
    seen = []

    def double(band, rows):
        seen.append(rows)
        return band * 2

    monkeypatch.setattr("bgoptimizer.engine.downscale._BAND_ELEMENTS", 2000)  # several bands
    d = downscale(img, 4, transform=double)
    assert len(seen) > 1
    np.testing.assert_allclose(d.pixels, downscale(img * 2, 4).pixels)


def _nanmedian_per_block(image: np.ndarray, factor: int) -> np.ndarray:
    """The reference: ``np.nanmedian`` of each block's real pixels, one block at a time."""
    height, width, channels = image.shape
    out = np.empty((-(-height // factor), -(-width // factor), channels), np.float32)
    for i, j in np.ndindex(*out.shape[:2]):
        block = image[i * factor : (i + 1) * factor, j * factor : (j + 1) * factor]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN blocks: NaN
            out[i, j] = np.nanmedian(block.reshape(-1, channels), axis=0)
    return out


def _with_holes(image: np.ndarray, seed: int) -> np.ndarray:
    """``image`` with zeros as NaN (missing, as the pipeline marks them), scattered NaN and a
    NaN corner: whole, partial and empty blocks side by side."""
    rng = np.random.default_rng(seed)
    out = np.where(image == 0, np.nan, image).astype(np.float32)
    out[rng.random(out.shape) < 0.1] = np.nan
    out[: out.shape[0] // 5, : out.shape[1] // 4] = np.nan
    return out


@pytest.mark.parametrize("factor", [4, 7, 25])
@pytest.mark.parametrize("path", real_files("fits"), ids=lambda p: p.name)
def test_block_medians_equal_nanmedian_block_by_block_on_real_images(path, factor):
    image = read_image(path).pixels[:400, :500]
    for case in (np.where(image == 0, np.nan, image), _with_holes(image, factor)):
        got = downscale(case, factor).pixels
        assert (
            got.view(np.uint32).tolist()
            == _nanmedian_per_block(case, factor).view(np.uint32).tolist()
        )  # bit for bit, NaN included


@pytest.mark.parametrize("factor", [1, 2, 3, 6, 24])
def test_block_medians_equal_nanmedian_block_by_block_on_synthetic_images(factor):
    rng = np.random.default_rng(factor)
    image = _with_holes(rng.random((97, 131, 3), dtype=np.float32), factor)
    got = downscale(image, factor).pixels
    want = _nanmedian_per_block(image, factor)
    assert got.view(np.uint32).tolist() == want.view(np.uint32).tolist()


def test_auto_factor_rule():
    assert auto_factor(600, 900) == 8
    assert auto_factor(2000, 3000) == 24
    assert auto_factor(4000, 6000) == 47
    assert auto_factor(100, 120) == 1


def test_errors():
    img = np.zeros((4, 4, 1), np.float32)
    with pytest.raises(ParameterError, match=r"factor must be >= 1, got 0"):
        downscale(img, 0)
    with pytest.raises(ParameterError, match=r"median or mean, got 'max'"):
        downscale(img, 2, "max")
