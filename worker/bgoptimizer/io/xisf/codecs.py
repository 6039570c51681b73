"""XISF block codecs (zlib, lz4, lz4hc, zstd) and byte shuffling, with enforced sizes.

Decompression always writes into a caller-owned buffer of the declared size and fails as soon
as a stream would produce more (or fewer) bytes, so a compression bomb costs no memory.

lz4 blocks are decoded by the LZ4 library's own ``LZ4_decompress_safe`` (exported by the
``lz4`` package's extension module), called through ctypes straight into that buffer: the
package's ``lz4.block.decompress`` builds its result in a temporary and copies it into a
new ``bytes`` object, which cost one more image-sized buffer and ~10x the time (1.3–2.6 s
against 0.12 s for a 687 MiB block here). The lz4 block format cannot be streamed: its decoder
takes the whole compressed block at once (:data:`WHOLE_BLOCK`), which the reader hands over
memory-mapped rather than copied.
"""

from __future__ import annotations

import ctypes
import functools
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

import lz4.block
import numpy as np
import zstandard

from ...exceptions import XISFError

__all__ = [
    "CODECS",
    "WHOLE_BLOCK",
    "Buffer",
    "Compression",
    "compress",
    "decompress",
    "shuffle",
    "unshuffle",
]

CODECS = ("zlib", "lz4", "lz4hc", "zstd")
WHOLE_BLOCK = ("lz4", "lz4hc")
"""Codecs whose decoder needs the whole compressed block at once (``source.read()``)."""
Buffer = bytes | memoryview
CHUNK = 1 << 20
_INT_MAX = 2**31 - 1  # LZ4's sizes are C ints; bigger blocks must come in sub-blocks
LEVELS = {"zlib": 6, "lz4": 0, "lz4hc": 9, "zstd": 3}


@dataclass(frozen=True)
class Compression:
    """A parsed ``compression`` attribute: ``codec[+sh]:uncompressed-size[:item-size]``."""

    codec: str
    shuffle: bool
    uncompressed_size: int
    item_size: int = 1

    @classmethod
    def parse(cls, text: str, where: str) -> Compression:
        """Parse and validate the attribute text; ``where`` names the block in errors."""
        parts = text.split(":")
        name = parts[0].strip().lower()
        shuffled = name.endswith("+sh")
        codec = name.removesuffix("+sh")
        if codec not in CODECS:
            raise XISFError(f"{where}: unknown compression codec {parts[0]!r}")
        try:
            sizes = [int(p) for p in parts[1:]]
        except ValueError:
            raise XISFError(f"{where}: bad compression attribute {text!r}") from None
        if len(sizes) not in (1, 2) or any(s < 0 for s in sizes) or (sizes[1:] or [1])[0] < 1:
            raise XISFError(f"{where}: bad compression attribute {text!r}")
        item = sizes[1] if len(sizes) == 2 else 1
        return cls(codec, shuffled, sizes[0], item)

    def __str__(self) -> str:
        name = self.codec + ("+sh" if self.shuffle else "")
        if self.shuffle:
            return f"{name}:{self.uncompressed_size}:{self.item_size}"
        return f"{name}:{self.uncompressed_size}"


def shuffle(data: np.ndarray, item_size: int) -> np.ndarray:
    """Byte-shuffle: all first bytes of the items, then all second bytes, ... (a copy)."""
    raw = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
    n = raw.size // item_size
    out = np.empty(raw.size, np.uint8)
    out[: n * item_size].reshape(item_size, n)[...] = raw[: n * item_size].reshape(n, item_size).T
    out[n * item_size :] = raw[n * item_size :]
    return out


def unshuffle(data: np.ndarray, item_size: int) -> np.ndarray:
    """Inverse of :func:`shuffle` (a copy); trailing bytes that fill no item stay in place."""
    raw = data.reshape(-1).view(np.uint8)
    n = raw.size // item_size
    out = np.empty(raw.size, np.uint8)
    out[: n * item_size].reshape(n, item_size)[...] = raw[: n * item_size].reshape(item_size, n).T
    out[n * item_size :] = raw[n * item_size :]
    return out


