"""``bgoptimizer preview``: the working image as a PNG, masked areas tinted."""

from __future__ import annotations

import numpy as np
from PIL import Image

from bgoptimizer.cli.main import main
from bgoptimizer.engine.synthetic import make_sky
from bgoptimizer.io import write_image
from bgoptimizer.io.image import ImageData


def test_preview_png(tmp_path, capsys):
    src = tmp_path / "sky.fits"
    sky = make_sky(120, 200, channels=1, gradients=("dome",), seed=3)
    write_image(src, ImageData(sky.image))
    out = tmp_path / "p.png"
    assert main(["preview", str(src), "-o", str(out), "--max-size", "50", "-tM", "0.9"]) == 0
    png = np.asarray(Image.open(out))
    assert png.shape == (30, 50, 3)
    assert "1/4 scale" in capsys.readouterr().out
    red = (png[..., 0].astype(int) - png[..., 1]) > 40
    assert red[0].all()  # the registration border along the top is tinted
    assert not red[15, 25:].all()


def test_preview_refuses_to_overwrite_and_checks_size(tmp_path, capsys):
    src = tmp_path / "sky.xisf"
    write_image(src, ImageData(make_sky(40, 40, seed=1).image, color_space="RGB"))
    before = src.read_bytes()
    assert main(["preview", str(src), "-o", str(src)]) == 2
    assert "refusing to overwrite the input" in capsys.readouterr().err
    assert src.read_bytes() == before
    assert main(["preview", str(src), "-o", str(tmp_path / "a.png"), "--max-size", "4"]) == 2
    assert "--max-size must be at least 16, got 4" in capsys.readouterr().err
