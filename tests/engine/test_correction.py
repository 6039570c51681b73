"""Correction: the subtract invariant, divide, missing pixels, clipping counts, errors."""

from __future__ import annotations

import numpy as np
import pytest

from bgoptimizer.engine.correction import (
    BandedCorrection,
    correct,
    planar_bands,
    sampled_rows,
)
from bgoptimizer.exceptions import ParameterError


def _scene(channels=3):
    rng = np.random.default_rng(3)
    yy, xx = np.mgrid[0:30, 0:40] / 40
    model = (0.1 + 0.05 * xx + 0.02 * yy)[..., None].repeat(channels, axis=2).astype(np.float32)
    image = (model + 0.01 * rng.random(model.shape)).astype(np.float32)
    image[:3] = 0.0  # registration border
    image[10, 10, 0] = np.nan  # one bad value makes the pixel missing
    missing = np.zeros((30, 40), bool)
    missing[:3] = True
    missing[10, 10] = True
    return image, model, missing


def test_subtract_invariant_and_missing_stay_zero():
    image, model, missing = _scene()
    before = image.copy()
    c = correct(image, model, missing, "subtract")
    np.testing.assert_array_equal(np.isnan(image), np.isnan(before))
    assert np.all(c.corrected[missing] == 0) and np.all(c.background[missing] == 0)
    med = np.array(c.model_median, np.float32)
    back = c.corrected - med + c.background
    np.testing.assert_allclose(back[~missing], image[~missing], atol=1e-6)
    np.testing.assert_allclose(med, np.median(model[~missing], axis=0), rtol=1e-6)
    assert c.clipped["corrected_low"] == [0, 0, 0]


def test_divide_flattens_a_multiplicative_gradient():
    _, model, missing = _scene(1)
    vignetted = np.where(missing[..., None], 0, 0.2 * model / model.max()).astype(np.float32)
    c = correct(vignetted, model, missing, "divide")
    flat = c.corrected[~missing]
    assert flat.std() < 1e-6
    assert flat.mean() == pytest.approx(0.2 * c.model_median[0] / model.max(), rel=1e-5)


def test_clipping_is_counted_not_rescaled():
    image = np.full((2, 2, 1), 0.5, np.float32)
    model = np.array([[0.9, 0.1], [0.1, 0.1]], np.float32)[..., None]
    c = correct(image, model, np.zeros((2, 2), bool), "subtract")
    # median(model) = 0.1: 0.5 - 0.9 + 0.1 < 0 is clipped; the others are untouched
    assert c.clipped["corrected_low"] == [1]
    np.testing.assert_allclose(c.corrected[..., 0], [[0, 0.5], [0.5, 0.5]], atol=1e-7)
    d = correct(image, model - 0.1, np.zeros((2, 2), bool), "divide")
    assert d.clipped["model_floored"] == [3]


def test_errors():
    image, model, missing = _scene(1)
    with pytest.raises(ParameterError, match=r"subtract or divide, got 'add'"):
        correct(image, model, missing, "add")
    with pytest.raises(ParameterError, match=r"model shape .* differs"):
        correct(image, model[:5], missing, "subtract")
    with pytest.raises(ParameterError, match=r"no valid pixels"):
        correct(image, model, np.ones_like(missing), "subtract")


def _large_scene():
    """Taller than many bands, with missing pixels and values to clip."""
    rng = np.random.default_rng(5)
    image = (0.2 + 0.3 * rng.random((900, 400, 3))).astype(np.float32)
    model = (0.1 + 0.9 * rng.random((900, 400, 3)) - 0.05).astype(np.float32)
    missing = rng.random((900, 400)) < 0.01
    missing[:30] = True  # whole rows too
    return image, model, missing


def _bands(model):
    return lambda c, rows: model[rows, :, c]


def _assemble(band, shape):
    out = np.empty(shape, np.float32)
    for c, rows in planar_bands(*shape):
        out[rows, :, c] = band(c, rows)
    return out


@pytest.mark.parametrize("method", ["subtract", "divide"])
def test_outputs_are_the_formula_applied_to_the_whole_image(method):
    image, model, missing = _large_scene()
    c = correct(image, model, missing, method)
    ok = ~missing[..., None]
    med = np.array(
        [np.median(model[..., k][~missing].astype(np.float64)) for k in range(3)], np.float32
    )
    assert c.model_median == tuple(float(v) for v in med)  # the exact median, in float32
    raw = image - model + med if method == "subtract" else image / np.maximum(model, 1e-6) * med
    want = np.where(ok, np.clip(raw, 0, 1), 0).astype(np.float32)
    np.testing.assert_array_equal(c.corrected, want)
    np.testing.assert_array_equal(c.background, np.where(ok, np.clip(model, 0, 1), 0))
    assert c.clipped["background_low"] == list(np.count_nonzero((model < 0) & ok, axis=(0, 1)))
    assert c.clipped["corrected_high"] == list(np.count_nonzero((raw > 1) & ok, axis=(0, 1)))


@pytest.mark.parametrize("background_first", [True, False])
def test_bands_give_the_whole_outputs_in_either_order(background_first):
    """Writers make the background first (its pass completes the medians); a corrected band
    asked for first makes the correction find the medians with a pass of its own."""
    image, model, missing = _large_scene()
    whole = correct(image, model, missing, "divide")
    banded = BandedCorrection(image, _bands(model), missing, "divide")
    order = [banded.background, banded.corrected]
    outputs = [_assemble(band, image.shape) for band in order[:: 1 if background_first else -1]]
    background, corrected = outputs if background_first else outputs[::-1]
    np.testing.assert_array_equal(background, whole.background)
    np.testing.assert_array_equal(corrected, whole.corrected)
    assert banded.summary() == whole.summary()


def test_a_median_bracket_that_misses_falls_back_to_every_value():
    """The rows that bracket the median all hold a value far above the others' median."""
    image, model, missing = _large_scene()
    model[sampled_rows(model.shape[0])] = 0.95
    c = correct(image, model, missing, "subtract")
    want = [np.float32(np.median(model[..., k][~missing].astype(np.float64))) for k in range(3)]
    assert c.model_median == tuple(float(v) for v in want)
    assert max(want) < 0.7  # the sampled rows alone would have put it near 0.95
