"""The fast read paths: lz4 through the library's own decoder (and the package API as the
fallback) from a memory map of the file, attached uncompressed blocks read with pread on
threads while the checksum is computed beside them (over a window-by-window memory map),
and threaded decoding of decompressed blocks. Each must give exactly what the plain
sequential path gives, and keep every error."""

from __future__ import annotations

import hashlib
import mmap
import re
from pathlib import Path

import numpy as np
import pytest
from xisf_craft import DATA_AT, attached, image_xml, xisf_bytes

from bgoptimizer.exceptions import XISFError
from bgoptimizer.io import ImageData, read_image, write_image
from bgoptimizer.io.xisf import blocks, codecs, pixels

# Wide enough for several 64 Ki-sample row chunks per plane: the threaded paths really run.
SHAPE = (300, 1100, 3)


@pytest.fixture(scope="module")
def sky() -> np.ndarray:
    rng = np.random.default_rng(11)
    return (0.1 + 0.01 * rng.standard_normal(SHAPE)).astype(np.float32)


@pytest.mark.parametrize("codec", [None, "lz4", "lz4hc", "zstd"])
@pytest.mark.parametrize("checksum", ["sha1", None])
def test_threaded_reads_equal_the_sequential_ones(
    tmp_path: Path, sky: np.ndarray, monkeypatch: pytest.MonkeyPatch, codec, checksum
) -> None:
    path = tmp_path / "sky.xisf"
    write_image(path, ImageData(sky, color_space="RGB"), compression=codec, checksum=checksum)
    threaded = read_image(path).pixels
    monkeypatch.setattr(pixels, "DECODE_THREADS", 1)
    sequential = read_image(path).pixels
    np.testing.assert_array_equal(threaded, sky)
    np.testing.assert_array_equal(sequential, sky)
    assert threaded.flags.c_contiguous and threaded.flags.writeable


def test_a_flipped_byte_in_a_large_attached_block_fails_its_checksum(
    tmp_path: Path, sky: np.ndarray
) -> None:
    path = tmp_path / "sky.xisf"
    write_image(path, ImageData(sky, color_space="RGB"))
    data = bytearray(path.read_bytes())
    data[-5000] ^= 0x01  # inside the pixel block, far from the header
    path.write_bytes(bytes(data))
    with pytest.raises(XISFError, match="Image 0 data block: sha1 checksum mismatch"):
        read_image(path)


@pytest.mark.parametrize("decoder", ["library", "package"])
def test_lz4_decoders_agree_and_refuse_the_same_input(
    tmp_path: Path, sky: np.ndarray, monkeypatch: pytest.MonkeyPatch, decoder: str
) -> None:
    if decoder == "package":  # as where the extension does not export LZ4_decompress_safe
        monkeypatch.setattr(codecs, "_lz4_safe", lambda: None)
    else:
        assert codecs._lz4_safe() is not None
    path = tmp_path / "sky.xisf"
    write_image(path, ImageData(sky, color_space="RGB"), compression="lz4", checksum=None)
    np.testing.assert_array_equal(read_image(path).pixels, sky)

    raw = np.ones(4096, np.uint8)
    packed = codecs.compress(raw.tobytes(), "lz4")
    out = memoryview(np.empty(4095, np.uint8))
    with pytest.raises(XISFError, match="corrupt lz4 data or larger than its declared size"):
        codecs.decompress(_Stream(packed), "lz4", 4095, out, "test block")
    out = memoryview(np.empty(5000, np.uint8))
    with pytest.raises(XISFError, match="inflates to 4096 B, 5000 B declared"):
        codecs.decompress(_Stream(packed), "lz4", 5000, out, "test block")


