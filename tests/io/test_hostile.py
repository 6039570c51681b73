"""A hostile corpus (built here, nothing stored): each file must fail with one clear error.

Covers truncation, wrong signatures, broken or entity-laden XML, absurd or inconsistent
geometry, attachments past the end, bad encodings, compression bombs (zlib, zstd, lz4)
and checksum mismatches. Memory must stay bounded: nothing image-sized is allocated.
"""

# ruff: noqa: E501  (the corpus reads best as one case per line)
from __future__ import annotations

import re
import struct
import tracemalloc
import zlib
from collections.abc import Callable
from pathlib import Path

import lz4.block
import pytest
import zstandard
from xisf_craft import attached, image_xml, xisf_bytes

from bgoptimizer.exceptions import FormatError, XISFError
from bgoptimizer.io import probe, read_image
from shared_data import REAL_DATA as REAL

GRAY8 = 'geometry="4:4:1" sampleFormat="UInt8" colorSpace="Gray"'
BOMB_BYTES = 1 << 30  # what each bomb would inflate to


def _zlib_bomb() -> bytes:
    """~1 MB of zlib that inflates to 1 GiB, without compressing 1 GiB.

    After a full flush the compressor forgets its history, so every further 16 MiB chunk of
    zeros encodes to the same bytes: compress two chunks, repeat the second.
    """
    c = zlib.compressobj(9)
    zeros = bytes(1 << 24)
    first = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    return first + again * ((BOMB_BYTES >> 24) - 2) + c.flush()


def _zstd_bomb() -> bytes:
    """Concatenated frames of 16 MiB of zeros each (a reader must go across frames)."""
    return zstandard.compress(bytes(1 << 24)) * (BOMB_BYTES >> 24)


def _lz4_bomb() -> bytes:
    return lz4.block.compress(bytes(64 << 20), store_size=False)


def _compressed(codec: str, payload: bytes, declared: int = 16) -> bytes:
    return attached(f'{GRAY8} compression="{codec}:{declared}"', payload)


def _flip_checksummed() -> bytes:
    """The sha1 sample with one byte of its pixel block flipped."""
    data = bytearray((REAL / "xisf/pixinsight/xisfsharp_400x300-u16-sha1.xisf").read_bytes())
    start = int(re.search(rb'<Image [^>]*location="attachment:(\d+):', data).group(1))
    data[start + 1000] ^= 0xFF
    return bytes(data)


def _raw(header: bytes) -> bytes:
    return b"XISF0100" + struct.pack("<I", len(header)) + bytes(4) + header