def compress(data: memoryview | bytes, codec: str, *, threads: int = 0) -> bytes:
    """Compress one block with the codec's default level (zstd may use worker threads)."""
    if codec == "zlib":
        return zlib.compress(data, LEVELS["zlib"])
    if codec == "zstd":
        cctx = zstandard.ZstdCompressor(level=LEVELS["zstd"], threads=threads, write_checksum=False)
        return cctx.compress(data)
    if codec in ("lz4", "lz4hc"):
        mode = "high_compression" if codec == "lz4hc" else "default"
        return lz4.block.compress(data, mode=mode, compression=LEVELS[codec], store_size=False)
    raise XISFError(f"unknown compression codec {codec!r}")


def decompress(
    source: BinaryIO, codec: str, size: int, out: memoryview | None, where: str
) -> Buffer:
    """Decompress everything ``source`` yields: exactly ``size`` bytes, or an error.

    The result fills ``out`` if given; otherwise a new buffer is returned. ``source`` must
    end where the block ends.
    """
    if out is None:
        out = memoryview(np.empty(size, np.uint8)).cast("B")
    return _DECODERS[codec](source, size, out, where)


def _too_big(where: str, declared: int) -> XISFError:
    return XISFError(f"{where}: compressed data inflates beyond its declared size ({declared} B)")


def _too_small(where: str, got: int, declared: int) -> XISFError:
    return XISFError(f"{where}: compressed data inflates to {got} B, {declared} B declared")


def _zlib(source: BinaryIO, size: int, out: Any, where: str) -> Buffer:
    d = zlib.decompressobj()
    filled = 0
    try:
        while not d.eof:
            chunk = d.unconsumed_tail or source.read(CHUNK)
            if not chunk:
                break
            piece = d.decompress(chunk, len(out) - filled + 1)
            if filled + len(piece) > len(out):
                raise _too_big(where, len(out))
            out[filled : filled + len(piece)] = piece
            filled += len(piece)
    except zlib.error as exc:
        raise XISFError(f"{where}: corrupt zlib data ({exc})") from None
    if filled != len(out) or not d.eof:
        raise _too_small(where, filled, len(out))
    return out


def _zstd(source: BinaryIO, size: int, out: Any, where: str) -> Buffer:
    dctx = zstandard.ZstdDecompressor()
    reader = dctx.stream_reader(source, read_size=CHUNK, read_across_frames=True)
    filled = 0
    try:
        while filled < len(out):
            n = reader.readinto(out[filled:])
            if n == 0:
                break
            filled += n
        if filled == len(out) and reader.read(1):
            raise _too_big(where, len(out))
    except zstandard.ZstdError as exc:
        raise XISFError(f"{where}: corrupt zstd data ({exc})") from None
    if filled != len(out):
        raise _too_small(where, filled, len(out))
    return out


@functools.cache
def _lz4_safe() -> Callable[..., int] | None:
    """``LZ4_decompress_safe`` from the lz4 package's extension module, if it exports it."""
    import lz4.block._block as extension

    try:
        fn = ctypes.CDLL(extension.__file__).LZ4_decompress_safe
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
    fn.restype = ctypes.c_int
    return fn


def _lz4(source: BinaryIO, size: int, out: Any, where: str) -> Buffer:
    data = source.read()  # bytes, or a view of the memory-mapped file (no copy)
    if max(len(data), size) > _INT_MAX:
        raise XISFError(f"{where}: an lz4 block over 2 GiB must be split into sub-blocks")
    decode = _lz4_safe()
    if decode is None:
        try:
            piece = lz4.block.decompress(data, uncompressed_size=size)
        except lz4.block.LZ4BlockError as exc:
            raise XISFError(
                f"{where}: corrupt lz4 data or larger than its declared size {size} B ({exc})"
            ) from None
        if len(piece) != size:
            raise _too_small(where, len(piece), size)
        out[:] = piece
        return out
    target = np.frombuffer(out, np.uint8)
    n = decode(np.frombuffer(data, np.uint8).ctypes.data, target.ctypes.data, len(data), size)
    if n < 0:
        raise XISFError(f"{where}: corrupt lz4 data or larger than its declared size {size} B")
    if n != size:
        raise _too_small(where, n, size)
    return out


_DECODERS: dict[str, Callable[[BinaryIO, int, Any, str], Buffer]] = {
    "zlib": _zlib,
    "zstd": _zstd,
    "lz4": _lz4,
    "lz4hc": _lz4,
}
