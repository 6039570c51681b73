"""The outputs of ``run_files`` are computed band by band while they are written: the same
files as the whole arrays of ``run_image``, without an image-sized array of their own."""

from __future__ import annotations

import re
import tracemalloc

import numpy as np
import pytest

from bgoptimizer.engine.pipeline import run_image
from bgoptimizer.engine.synthetic import make_sky
from bgoptimizer.files import OutputPaths, run_files, with_metadata
from bgoptimizer.io import ImageData, read_image, write_image
from bgoptimizer.params import FitParams
from bgoptimizer.progress import ProgressHooks, Stage

FAST = {"epochs": 20, "downscale": 8}


def _without_creation_time(data: bytes) -> bytes:
    return re.sub(rb'(XISF:CreationTime" type="String">)[^<]*<', rb"\1<", data)


@pytest.mark.parametrize(("suffix", "correction"), [(".xisf", "subtract"), (".fits", "divide")])
def test_streamed_outputs_are_the_whole_arrays_written(tmp_path, suffix, correction):
    sky = make_sky(130, 170, gradients=("dome",), seed=4)
    image = ImageData(sky.image, color_space="RGB")
    src = tmp_path / f"sky{suffix}"
    write_image(src, image)
    params = FitParams.from_mapping({**FAST, "correction": correction})
    report = run_files(src, OutputPaths.for_input(src, tmp_path), params)
    source = read_image(src)
    result = run_image(source, params)
    for name, pixels in (
        ("background", result.background),
        ("corrected", result.corrected),
        ("objects", result.objects[..., None]),
    ):
        whole = tmp_path / f"whole_{name}{suffix}"
        write_image(whole, with_metadata(source, pixels, params, _description(name, params)))
        streamed = tmp_path / f"sky_{name}{suffix}"
        assert _without_creation_time(streamed.read_bytes()) == _without_creation_time(
            whole.read_bytes()
        ), name
    assert report["correction"] == result.report["correction"]
    assert report["objects"] == result.report["objects"]


def _description(name: str, params: FitParams) -> str:
    return {
        "background": "background model",
        "corrected": f"background removed ({params.correction})",
        "objects": "object map",
    }[name]


def test_model_and_outputs_need_nothing_image_sized(tmp_path):
    """From the model's evaluation to the last file written, less than one channel's plane
    is allocated (the whole model, and each output, used to be three; what is left is the
    model's grid, band-sized arrays and Python's own objects). A wide frame, so that the
    preview (512 pixels long) is small beside it."""
    sky = make_sky(600, 4000, gradients=("dome",), seed=5)
    src = tmp_path / "sky.xisf"
    write_image(src, ImageData(sky.image, color_space="RGB"))
    start = []

    def on_event(event) -> None:
        if event.stage is Stage.EVALUATING and not start:
            tracemalloc.reset_peak()
            start.append(tracemalloc.get_traced_memory()[0])

    tracemalloc.start()
    try:
        run_files(
            src,
            OutputPaths.for_input(src, tmp_path),
            FitParams.from_mapping(FAST),
            hooks=ProgressHooks(on_event=on_event),
        )
        peak = tracemalloc.get_traced_memory()[1] - start[0]
    finally:
        tracemalloc.stop()
    plane = 600 * 4000 * np.dtype(np.float32).itemsize
    assert peak < plane, f"{peak / 2**20:.1f} MiB"
