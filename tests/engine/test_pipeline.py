"""End to end: in-memory images, files (XISF, FITS, a real frame), progress, cancel, errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from bgoptimizer.engine.pipeline import run_image
from bgoptimizer.engine.report import PARAMETERS_PROPERTY
from bgoptimizer.engine.stretch import StretchParams
from bgoptimizer.engine.synthetic import make_sky
from bgoptimizer.exceptions import CancelledError, FormatError, ParameterError
from bgoptimizer.files import OutputPaths, run_files, with_metadata
from bgoptimizer.io import read_image, write_image
from bgoptimizer.io.image import FitsKeyword, ImageData
from bgoptimizer.params import FitParams
from bgoptimizer.progress import ProgressHooks, Stage

FAST = {"epochs": 30, "downscale": 4, "preview_every": 10}


@pytest.fixture(scope="module")
def sky():
    return make_sky(96, 144, gradients=("dome", "airglow"), seed=7)


@pytest.fixture(scope="module")
def fitted(sky):
    events = []
    image = ImageData(sky.image.copy(), color_space="RGB", keywords=[FitsKeyword("OBJECT", "'x'")])
    result = run_image(image, FitParams.from_mapping(FAST), hooks=ProgressHooks(events.append))
    return image, result, events


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_outputs_keep_missing_zero_and_the_subtract_invariant(sky, fitted):
    image, result, _ = fitted
    np.testing.assert_array_equal(image.pixels, sky.image)  # input untouched
    bg, corr = result.background, result.corrected
    assert bg.shape == corr.shape == sky.image.shape
    assert np.all(bg[sky.missing] == 0) and np.all(corr[sky.missing] == 0)
    med = np.array(result.report["correction"]["model_median"], np.float32)
    inside = ~sky.missing[..., None] & (corr > 0) & (corr < 1) & (bg > 0) & (bg < 1)
    back = corr - med + bg
    np.testing.assert_allclose(back[inside], sky.image[inside], atol=2e-6)


def test_metadata_history_and_parameters_property(fitted):
    """The edges give every result the input's metadata, HISTORY and the parameters."""
    image, result, _ = fitted
    params = FitParams.from_mapping(FAST)
    for pixels in (result.background, result.corrected, result.objects[..., None]):
        out = with_metadata(image, pixels, params, "a result")
        assert out.keywords[0] == FitsKeyword("OBJECT", "'x'")
        history = [k.comment for k in out.keywords if k.name == "HISTORY"]
        assert history[0].startswith("bgoptimizer ") and all(len(h) <= 72 for h in history)
        prop = next(p for p in out.properties if p.id == PARAMETERS_PROPERTY)
        assert json.loads(prop.value)["epochs"] == 30
    assert with_metadata(image, result.corrected, params, "x").color_space == "RGB"


def test_report_contents(fitted):
    _, result, _ = fitted
    rep = result.report
    assert rep["parameters"]["epochs"] == 30 and rep["working"]["factor"] == 4
    assert len(rep["stretch"]["midtones"]) == 3 and rep["stretch"]["explicit"] is False
    passes = rep["parameters"]["rejection_passes"] + 1
    assert passes > 1 and 1 <= rep["fit"]["epochs_run"] <= 30 * passes
    rejections = rep["fit"]["rejections"]
    assert len(rejections) == passes - 1
    assert all(0 <= r["rejected_fraction"] < 1 and len(r["sigma"]) == 3 for r in rejections)
    assert len(rep["fit"]["loss_history"]) == rep["fit"]["epochs_run"]
    assert len(rep["samples"]) == 32
    xs = np.array([s["x"] for s in rep["samples"]])
    ys = np.array([s["y"] for s in rep["samples"]])
    assert 0 < np.median(xs) < 144 and 0 < np.median(ys) < 96  # full-resolution pixels
    assert np.all(np.abs(xs - 72) < 144) and np.all(np.abs(ys - 48) < 144)
    assert set(rep["timings"]) >= {"stretching", "downscaling", "optimising", "evaluating"}
    assert set(rep["versions"]) >= {"bgoptimizer", "tensorflow", "numpy", "python"}
    assert rep["device"] and rep["correction"]["clipped"]["corrected_low"] == [0, 0, 0]
    json.dumps(rep)  # JSON-ready


