"""The fast read paths: lz4 through the library's own decoder (and the package API as the
fallback), attached uncompressed blocks read with pread on threads while the checksum is
computed beside them, and threaded decoding of decompressed blocks. Each must give exactly
what the plain sequential path gives, and keep every error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bgoptimizer.exceptions import XISFError
from bgoptimizer.io import ImageData, read_image, write_image
from bgoptimizer.io.xisf import codecs, pixels

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