class _Stream:
    """The one method the lz4 decoder uses of a block stream."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def read(self) -> bytes:
        return self._data


def _write_lz4(path: Path, sky: np.ndarray, codec: str = "lz4") -> bytes:
    write_image(path, ImageData(sky, color_space="RGB"), compression=codec)
    return path.read_bytes()


@pytest.mark.parametrize("codec", ["lz4", "lz4hc"])
def test_attached_lz4_blocks_are_decoded_from_a_memory_map(
    tmp_path: Path, sky: np.ndarray, monkeypatch: pytest.MonkeyPatch, codec: str
) -> None:
    handed: list[type] = []
    read = blocks._ViewStream.read

    def spy(self: blocks._ViewStream, size: int | None = -1) -> memoryview:
        data = read(self, size)
        handed.append(type(data))
        return data

    monkeypatch.setattr(blocks._ViewStream, "read", spy)
    path = tmp_path / "sky.xisf"
    _write_lz4(path, sky, codec)
    np.testing.assert_array_equal(read_image(path).pixels, sky)
    assert handed == [memoryview]  # the whole block, as a view of the mapping: no copy


def test_a_mapped_lz4_block_still_fails_a_wrong_checksum(tmp_path: Path, sky: np.ndarray) -> None:
    path = tmp_path / "sky.xisf"
    data = _write_lz4(path, sky)
    digest = re.search(rb'checksum="sha1:([0-9a-f]{40})"', data).group(1)
    wrong = bytes(reversed(digest))
    path.write_bytes(data.replace(digest, wrong, 1))
    with pytest.raises(XISFError, match="Image 0 data block: sha1 checksum mismatch"):
        read_image(path)


def test_an_lz4_attachment_past_the_end_of_the_file_fails(tmp_path: Path, sky: np.ndarray) -> None:
    path = tmp_path / "sky.xisf"
    data = _write_lz4(path, sky)
    path.write_bytes(data[:-100])  # the block's declared size now runs past the end
    with pytest.raises(XISFError, match="outside the file's data area"):
        read_image(path)


def test_lz4_subblocks_from_a_memory_map(tmp_path: Path) -> None:
    planes = np.arange(4 * 5 * 3, dtype="<u2").reshape(3, 4, 5) * 1000  # (C, H, W)
    data = planes.tobytes()
    parts = [data[:50], data[50:]]
    packed = [codecs.compress(p, "lz4") for p in parts]
    sub = ":".join(f"{len(c)},{len(p)}" for c, p in zip(packed, parts, strict=True))
    digest = hashlib.sha1(b"".join(packed)).hexdigest()
    attrs = (
        f'geometry="5:4:3" sampleFormat="UInt16" colorSpace="RGB" checksum="sha1:{digest}" '
        f'compression="lz4:{len(data)}" subblocks="{sub}"'
    )
    path = tmp_path / "sub.xisf"
    path.write_bytes(attached(attrs, b"".join(packed)))
    expected = planes.transpose(1, 2, 0) / 65535
    np.testing.assert_allclose(read_image(path).pixels, expected, rtol=1e-7)


@pytest.mark.parametrize("correct", [True, False])
def test_checksum_of_an_unaligned_attachment_over_several_windows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, correct: bool
) -> None:
    """The digest thread maps the file one window at a time from a page boundary: a block
    that starts mid-page and spans several windows must hash exactly its own bytes."""
    monkeypatch.setattr(blocks, "HASH_CHUNK", 2 * mmap.ALLOCATIONGRANULARITY)
    px = np.random.default_rng(5).random((40, 100, 3)).astype(np.float32)
    data = np.ascontiguousarray(px.transpose(2, 0, 1)).astype("<f4").tobytes()
    digest = hashlib.sha1(data if correct else data[:-1] + b"\0").hexdigest()
    at = DATA_AT + 1000
    xml = image_xml(
        f'geometry="100:40:3" sampleFormat="Float32" colorSpace="RGB" '
        f'location="attachment:{at}:{len(data)}" checksum="sha1:{digest}"'
    )
    head = xisf_bytes(xml)
    path = tmp_path / "odd.xisf"
    path.write_bytes(head + bytes(at - len(head)) + data)
    if correct:
        np.testing.assert_array_equal(read_image(path).pixels, px)
    else:
        with pytest.raises(XISFError, match="sha1 checksum mismatch"):
            read_image(path)


@pytest.mark.parametrize(
    ("sample_format", "dtype", "order"),
    [("Float64", ">f8", "big"), ("UInt32", "<u4", "little"), ("UInt16", ">u2", "big")],
)
@pytest.mark.parametrize("storage", ["Planar", "Normal"])
def test_shuffled_blocks_of_every_sample_size_and_byte_order(
    tmp_path: Path, sample_format: str, dtype: str, order: str, storage: str
) -> None:
    """Byte planes are joined in a per-thread scratch buffer: wide images (several chunks
    per plane), 2-, 4- and 8-byte samples, both byte orders, both storages."""
    rng = np.random.default_rng(6)
    shape = (30, 2500, 3)  # (H, W, C)
    if sample_format.startswith("UInt"):
        top = pixels.INTEGER_MAX[sample_format]
        values = rng.integers(0, top, shape, dtype=np.uint64, endpoint=True)
        expected = (values / top).astype(np.float32)
    else:
        values = rng.random(shape)
        expected = values.astype(np.float32)
    stored = values.transpose(2, 0, 1) if storage == "Planar" else values
    data = np.ascontiguousarray(stored).astype(dtype).reshape(-1)
    itemsize = data.dtype.itemsize
    packed = codecs.compress(codecs.shuffle(data, itemsize).tobytes(), "zstd")
    attrs = (
        f'geometry="2500:30:3" sampleFormat="{sample_format}" colorSpace="RGB" '
        f'pixelStorage="{storage}" byteOrder="{order}" '
        f'compression="zstd+sh:{data.nbytes}:{itemsize}"'
    )
    path = tmp_path / "sh.xisf"
    path.write_bytes(attached(attrs, packed))
    got = read_image(path, max_pixels=10**8).pixels
    np.testing.assert_allclose(got, expected, rtol=1e-6)
