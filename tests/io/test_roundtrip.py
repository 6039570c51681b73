"""Write -> read round trips: every sample format x codec x shuffle, metadata kept exactly."""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

import numpy as np
import pytest
import xisf
from astropy.io import fits

from bgoptimizer.exceptions import ParameterError, XISFError
from bgoptimizer.io import FitsKeyword, ImageData, Property, probe, read_image, write_image
from shared_data import REAL_DATA as REAL

RICH = (
    REAL
    / "xisf/pixinsight"
    / ("xisfsharp_200x150-u16-zstd-shuffle-process-history-display-function-icc-sha1.xisf")
)
KEYWORDS = [
    FitsKeyword("OBJECT", "'NGC 7000 «Díaz»'", "naïve comment, 5 °C"),
    FitsKeyword("EXPTIME", "300.", "s"),
    FitsKeyword("HISTORY", "", "flat-fielded — ünïcode"),
    FitsKeyword("COMMENT", "", "a comment"),
]
PROPERTIES = [
    Property("Instrument:Sensor:Temperature", "Float64", -10.5, "°C"),
    Property("Observer:Name", "String", "Sergio Díaz ☃"),
    Property("Flag:On", "Boolean", True),
    Property("Flag:Off", "Boolean", False),
    Property("Count", "UInt64", 2**63 + 5),
    Property("Small", "Int8", -7),
    Property("Gain", "Float32", 1.25, format="%.2f"),
    Property("Z", "Complex64", complex(1.5, -2.0)),
    Property("Obs:Time", "TimePoint", "2025-03-26T21:20:46Z"),
    Property("V", "F32Vector", np.arange(5, dtype=np.float32)),
    Property("M", "I16Matrix", np.arange(6, dtype=np.int16).reshape(2, 3)),
    Property("Big", "F64Vector", np.linspace(0, 1, 1000)),
    Property("Ctrl", "String", "bell\x07 inside"),
]
CODECS = [None, "zlib", "lz4", "lz4hc", "zstd"]


def _image(channels: int) -> ImageData:
    rng = np.random.default_rng(channels)
    px = rng.random((23, 31, channels), dtype=np.float32)
    return ImageData(px, "Float32", "RGB" if channels == 3 else "Gray", KEYWORDS, PROPERTIES)


def _same_properties(a: list[Property], b: list[Property]) -> None:
    assert [(p.id, p.type, p.comment, p.format) for p in a] == [
        (p.id, p.type, p.comment, p.format) for p in b
    ]
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x.value, y.value), x.id
        assert type(x.value) is type(y.value) or isinstance(x.value, np.ndarray), x.id


@pytest.mark.parametrize(
    ("fmt", "codec", "shuffle"),
    list(itertools.product(["Float32", "UInt16"], CODECS, [True, False])),
)
@pytest.mark.parametrize("channels", [1, 3])
def test_xisf_round_trip(
    tmp_path: Path, fmt: str, codec: str | None, shuffle: bool, channels: int
) -> None:
    image = _image(channels)
    path = tmp_path / "out.xisf"
    write_image(path, image, sample_format=fmt, compression=codec, shuffle=shuffle)
    back = read_image(path)
    if fmt == "Float32":
        np.testing.assert_array_equal(back.pixels, image.pixels)
    else:
        np.testing.assert_allclose(back.pixels, image.pixels, atol=0.5 / 65535 + 1e-7)
    assert back.sample_format == fmt and back.color_space == image.color_space
    assert back.keywords == KEYWORDS
    _same_properties(back.properties, PROPERTIES)
    (info,) = probe(path, verify=True)
    assert info.checksum == "sha1" and info.checksum_verified is True
    expected = None if codec is None else codec + ("+sh" if shuffle else "")
    assert (info.compression or "").split(":")[0] == (expected or "")


def test_rewrite_keeps_icc_thumbnail_display_function(tmp_path: Path) -> None:
    src = read_image(RICH)
    path = tmp_path / "copy.xisf"
    write_image(path, src.derived(src.pixels * 0.5, history=["scaled"]), compression="zstd")
    back = read_image(path)
    assert [e.tag for e in back.extras["xisf_elements"]] == [
        e.tag for e in src.extras["xisf_elements"]
    ]
    for a, b in zip(back.extras["xisf_elements"], src.extras["xisf_elements"], strict=True):
        assert (a.attrib, a.block) == (b.attrib, b.block)
    _same_properties(back.properties, src.properties)
    assert back.keywords[-1] == FitsKeyword("HISTORY", "", "scaled")
    raw = path.read_bytes()
    text = raw[16 : 16 + int.from_bytes(raw[8:12], "little")]
    assert b"XISF:CreatorApplication" in text and b'bounds="0:1"' in text
    assert b'id="XISF:CompressionCodecs" type="String">zstd+sh<' in text