def test_progress_events(fitted):
    _, result, events = fitted
    stages = [e.stage for e in events]
    order = [Stage.STRETCHING, Stage.DOWNSCALING, Stage.OPTIMISING, Stage.EVALUATING]
    assert [s for i, s in enumerate(stages) if i == 0 or stages[i - 1] != s] == order
    progress = [e.progress for e in events]
    assert progress == sorted(progress) and progress[0] >= 0 and progress[-1] <= 1
    previews = [e.preview for e in events if e.preview is not None]
    assert len(previews) >= 2  # during the fit and once at the end
    # made from the input (96x144, under the preview size), not the 24x36 working image
    assert all(p.shape == (96, 144, 3) for p in previews)
    assert 0 <= previews[-1].min() <= previews[-1].max() <= 1
    assert result.preview is previews[-1]


def test_divide_and_explicit_stretch(sky):
    sp = StretchParams((0.03,) * 3, (0.06,) * 3, (0.2,) * 3)
    params = FitParams.from_mapping({**FAST, "epochs": 5, "correction": "divide"})
    result = run_image(ImageData(sky.image), params, stretch=sp)
    assert result.report["stretch"]["explicit"] is True
    assert result.report["stretch"]["midtones"] == [0.2, 0.2, 0.2]
    assert np.all(result.corrected[sky.missing] == 0)


def test_cancel_and_errors(sky):
    params = FitParams.from_mapping(FAST)
    with pytest.raises(CancelledError, match=r"cancelled"):
        run_image(ImageData(sky.image), params, hooks=ProgressHooks(is_cancelled=lambda: True))
    with pytest.raises(ParameterError, match=r"no pixel is left to fit"):
        run_image(ImageData(sky.image), params, mask=np.zeros(sky.image.shape[:2], np.float32))
    with pytest.raises(ParameterError, match=r"1 value\(s\) per parameter but the image has 3"):
        run_image(ImageData(sky.image), params, stretch=StretchParams((0,), (1,), (0.5,)))


def test_output_paths():
    out = OutputPaths.for_input(Path("a/m31.FIT"), Path("o"))
    assert out.background == Path("o/m31_background.fits") and out.report.suffix == ".json"
    assert OutputPaths.for_input(Path("m31.xisf"), Path(".")).corrected.suffix == ".xisf"


def test_run_files_xisf_input_untouched(tmp_path, sky):
    src = tmp_path / "sky.xisf"
    write_image(src, ImageData(sky.image, color_space="RGB"))
    digest = _sha(src)
    outputs = OutputPaths.for_input(src, tmp_path)
    report = run_files(src, outputs, FitParams.from_mapping({**FAST, "epochs": 5}))
    assert _sha(src) == digest
    assert json.loads(outputs.report.read_text())["files"]["corrected"] == str(outputs.corrected)
    assert set(report["timings"]) >= {"reading", "writing"}
    back = read_image(outputs.corrected)
    assert back.shape == sky.image.shape and np.all(back.pixels[sky.missing] == 0)
    with pytest.raises(ParameterError, match=r"refusing to overwrite the input"):
        run_files(
            src,
            OutputPaths(src, tmp_path / "c.xisf", tmp_path / "r.json", tmp_path / "o.xisf"),
            FitParams(),
        )
    with pytest.raises(FormatError, match=r"no such file"):
        run_files(tmp_path / "nope.xisf", outputs, FitParams())


def test_real_fits_frame(tmp_path, real_data):
    src = real_data / "fits" / "nebulosa_M51.F32.Mono.fits"
    digest = _sha(src)
    outputs = OutputPaths.for_input(src, tmp_path)
    params = FitParams.from_mapping({"epochs": 10, "downscale": 16})
    report = run_files(src, outputs, params)
    assert _sha(src) == digest
    assert outputs.corrected.suffix == ".fits" and outputs.corrected.is_file()
    corrected = read_image(outputs.corrected).pixels
    original = read_image(src).pixels
    assert corrected.shape == original.shape
    assert np.all(corrected[original == 0] == 0)
    assert report["image"]["channels"] == 1


