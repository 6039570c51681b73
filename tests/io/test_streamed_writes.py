"""Pixels computed while they are written (PlaneBands): the same bytes as the whole array.

The pipeline's outputs are never held whole (issue 19: at most the input in memory), so the
writers take them a band at a time; a user opening the file must not be able to tell.
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.io.fits.verify import VerifyWarning

from bgoptimizer.io import ImageData, read_image, write_image
from bgoptimizer.io.fits import STRUCTURAL, _ascii, _value
from bgoptimizer.io.image import PlaneBands
from shared_data import REAL_DATA, real_files

RICH = (
    REAL_DATA
    / "xisf/pixinsight"
    / "xisfsharp_200x150-u16-zstd-shuffle-process-history-display-function-icc-sha1.xisf"
)


def _without_creation_time(data: bytes) -> bytes:
    """XISF files record when they were written: the one part two writes may not share."""
    return re.sub(rb'(XISF:CreationTime" type="String">)[^<]*<', rb"\1<", data)


class _Recorder:
    """The bands of an array, remembering which were asked for (the writers' contract)."""

    def __init__(self, pixels: np.ndarray) -> None:
        self.pixels, self.asked = pixels, []

    def __call__(self, channel: int, rows: slice) -> np.ndarray:
        self.asked.append((channel, rows.start, rows.stop))
        return self.pixels[rows, :, channel].copy()  # a fresh band, as computed ones are

    def check_once_in_planar_order(self) -> None:
        height, _, channels = self.pixels.shape
        rows = [(c, r) for c, r0, r1 in self.asked for r in range(r0, r1)]
        assert rows == [(c, r) for c in range(channels) for r in range(height)]


def _both_ways(tmp_path: Path, image: ImageData, suffix: str, **options) -> tuple[bytes, bytes]:
    whole, banded = tmp_path / f"whole{suffix}", tmp_path / f"banded{suffix}"
    write_image(whole, image, **options)
    recorder = _Recorder(image.pixels)
    streamed = ImageData(**{**image.__dict__, "pixels": PlaneBands(image.shape, recorder)})
    write_image(banded, streamed, **options)
    recorder.check_once_in_planar_order()
    return whole.read_bytes(), banded.read_bytes()


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"sample_format": "UInt16"},
        {"compression": "zstd"},
        {"compression": "lz4", "shuffle": False},
        {"checksum": None},
    ],
    ids=repr,
)
def test_xisf_from_bands_is_the_same_file(tmp_path, options):
    src = read_image(RICH)  # ICC profile, thumbnail, properties, keywords
    rng = np.random.default_rng(1)
    pixels = rng.random((150, 200, 3), dtype=np.float32)
    image = src.derived(pixels, history=["banded"])
    whole, banded = _both_ways(tmp_path, image, ".xisf", **options)
    assert _without_creation_time(whole) == _without_creation_time(banded)


@pytest.mark.parametrize("path", real_files("fits"), ids=lambda p: p.name)
def test_fits_from_bands_is_astropys_file(tmp_path, path):
    """The FITS writer streams the data after astropy's header: byte for byte what
    astropy's own ``writeto`` makes of the whole array, for a real frame's keywords."""
    image = read_image(path)
    whole, banded = _both_ways(tmp_path, image, ".fits")
    assert whole == banded
    px = image.pixels
    hdu = fits.PrimaryHDU(np.ascontiguousarray(px[:, :, 0] if px.shape[2] == 1 else px, ">f4"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VerifyWarning)
        for kw in image.keywords:
            if kw.name in STRUCTURAL or kw.name.startswith("NAXIS"):
                continue
            card = (kw.name, _ascii(kw.comment))
            if kw.name not in ("COMMENT", "HISTORY"):
                card = (kw.name, _ascii(_value(kw.value)), _ascii(kw.comment))
            hdu.header.append(card, end=True)
    reference = io.BytesIO()
    hdu.writeto(reference, output_verify="silentfix")
    assert banded == reference.getvalue()


def test_fits_rgb_from_bands_is_astropys_file(tmp_path):
    rng = np.random.default_rng(2)
    image = ImageData(rng.random((47, 301, 3), dtype=np.float32), color_space="RGB")
    whole, banded = _both_ways(tmp_path, image, ".fits")
    reference = io.BytesIO()
    fits.PrimaryHDU(np.ascontiguousarray(image.pixels.transpose(2, 0, 1), ">f4")).writeto(reference)
    assert whole == banded == reference.getvalue()
