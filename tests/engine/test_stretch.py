"""The stretch: shared JSON vectors, reversibility, explicit parameters and their errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bgoptimizer.engine.masking import missing_mask
from bgoptimizer.engine.stretch import StretchParams, fit_stretch, midtones_for, mtf, quantiles
from bgoptimizer.exceptions import ParameterError


def _array(nested):
    return np.array(
        [[[np.nan if v is None else v for v in px] for px in row] for row in nested],
        dtype=np.float64,
    )


def _cases(fixtures_dir):
    return json.loads((fixtures_dir / "stretch_vectors.json").read_text())["cases"]


def test_vectors_file_is_small_and_has_rgb_and_missing(fixtures_dir):
    assert (fixtures_dir / "stretch_vectors.json").stat().st_size < 100_000
    cases = _cases(fixtures_dir)
    assert any(c["shape"][2] == 3 for c in cases)
    assert all(any(any(row) for row in c["missing"]) for c in cases)


def test_vectors_match(fixtures_dir):
    for case in _cases(fixtures_dir):
        pixels = _array(case["input"])
        missing = missing_mask(pixels)
        assert missing.tolist() == case["missing"], case["name"]
        params = case["params"]
        if "quantile" in params:
            sp = fit_stretch(pixels, missing, quantile=params["quantile"], target=params["target"])
        else:
            sp = StretchParams.from_mapping(params)
        for key, want in case["effective"].items():
            np.testing.assert_allclose(getattr(sp, key), want, atol=1e-12, err_msg=case["name"])
        keep = ~missing[..., None].repeat(pixels.shape[2], axis=2)
        for key, got in (
            ("stretched", sp.forward(pixels)),
            ("stretched_unclipped", sp.forward(pixels, clip=False)),
            ("inverse", sp.inverse(sp.forward(pixels, clip=False))),
        ):
            want = _array(case[key])
            assert np.isnan(want[~keep]).all()
            np.testing.assert_allclose(got[keep], want[keep], atol=1e-9, err_msg=case["name"])
        y = np.array(case["inverse_points"]["y"])[:, None].repeat(sp.channels, axis=1)
        np.testing.assert_allclose(sp.inverse(y).T, case["inverse_points"]["x"], atol=1e-9)


def test_round_trip_float32_image():
    rng = np.random.default_rng(1)
    x = (0.05 + 0.01 * rng.standard_normal((40, 30, 3))).astype(np.float32)
    x[::7, ::5] *= 20  # bright stars above the white point
    sp = fit_stretch(x, missing_mask(x), quantile=0.95, target=0.25)
    y = sp.forward(x, clip=False)
    assert y.dtype == np.float32
    np.testing.assert_allclose(sp.inverse(y), x, rtol=2e-5, atol=1e-6)
    clipped = sp.forward(x)
    assert clipped.min() >= 0 and clipped.max() <= 1
    assert y.max() > 1  # the unclipped values keep the stars


def test_target_reached_at_the_median():
    x = np.linspace(0.1, 0.3, 101)[:, None, None]
    sp = fit_stretch(x, np.zeros((101, 1), bool), quantile=0.95, target=0.2)
    assert sp.forward(np.median(x).reshape(1, 1, 1)).item() == pytest.approx(0.2)


def test_extension_is_continuous_and_monotone():
    sp = StretchParams((0.0,), (1.0,), (0.1,))
    u = np.linspace(-0.5, 1.5, 2001)[:, None]
    y = sp.forward(u, clip=False)[:, 0]
    assert np.all(np.diff(y) > 0)
    assert np.max(np.abs(np.diff(y))) < 0.02  # no jump at u = 0 or u = 1


@pytest.mark.parametrize("low, high", [(0.2, 0.8), (-0.3, 0.8), (0.2, 1.6), (-0.3, 1.6)])
def test_the_tangents_are_the_formula_bit_for_bit(low: float, high: float) -> None:
    """Values inside [0, 1] only, or beyond on one side or both: the same bits as the
    stretch's formula with both tangents always computed (the outputs' bit identity)."""
    m, p, s = 0.15, 0.01, 0.3
    y = np.linspace(low, high, 4001, dtype=np.float32)
    f = np.float32
    u = mtf(f(1.0 - m), np.clip(y, 0.0, 1.0))
    u = np.where(y < 0, y * f(m / (1.0 - m)), u)
    u = np.where(y > 1, 1.0 + (y - 1.0) * f((1.0 - m) / m), u)
    expected = u * f(s) + f(p)
    sp = StretchParams((p,), (s,), (m,))
    assert sp.inverse_channel(y, 0).tobytes() == expected.tobytes()

    x = (y * f(s) + f(p))[:, None]
    v = (x - f(p)) / f(s)
    fwd = mtf(f(m), np.clip(v, 0.0, 1.0))
    fwd = np.where(v < 0, v * f((1.0 - m) / m), fwd)
    fwd = np.where(v > 1, 1.0 + (v - 1.0) * f(m / (1.0 - m)), fwd)
    assert sp.forward(x, clip=False).tobytes() == fwd.tobytes()


def test_mtf_and_midtones():
    assert mtf(0.3, np.array(0.3)) == pytest.approx(0.5)
    assert mtf(0.3, np.array(1.0)) == pytest.approx(1.0)
    assert midtones_for(0.0, 0.25) == pytest.approx(1e-6)


def test_flat_channel_gets_unit_scale():
    x = np.full((3, 3, 1), 0.2)
    sp = fit_stretch(x, np.zeros((3, 3), bool), quantile=0.95, target=0.25)
    assert sp.scale == (1.0,)


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"pedestal": 0, "scale": 0, "midtones": 0.5}, r"scale must be > 0"),
        ({"pedestal": 0, "scale": 1, "midtones": 1.0}, r"midtones must be in \(0, 1\)"),
        ({"pedestal": [0, 0], "scale": 1, "midtones": [0.2, 0.3, 0.4]}, r"2 values for 3"),
        ({"pedestal": 0, "scale": 1}, r"needs numeric pedestal, scale and midtones"),
        ({"pedestal": 0, "scale": 1, "midtones": 0.5, "gamma": 1}, r"unknown.*gamma"),
        ({"pedestal": float("nan"), "scale": 1, "midtones": 0.5}, r"must be finite"),
    ],
)
def test_explicit_errors(values, match):
    with pytest.raises(ParameterError, match=match):
        StretchParams.from_mapping(values)


def test_channel_mismatch_and_empty_image():
    with pytest.raises(ParameterError, match=r"1 value\(s\) per parameter but the image has 3"):
        StretchParams((0.0,), (1.0,), (0.5,)).forward(np.zeros((2, 2, 3)))
    with pytest.raises(ParameterError, match=r"no valid pixels"):
        fit_stretch(np.zeros((2, 2, 1)), np.ones((2, 2), bool), quantile=0.9, target=0.2)


@pytest.mark.parametrize("kind", ["uniform", "ties", "sorted", "sample_unlike_the_whole"])
def test_large_array_quantiles_are_exact(kind: str) -> None:
    # Over 8 x 65536 values the order statistics come from a sample's bracket: still exact,
    # and exact too when the strided sample misleads (every sampled value is 0 here).
    rng = np.random.default_rng(7)
    n = 700_001
    x = {
        "uniform": rng.random(n, dtype=np.float32),
        "ties": np.round(rng.random(n) * 20).astype(np.float32),
        "sorted": np.sort(rng.standard_normal(n).astype(np.float32)),
        "sample_unlike_the_whole": rng.random(n, dtype=np.float32) + 1,
    }[kind]
    if kind == "sample_unlike_the_whole":
        x[:: n // 65536] = 0
    qs = (0.0, 0.5, 0.95, 0.999, 1.0)
    np.testing.assert_allclose(quantiles(x, qs), np.quantile(x.astype(np.float64), qs), rtol=1e-12)