def test_sky_above_the_white_point_is_fitted_not_clipped():
    """A light dome's corner is the brightest ~5 % of the sky, above the stretch's white
    point (quantile 0.95). The fit must see it as it is: clipped to 1 (or excluded by a
    threshold at 1) the model stays flat there, far below the truth."""
    rng = np.random.default_rng(3)
    h, w = 160, 240
    y, x = np.mgrid[0:h, 0:w] / w
    truth = (0.05 + 0.04 * np.exp(3 * (x + y) - 5))[..., None].astype(np.float32)
    image = ImageData(truth + rng.normal(0, 2e-4, truth.shape).astype(np.float32))
    model = run_image(image, FitParams(downscale=4, rejection_passes=0)).background
    corner = truth[..., 0] >= np.quantile(truth, 0.95)
    span = float(np.ptp(truth))
    error = np.abs(model - truth)[..., 0]
    assert error[corner].mean() < 0.05 * span
    assert error.mean() < 0.02 * span


def test_previews_are_sharper_than_the_working_image():
    """A 1100-pixel frame: the working image is ~128 blocks wide, the preview ~512 pixels,
    reduced by block means with the missing border left out (and shown as 0)."""
    from bgoptimizer.engine.pipeline import PREVIEW_LONG_SIDE, _PreviewMaker
    from bgoptimizer.engine.working import prepare

    big = make_sky(600, 1100, gradients=("moon",), seed=2)
    params = FitParams()
    work = prepare(big.image, params)
    maker = _PreviewMaker.build(big.image, work, params)
    assert work.image.shape[:2] == (67, 123)
    assert maker.linear.shape == (200, 367, 3) and max(maker.linear.shape) <= PREVIEW_LONG_SIDE
    assert maker.coords.shape == (200, 367, 2)
    block = big.image[300:303, 600:603].mean((0, 1))
    np.testing.assert_allclose(maker.linear[100, 200], block, rtol=1e-6)
    assert maker.missing[0].all() and (maker.linear[0] == 0).all()  # the top border
    shown = maker(np.full((200, 367, 3), 0.3, np.float32))
    assert shown.shape == (200, 367, 3) and 0 <= shown.min() <= shown.max() <= 1


@pytest.mark.parametrize(("size", "downscale"), [((96, 144), 4), ((83, 125), 0), ((61, 47), 5)])
def test_the_fit_is_compiled_ahead_for_the_working_image_it_gets(monkeypatch, size, downscale):
    """The pipeline predicts the working shape before downscaling, to compile while it
    stretches; a wrong prediction would compile the wrong program and waste that time."""
    from bgoptimizer.engine import pipeline

    asked = []
    monkeypatch.setattr(pipeline, "compile_ahead", lambda shape, *a, **k: asked.append(shape))
    sky = make_sky(*size, channels=1, gradients=("dome",), seed=2)
    params = FitParams.from_mapping({**FAST, "epochs": 3, "downscale": downscale})
    result = run_image(ImageData(sky.image, color_space="Gray"), params)
    working = result.report["working"]
    assert asked == [(working["height"], working["width"], 1)]


def test_the_object_map_marks_what_the_fit_was_kept_away_from():
    sky = make_sky(120, 180, gradients=("dome",), objects=("big_galaxy",), seed=3)
    result = run_image(ImageData(sky.image, color_space="RGB"), FitParams())
    objects = result.objects
    assert objects.shape == sky.image.shape[:2] and set(np.unique(objects)) <= {0.0, 1.0}
    assert result.report["objects"]["share_pct"] == pytest.approx(
        100 * objects[~sky.missing].mean(), abs=1e-3
    )
    assert not objects[sky.missing].any()
    bright = sky.extended.sum(2) > 0.5 * sky.extended.sum(2).max()
    assert objects[bright & ~sky.missing].mean() > 0.5  # the galaxy's core is protected