# (id, file bytes, error match, header-level: probe() must fail too)
CASES: list[tuple[str, Callable[[], bytes], str, bool]] = [
    ("empty", lambda: b"", "too short for an XISF signature", True),
    ("short", lambda: b"XISF01", "too short for an XISF signature", True),
    ("signature", lambda: b"XISF0200" + bytes(100), "not an XISF 1.0 file", True),
    ("fits-as-xisf", lambda: b"SIMPLE  =" + bytes(100), "not an XISF 1.0 file", True),
    ("header-past-eof", lambda: xisf_bytes(image_xml(GRAY8), header_len=10**6), "header claims", True),
    ("header-huge", lambda: xisf_bytes(image_xml(GRAY8), header_len=2**31), "exceeds", True),
    ("not-utf8", lambda: _raw(b"<xisf version='1.0'>\xff\xfe</xisf>"), "not UTF-8", True),
    ("broken-xml", lambda: _raw(b"<xisf version='1.0'><Image></xisf>"), "broken XML header at line 1", True),
    ("truncated-xml", lambda: xisf_bytes(image_xml(GRAY8))[:60], "broken XML|header claims", True),
    (
        "billion-laughs",
        lambda: _raw(
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><xisf version="1.0">&b;</xisf>'
        ),
        "DOCTYPE/ENTITY",
        True,
    ),
    (
        "external-entity",
        lambda: _raw(b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><xisf>&e;</xisf>'),
        "DOCTYPE/ENTITY",
        True,
    ),
    ("root", lambda: _raw(b'<fits version="1.0"/>'), r"root element is <fits>", True),
    ("version", lambda: xisf_bytes(image_xml(GRAY8, root='version="2.0"')), "unsupported XISF version", True),
    ("no-image", lambda: _raw(b'<xisf version="1.0"><Metadata/></xisf>'), "no Image element", True),
    ("3d", lambda: attached('geometry="2:2:2:1" sampleFormat="UInt8"', bytes(8)), "only 2-D", True),
    ("zero-dim", lambda: attached('geometry="0:4:1" sampleFormat="UInt8"', bytes(1)), "zero dimension", True),
    ("nan-dim", lambda: attached('geometry="a:4:1" sampleFormat="UInt8"', bytes(1)), "not an integer", True),
    ("neg-dim", lambda: attached('geometry="-4:4:1" sampleFormat="UInt8"', bytes(1)), "negative", True),
    ("complex", lambda: attached('geometry="4:4:1" sampleFormat="Complex32"', bytes(128)), "complex sample format", True),
    ("format", lambda: attached('geometry="4:4:1" sampleFormat="Int16"', bytes(32)), "unknown sample format", True),
    ("storage", lambda: attached(f'{GRAY8} pixelStorage="Tiled"', bytes(16)), "unknown pixel storage", True),
    ("byte-order", lambda: attached(f'{GRAY8} byteOrder="middle"', bytes(16)), "unknown byte order", True),
    ("colour", lambda: attached('geometry="4:4:1" sampleFormat="UInt8" colorSpace="CMYK"', bytes(16)), "unknown colour space", True),
    (
        "gigapixels",
        lambda: attached('geometry="100000:100000:3" sampleFormat="Float32"', bytes(16), size=12 * 10**10),
        "exceeds the pixel budget",
        True,
    ),
    ("attachment-past-eof", lambda: attached(GRAY8, bytes(16), size=10**9), "outside the file's data area", True),
    ("truncated-data", lambda: attached(GRAY8, bytes(16))[:-4], "outside the file's data area", True),
    ("attachment-in-header", lambda: xisf_bytes(image_xml(f'{GRAY8} location="attachment:0:16"')), "outside the file's data area", True),
    ("size-mismatch", lambda: attached(GRAY8, bytes(12)), "needs 16 B, the data block holds 12 B", True),
    ("no-location", lambda: xisf_bytes(image_xml(GRAY8)), "no location attribute", True),
    ("bad-location", lambda: xisf_bytes(image_xml(f'{GRAY8} location="url(http://x)"')), "unsupported data block location", True),
    ("bad-attachment", lambda: xisf_bytes(image_xml(f'{GRAY8} location="attachment:4096"')), "bad location", True),
    ("bad-encoding", lambda: xisf_bytes(image_xml(f'{GRAY8} location="inline:base85"')), "unknown block encoding", True),
    ("no-data-child", lambda: xisf_bytes(image_xml(f'{GRAY8} location="embedded"')), "embedded location without", True),
    ("bad-base64", lambda: xisf_bytes(image_xml(f'{GRAY8} location="inline:base64"', "@@@@")), "bad base64 data", False),
    ("bad-hex", lambda: xisf_bytes(image_xml(f'{GRAY8} location="inline:hex"', "zz")), "bad hex data", False),
    ("inline-short", lambda: xisf_bytes(image_xml(f'{GRAY8} location="inline:hex"', "00" * 15)), "block holds 15 B, 16 B expected", False),
    ("codec", lambda: _compressed("bzip2", b"x"), "unknown compression codec 'bzip2'", True),
    ("codec-size", lambda: attached(f'{GRAY8} compression="zlib:ab"', b"x"), "bad compression attribute", True),
    ("codec-declared", lambda: _compressed("zlib", zlib.compress(bytes(16)), 8), "needs 16 B, the data block holds 8 B", True),
    ("zlib-bomb", lambda: _compressed("zlib", _zlib_bomb()), r"inflates beyond its declared size \(16 B\)", False),
    ("zstd-bomb", lambda: _compressed("zstd", _zstd_bomb()), r"inflates beyond its declared size \(16 B\)", False),
    ("lz4-bomb", lambda: _compressed("lz4", _lz4_bomb()), "corrupt lz4 data or larger than its declared size 16 B", False),
    ("zlib-short", lambda: _compressed("zlib", zlib.compress(bytes(10))), "inflates to 10 B, 16 B declared", False),
    ("zstd-short", lambda: _compressed("zstd", zstandard.compress(bytes(10))), "inflates to 10 B, 16 B declared", False),
    ("zlib-corrupt", lambda: _compressed("zlib", b"\x78\x9c" + bytes(range(50))), "corrupt zlib data", False),
    ("zstd-corrupt", lambda: _compressed("zstd", b"\x28\xb5\x2f\xfd" + bytes(range(50))), "corrupt zstd data", False),
    ("lz4-corrupt", lambda: _compressed("lz4", bytes([0xF0]) + bytes(3)), "corrupt lz4 data", False),
    ("subblocks-sum", lambda: attached(f'{GRAY8} compression="zlib:16" subblocks="5,8:3,8"', zlib.compress(bytes(16))), "subblock sizes do not add up", False),
    ("subblocks-syntax", lambda: attached(f'{GRAY8} compression="zlib:16" subblocks="5;8"', b"x"), "bad subblocks attribute", True),
    ("checksum-algo", lambda: attached(f'{GRAY8} checksum="md5:00"', bytes(16)), "unsupported checksum algorithm 'md5'", True),
    ("checksum-zero", lambda: attached(f'{GRAY8} checksum="sha1:{"0" * 40}"', bytes(16)), "sha1 checksum mismatch", False),
    ("checksum-flip", _flip_checksummed, "Image 0 data block: sha1 checksum mismatch", False),
    ("property-int", lambda: attached(GRAY8, bytes(16), '<Property id="A" type="Int32" value="1.5"/>'), "property 'A': value '1.5' is not a valid Int32", True),
    ("property-type", lambda: attached(GRAY8, bytes(16), '<Property id="A" type="Quaternion" value="1"/>'), "unknown property type 'Quaternion'", True),
    ("property-bool", lambda: attached(GRAY8, bytes(16), '<Property id="A" type="Boolean" value="yes"/>'), "not a valid Boolean", True),
    ("vector-length", lambda: attached(GRAY8, bytes(16), '<Property id="V" type="F32Vector" length="3" location="inline:hex">00000000</Property>'), "does not match 4 B", True),
    ("matrix-shape", lambda: attached(GRAY8, bytes(16), '<Property id="M" type="F32Matrix" rows="x" location="inline:hex">00000000</Property>'), "needs integer rows/columns", True),
    ("vector-no-block", lambda: attached(GRAY8, bytes(16), '<Property id="V" type="F32Vector" length="1"/>'), "without a data block", True),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "build", "match", "header_level"), CASES, ids=[c[0] for c in CASES]
)
def test_hostile_xisf(tmp_path: Path, name: str, build, match: str, header_level: bool) -> None:
    path = tmp_path / f"{name}.xisf"
    path.write_bytes(build())
    tracemalloc.start()
    try:
        with pytest.raises(XISFError, match=match):
            read_image(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 80 << 20, f"{name}: {peak} B allocated while failing"
    if header_level:
        with pytest.raises(XISFError, match=match):
            probe(path)


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30


def test_image_index_out_of_range(tmp_path: Path) -> None:
    path = tmp_path / "one.xisf"
    path.write_bytes(attached(GRAY8, bytes(16)))
    with pytest.raises(XISFError, match="image index 1 out of range: the file holds 1"):
        read_image(path, index=1)


def test_budget_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "small.xisf"
    path.write_bytes(attached(GRAY8, bytes(16)))
    with pytest.raises(XISFError, match="16 samples exceeds the pixel budget of 15"):
        read_image(path, max_pixels=15)
    assert read_image(path, max_pixels=16).pixels.shape == (4, 4, 1)


def test_checksum_is_verified_by_probe_only_on_request(tmp_path: Path) -> None:
    path = tmp_path / "flip.xisf"
    path.write_bytes(_flip_checksummed())
    assert probe(path)[0].checksum_verified is None
    with pytest.raises(XISFError, match="checksum mismatch"):
        probe(path, verify=True)


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("bad.fits", b"SIMPLE  = nonsense" + bytes(3000), "cannot read FITS file"),
        ("empty.fit", b"", "cannot read FITS file"),
        ("image.png", b"\x89PNG", "unknown image type '.png'"),
    ],
)
def test_hostile_other(tmp_path: Path, name: str, content: bytes, match: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FormatError, match=match):
        read_image(path)
    with pytest.raises(FormatError, match=match):
        probe(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no such file"):
        read_image(tmp_path / "absent.xisf")