def test_xisf_package_reads_our_files(tmp_path: Path) -> None:
    image = _image(3)
    for fmt in ("Float32", "UInt16"):
        path = tmp_path / f"{fmt}.xisf"
        write_image(path, image, sample_format=fmt)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = xisf.XISF(str(path)).read_image(0)
        scale = 65535 if fmt == "UInt16" else 1
        np.testing.assert_allclose(data / scale, image.pixels, atol=0.5 / 65535 + 1e-7)


def test_uint16_clips_and_nan(tmp_path: Path) -> None:
    px = np.array([[[-0.5], [np.nan], [2.0], [0.5]]], np.float32)
    path = tmp_path / "clip.xisf"
    write_image(path, ImageData(px), sample_format="UInt16")
    np.testing.assert_allclose(read_image(path).pixels.ravel(), [0, 0, 1, 32768 / 65535])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sample_format": "UInt8"}, "sample_format must be one of"),
        ({"compression": "bzip2"}, "compression must be None or one of"),
        ({"checksum": "md5"}, "checksum must be None or one of"),
    ],
)
def test_write_options_checked(tmp_path: Path, kwargs: dict, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        write_image(tmp_path / "x.xisf", _image(1), **kwargs)
    assert not list(tmp_path.iterdir())


def test_write_rejects_control_characters_in_keywords(tmp_path: Path) -> None:
    image = ImageData(np.zeros((2, 2, 1), np.float32), keywords=[FitsKeyword("A", "'\x01'")])
    with pytest.raises(XISFError, match="keyword 'A' holds a control character"):
        write_image(tmp_path / "x.xisf", image)
    assert not list(tmp_path.iterdir())


def test_write_rejects_bad_shape(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=r"pixels must be a non-empty \(H, W, C\) array"):
        write_image(tmp_path / "x.xisf", ImageData(np.zeros((4, 4), np.float32)))


def test_fits_options_checked(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="FITS output is float32 and uncompressed"):
        write_image(tmp_path / "x.fits", _image(1), compression="zstd")


@pytest.mark.parametrize("channels", [1, 3])
def test_fits_round_trip(tmp_path: Path, channels: int) -> None:
    image = _image(channels)
    path = tmp_path / "out.fits"
    write_image(path, image)
    back = read_image(path)
    np.testing.assert_array_equal(back.pixels, image.pixels)
    assert back.color_space == image.color_space
    with fits.open(path) as hdul:
        header = hdul[0].header
        assert hdul[0].data.shape == ((23, 31) if channels == 1 else (3, 23, 31))
    assert header["OBJECT"] == "NGC 7000 ?D?az?"  # FITS headers are ASCII
    assert header["EXPTIME"] == 300.0
    assert "flat-fielded" in str(header["HISTORY"])


def test_fits_header_kept_from_real_file(tmp_path: Path) -> None:
    src = read_image(REAL / "fits/seestar_M94_10s_20250326-212046.fit")
    path = tmp_path / "copy.fits"
    write_image(path, src)
    back = read_image(path)
    assert back.keywords == src.keywords
    np.testing.assert_array_equal(back.pixels, src.pixels)


def test_fits_to_xisf_keeps_keywords(tmp_path: Path) -> None:
    src = read_image(REAL / "fits/seestar_M94_10s_20250326-212046.fit")
    path = tmp_path / "copy.xisf"
    write_image(path, src, sample_format="UInt16")
    back = read_image(path)
    assert back.keywords == src.keywords
    np.testing.assert_allclose(back.pixels, src.pixels, atol=1e-7)


def test_fits_integer_cube(tmp_path: Path) -> None:
    data = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(3, 2, 4) * 10
    path = tmp_path / "cube.fits"
    fits.PrimaryHDU(data).writeto(path)
    image = read_image(path)
    assert image.sample_format == "UInt8" and image.color_space == "RGB"
    np.testing.assert_allclose(image.pixels, data.transpose(1, 2, 0) / 255, rtol=1e-6)
    signed = tmp_path / "signed.fits"
    fits.PrimaryHDU(np.array([[-32768, 0, 32767]], np.int16)).writeto(signed)
    px = read_image(signed).pixels.ravel()
    np.testing.assert_allclose(px, [0, 32768 / 65535, 1], rtol=1e-6)
    assert probe(signed)[0].sample_format == "Int16"


def test_fits_bscale_gives_physical_values(tmp_path: Path) -> None:
    path = tmp_path / "scaled.fits"
    hdu = fits.PrimaryHDU(np.array([[0, 2, 4]], np.int16))
    hdu.header["BSCALE"] = 0.5
    hdu.header["BZERO"] = 10.0
    hdu.writeto(path)
    image = read_image(path)
    assert image.sample_format == "Float32"
    np.testing.assert_allclose(image.pixels.ravel(), [10, 11, 12])
