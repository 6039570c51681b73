"""Display stretch, tinting and atomic PNG writing."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from bgoptimizer.engine.preview import TINT, display_stretch, tint
from bgoptimizer.io.png import encode_png, write_png


def test_display_stretch_range_and_missing():
    rng = np.random.default_rng(2)
    px = (0.02 + 0.01 * rng.random((20, 30, 1))).astype(np.float32)
    px[0] = 0.0
    shown = display_stretch(px)
    assert shown.min() >= 0 and shown.max() <= 1
    assert np.all(shown[0] == 0)
    assert np.median(shown[1:]) == np.float32(0.25) or abs(np.median(shown[1:]) - 0.25) < 0.02
    assert np.all(display_stretch(np.zeros((3, 3, 1), np.float32)) == 0)


def test_tint_only_where_weight_below_one():
    shown = np.full((2, 2, 1), 0.5, np.float32)
    weight = np.array([[1.0, 0.0], [1.0, 1.0]], np.float32)[..., None]
    rgb = tint(shown, weight)
    assert rgb.shape == (2, 2, 3)
    np.testing.assert_allclose(rgb[0, 0], [0.5, 0.5, 0.5])
    assert rgb[0, 1, 0] > rgb[0, 1, 1]  # reddened
    assert np.allclose(rgb[0, 1], 0.4 * 0.5 + 0.6 * np.array(TINT))


def test_png_round_trip(tmp_path):
    img = np.linspace(0, 1, 12, dtype=np.float32).reshape(2, 2, 3)
    path = tmp_path / "p.png"
    write_png(path, img)
    back = np.asarray(Image.open(path))
    assert back.shape == (2, 2, 3) and back.dtype == np.uint8
    assert back[1, 1, 2] == 255 and back[0, 0, 0] == 0
    assert [p.name for p in tmp_path.iterdir()] == ["p.png"]  # no temporary left over
    mono = Image.open(io.BytesIO(encode_png(img[..., :1])))
    assert mono.mode == "L"
