"""Every real file in ../shared/data/real reads, with the pixel values SOURCES.md documents."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
import xisf
from astropy.io import fits

from bgoptimizer.io import probe, read_image
from shared_data import REAL_DATA as REAL
from shared_data import real_files

PIXINSIGHT = real_files("xisf/pixinsight", "*.xisf")
OTHER = real_files("xisf/other", "*.xisf")
TRUNCATED_THUMBNAIL = {"wrenby_test.xisf", "wrenby_2ch.xisf"}

# name fragment -> (sample format, documented constant stored value)
CONSTANTS = {
    "xisfsharp_400x300-u16-": ("UInt16", 42 / 65535),
    "xisfsharp_400x300-u16.xisf": ("UInt16", 32768 / 65535),
    "xisfsharp_40x30-u16-embedded": ("UInt16", 32768 / 65535),
    "xisfsharp_200x150": ("UInt16", 32768 / 65535),
    "xisfsharp_400x300-u32": ("UInt32", 2**31 / (2**32 - 1)),
    "xisfsharp_400x300-u8": ("UInt8", 128 / 255),
    "xisfsharp_400x300-f32": ("Float32", 0.5),
    "xisfsharp_400x300-f64": ("Float64", 0.5),
    "gray-256x256-8bits": ("UInt8", 1.0),
    "rgb-256x256-8bits-compressed": ("UInt8", 1.0),
    "float-32bits": ("Float32", 1.0),
    "float-64bits": ("Float64", 1.0),
}


def _read(path: Path):
    if path.name in TRUNCATED_THUMBNAIL:
        with pytest.warns(UserWarning, match=r"<Thumbnail>: attachment .* outside .* dropped"):
            return read_image(path)
    return read_image(path)


def _reference(path: Path) -> np.ndarray | None:
    """What the ``xisf`` package decodes, normalised like ours; None where it cannot read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = xisf.XISF(str(path)).read_image(0)
    except Exception:
        return None
    if data.dtype.kind == "u":
        return data / np.iinfo(data.dtype).max
    return data.astype(np.float64)


@pytest.mark.parametrize("path", PIXINSIGHT + OTHER, ids=lambda p: p.name)
def test_every_xisf_reads(path: Path) -> None:
    image = _read(path)
    px = image.pixels
    assert px.dtype == np.float32 and px.flags.c_contiguous and px.flags.writeable
    info = probe(path)[0]
    assert (info.height, info.width, info.channels) == px.shape
    assert info.sample_format == image.sample_format
    for fragment, (fmt, value) in CONSTANTS.items():
        if fragment in path.name:
            assert image.sample_format == fmt
            np.testing.assert_allclose(px, value, rtol=1e-6)
    ref = _reference(path)
    if ref is not None:
        np.testing.assert_allclose(px, ref, rtol=1e-6, atol=1e-9)


def test_embedded_files_the_xisf_package_cannot_read() -> None:
    embedded = [p for p in PIXINSIGHT if probe(p)[0].location == "embedded"]
    assert len(embedded) >= 10
    assert all(_reference(p) is None for p in embedded)


def test_wrenby_frame_values_and_keywords() -> None:
    image = _read(REAL / "xisf/pixinsight/wrenby_test.xisf")
    stored = np.rint(image.pixels[:, :, 0] * 65535)
    assert image.pixels.shape == (10, 8, 1)
    assert stored.min() == 0 and stored.max() == 9
    assert np.median(stored) == 5  # the file's MEDIAN1 keyword
    np.testing.assert_array_equal(stored[0], [5, 7, 4, 2, 1, 1, 1, 5])
    assert len(image.keywords) == 53
    names = [k.name for k in image.keywords]
    assert names.count("COMMENT") == 3 and "BZERO" in names
    lz4 = read_image(REAL / "xisf/pixinsight/libxisf_test_lz4.xisf")
    np.testing.assert_array_equal(lz4.pixels, image.pixels)
    two = _read(REAL / "xisf/pixinsight/wrenby_2ch.xisf")
    assert two.pixels.shape == (10, 4, 2)
    np.testing.assert_array_equal(np.sort(two.pixels, None), np.sort(image.pixels, None))


def test_zlib_pattern_ranges() -> None:
    plain = read_image(REAL / "xisf/pixinsight/xisfits_xisf-image-gray-256x256-16bits-zlib.xisf")
    stored = np.rint(plain.pixels * 65535)
    assert (stored.min(), stored.max()) == (63, 86)
    sh = read_image(REAL / "xisf/pixinsight/xisfits_xisf-image-gray-256x256-16bits-zlib_sh.xisf")
    stored = np.rint(sh.pixels * 65535)
    assert (stored.min(), stored.max()) == (1040, 50624)


def test_extras_of_a_rich_file() -> None:
    name = "xisfsharp_200x150-u16-zstd-shuffle-process-history-display-function-icc-sha1.xisf"
    image = read_image(REAL / "xisf/pixinsight" / name)
    tags = [e.tag for e in image.extras["xisf_elements"]]
    assert tags == ["DisplayFunction", "Resolution", "ICCProfile", "Thumbnail"]
    icc = image.extras["xisf_elements"][2]
    assert len(icc.block) == 3144 and icc.block[36:40] == b"acsp"  # ICC signature
    thumb = image.extras["xisf_elements"][3]
    assert len(thumb.block) == 120000 and thumb.attrib["geometry"] == "400:300:1"
    (history,) = image.properties
    assert history.id == "PixInsight:ProcessingHistory"
    assert history.value.startswith("<?xml") and len(history.value.encode()) == 14357


def test_fits_float_mono() -> None:
    image = read_image(REAL / "fits/nebulosa_M51.F32.Mono.fits")
    assert image.pixels.shape == (874, 973, 1) and image.sample_format == "Float32"
    with fits.open(REAL / "fits/nebulosa_M51.F32.Mono.fits") as hdul:
        np.testing.assert_array_equal(image.pixels[:, :, 0], hdul[0].data)
    assert 0.05 < float(np.median(image.pixels)) < 0.07  # SOURCES.md: median ~0.059


def test_fits_uint16_bzero() -> None:
    path = REAL / "fits/seestar_M94_10s_20250326-212046.fit"
    image = read_image(path)
    assert image.pixels.shape == (1920, 1080, 1) and image.sample_format == "UInt16"
    with fits.open(path, do_not_scale_image_data=True) as hdul:
        raw = hdul[0].data.astype(np.int64) + int(hdul[0].header["BZERO"])
    np.testing.assert_allclose(image.pixels[:, :, 0], raw / 65535, rtol=1e-6)
    names = [k.name for k in image.keywords]
    assert "BAYERPAT" in names and "BZERO" not in names
    (info,) = probe(path)
    assert info.sample_format == "UInt16" and len(info.keywords) == len(image.keywords)
