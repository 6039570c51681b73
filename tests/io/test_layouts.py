"""Storage variants PixInsight may write that the real samples lack: Normal storage,
big-endian data, hex inline blocks, sub-blocks, shuffled codecs, several images per file."""

from __future__ import annotations

import base64
import zlib
from pathlib import Path

import numpy as np
import pytest
import zstandard
from xisf_craft import attached, image_xml, xisf_bytes

from bgoptimizer.io import probe, read_image
from bgoptimizer.io.xisf.codecs import shuffle

RGB = np.arange(4 * 5 * 3, dtype=np.uint16).reshape(4, 5, 3) * 1000  # (H, W, C)
EXPECTED = RGB / 65535
ATTRS = 'geometry="5:4:3" sampleFormat="UInt16" colorSpace="RGB"'


def _planar(dtype: str = "<u2") -> bytes:
    return np.ascontiguousarray(RGB.transpose(2, 0, 1)).astype(dtype).tobytes()


def _read(tmp_path: Path, content: bytes) -> np.ndarray:
    path = tmp_path / "t.xisf"
    path.write_bytes(content)
    return read_image(path).pixels


@pytest.mark.parametrize(
    ("attrs", "data"),
    [
        (ATTRS, _planar()),
        (f'{ATTRS} pixelStorage="Normal"', RGB.astype("<u2").tobytes()),
        (f'{ATTRS} byteOrder="big"', _planar(">u2")),
        (f'{ATTRS} pixelStorage="Normal" byteOrder="big"', RGB.astype(">u2").tobytes()),
    ],
    ids=["planar", "normal", "planar-big", "normal-big"],
)
def test_storage_and_byte_order(tmp_path: Path, attrs: str, data: bytes) -> None:
    np.testing.assert_allclose(_read(tmp_path, attached(attrs, data)), EXPECTED, rtol=1e-7)


def test_float_big_endian_normal(tmp_path: Path) -> None:
    px = np.random.default_rng(1).random((4, 5, 3)).astype(np.float32)
    attrs = 'geometry="5:4:3" sampleFormat="Float32" pixelStorage="Normal" byteOrder="big"'
    np.testing.assert_array_equal(_read(tmp_path, attached(attrs, px.astype(">f4").tobytes())), px)


def test_float64_mono_attached(tmp_path: Path) -> None:
    px = np.random.default_rng(2).random((4, 5, 1))
    got = _read(tmp_path, attached('geometry="5:4:1" sampleFormat="Float64"', px.tobytes()))
    np.testing.assert_array_equal(got, px.astype(np.float32))


def test_inline_hex_and_base64(tmp_path: Path) -> None:
    data = _planar()
    for enc, text in (("hex", data.hex()), ("base64", base64.b64encode(data).decode())):
        xml = image_xml(f'{ATTRS} location="inline:{enc}"', f"\n  {text}\n")
        np.testing.assert_allclose(_read(tmp_path, xisf_bytes(xml)), EXPECTED, rtol=1e-7)


def test_embedded_hex(tmp_path: Path) -> None:
    inner = f'<Data encoding="hex">{_planar().hex()}</Data>'
    xml = image_xml(f'{ATTRS} location="embedded"', inner)
    np.testing.assert_allclose(_read(tmp_path, xisf_bytes(xml)), EXPECTED, rtol=1e-7)


def test_subblocks(tmp_path: Path) -> None:
    data = _planar()
    parts = [data[:50], data[50:]]
    packed = [zlib.compress(p) for p in parts]
    sub = ":".join(f"{len(c)},{len(p)}" for c, p in zip(packed, parts, strict=True))
    attrs = f'{ATTRS} compression="zlib:{len(data)}" subblocks="{sub}"'
    np.testing.assert_allclose(
        _read(tmp_path, attached(attrs, b"".join(packed))), EXPECTED, rtol=1e-7
    )


def test_shuffle_item_size_other_than_sample(tmp_path: Path) -> None:
    data = np.frombuffer(_planar(), np.uint8)
    packed = zstandard.compress(shuffle(data, 4).tobytes())
    attrs = f'{ATTRS} compression="zstd+sh:{data.size}:4"'
    np.testing.assert_allclose(_read(tmp_path, attached(attrs, packed)), EXPECTED, rtol=1e-7)


def test_several_images(tmp_path: Path) -> None:
    one = _planar()
    two = np.full(4 * 5, 65535, "<u2").tobytes()
    xml = (
        '<?xml version="1.0"?><xisf version="1.0" xmlns="http://www.pixinsight.com/xisf">'
        f'<Image {ATTRS} location="inline:hex">{one.hex()}</Image>'
        f'<Image geometry="5:4:1" sampleFormat="UInt16" location="inline:hex">{two.hex()}</Image>'
        "</xisf>"
    )
    path = tmp_path / "two.xisf"
    path.write_bytes(xisf_bytes(xml))
    assert [i.channels for i in probe(path)] == [3, 1]
    np.testing.assert_allclose(read_image(path).pixels, EXPECTED, rtol=1e-7)
    np.testing.assert_array_equal(read_image(path, index=1).pixels, 1.0)


def test_no_namespace_and_unknown_elements_kept(tmp_path: Path) -> None:
    xml = (
        '<xisf version="1.0"><Image geometry="1:1:1" sampleFormat="UInt8" location="inline:hex">'
        'ff<Vendor:Thing a="1"><Sub>text</Sub></Vendor:Thing></Image><Extra k="v"/></xisf>'
    )
    path = tmp_path / "plain.xisf"
    path.write_bytes(xisf_bytes(xml.replace("Vendor:", "")))
    image = read_image(path)
    assert image.pixels.item() == 1.0
    (thing,) = image.extras["xisf_elements"]
    assert (thing.tag, thing.attrib, thing.children[0].text) == ("Thing", {"a": "1"}, "text")
    assert image.extras["xisf_root_elements"][0].attrib == {"k": "v"}
