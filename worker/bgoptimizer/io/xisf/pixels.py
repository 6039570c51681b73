"""Stored XISF samples <-> float32 (H, W, C) pixels, in row chunks.

Un-shuffling, planar-to-interleaved transposition, byte swapping and integer normalisation
are fused into one strided copy per chunk, so decoding needs no second image-sized buffer.
Chunks are cache-sized (64 Ki samples): a chunk's temporaries stay in L2 between the passes
over it, which made decoding ~3x faster than 1 Mi-sample chunks. A decompressed block is
decoded by row chunks on a few threads (numpy releases the GIL; the chunks are disjoint,
so the result does not depend on the thread count).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import BinaryIO, TypeVar

import numpy as np

from ...exceptions import XISFError
from ..image import PlaneBands, plane_band

__all__ = [
    "INTEGER_MAX",
    "decode_file",
    "decode_pixels",
    "decode_stream",
    "encode_planes",
    "planar_chunks",
]

CHUNK_SAMPLES = 1 << 16
DECODE_THREADS = min(4, os.cpu_count() or 1)
INTEGER_MAX = {"UInt8": 255, "UInt16": 65535, "UInt32": 4294967295}


_T = TypeVar("_T")


def _parallel(work: Callable[[_T], None], items: Iterable[_T], spare: int = 0) -> None:
    """``work`` on every item, on :data:`DECODE_THREADS` threads less ``spare`` (cores left to
    other work) when there are a few items.
    """
    threads = DECODE_THREADS - spare
    items = list(items)
    if threads <= 1 or len(items) < 4:
        for item in items:
            work(item)
        return
    with ThreadPoolExecutor(threads) as pool:
        for done in pool.map(work, items):
            del done


def _step(width: int, channels: int) -> int:
    """Rows per chunk: about CHUNK_SAMPLES samples, at least one row."""
    return max(1, CHUNK_SAMPLES // (width * channels))


def _convert(block: np.ndarray, out: np.ndarray, sample_format: str) -> None:
    """Stored samples -> float32, integers divided by their type's maximum."""
    scale = INTEGER_MAX.get(sample_format)
    if scale is None:
        np.copyto(out, block, casting="unsafe")
    else:
        np.divide(block, np.float32(scale), out=out, casting="unsafe")


def decode_stream(
    src: BinaryIO, out: np.ndarray, *, dtype: str, sample_format: str, planar: bool
) -> None:
    """Fill ``out`` from an uncompressed block read sequentially, one row chunk at a time.

    Only a chunk-sized buffer is used: planar data goes plane by plane into ``out[..., c]``.
    """
    height, width, channels = out.shape
    dt = np.dtype(dtype)
    per_row = width if planar else width * channels
    step = _step(width, 1 if planar else channels)
    buf = np.empty(step * per_row, dt)
    for c in range(channels if planar else 1):
        for r0 in range(0, height, step):
            r1 = min(height, r0 + step)
            part = buf[: (r1 - r0) * per_row]
            view = memoryview(part.view(np.uint8))
            filled = 0
            while filled < view.nbytes:
                filled += src.readinto(view[filled:])
            if planar:
                _convert(part.reshape(r1 - r0, width), out[r0:r1, :, c], sample_format)
            else:
                _convert(part.reshape(r1 - r0, width, channels), out[r0:r1], sample_format)


def decode_file(
    fd: int,
    offset: int,
    out: np.ndarray,
    *,
    dtype: str,
    sample_format: str,
    planar: bool,
    hashing: bool = False,
) -> None:
    """Fill ``out`` from an uncompressed block stored at ``offset`` of the open file ``fd``.

    Row chunks are read with ``pread`` (no shared file position) and converted on a few
    threads, each into its own chunk-sized buffer: the fast path for attached blocks.
    ``hashing``: another thread is computing the block's checksum, so one core fewer.
    """
    height, width, channels = out.shape
    dt = np.dtype(dtype)
    per_row = width if planar else width * channels
    step = _step(width, 1 if planar else channels)
    local = threading.local()

    def chunk(task: tuple[int, int]) -> None:
        c, r0 = task
        r1 = min(height, r0 + step)
        if not hasattr(local, "buf"):
            local.buf = np.empty(step * per_row, dt)
        part = local.buf[: (r1 - r0) * per_row]
        view = memoryview(part.view(np.uint8))
        position = offset + (c * height + r0) * per_row * dt.itemsize
        filled = 0
        while filled < view.nbytes:
            n = os.preadv(fd, [view[filled:]], position + filled)
            if n == 0:
                raise XISFError("file ends inside the image's data block")
            filled += n
        if planar:
            _convert(part.reshape(r1 - r0, width), out[r0:r1, :, c], sample_format)
        else:
            _convert(part.reshape(r1 - r0, width, channels), out[r0:r1], sample_format)

    planes = channels if planar else 1
    _parallel(
        chunk, [(c, r0) for c in range(planes) for r0 in range(0, height, step)], int(hashing)
    )


def _join_bytes(planes: np.ndarray, dt: np.dtype, scratch: np.ndarray) -> np.ndarray:
    """Rebuild samples from their byte planes (``planes[k]`` = byte k of every sample).

    Integer shifts over contiguous planes: much faster than a byte-strided transpose. Done in
    place in ``scratch`` (uint8, at least twice the chunk's bytes, kept by the calling thread):
    temporaries allocated per chunk cost a page fault per 4 KiB whenever malloc hands
    256 KiB blocks out with ``mmap`` (its default until something larger has been freed),
    which made decoding up to 3x slower.
    """
    if dt.itemsize == 1:
        return planes[0].view(dt)
    utype = np.dtype(f"u{dt.itemsize}")
    order = range(dt.itemsize) if dt.byteorder != ">" else range(dt.itemsize - 1, -1, -1)
    nbytes = planes[0].size * utype.itemsize
    acc = scratch[:nbytes].view(utype).reshape(planes.shape[1:])
    term = scratch[nbytes : 2 * nbytes].view(utype).reshape(planes.shape[1:])
    for shift, k in enumerate(order):
        if shift == 0:
            np.copyto(acc, planes[k])
        else:
            np.copyto(term, planes[k])
            np.left_shift(term, utype.type(8 * shift), out=term)
            np.bitwise_or(acc, term, out=acc)
    return acc.view(dt.newbyteorder("="))


def decode_pixels(
    raw: np.ndarray,
    out: np.ndarray,
    *,
    dtype: str,
    sample_format: str,
    planar: bool,
    shuffled: bool,
) -> None:
    """Fill ``out`` (float32 H, W, C) from a whole decoded block ``raw`` (uint8).

    Works by row chunks, so besides ``raw`` only a chunk-sized scratch buffer per thread is
    needed.
    """
    height, width, channels = out.shape
    dt = np.dtype(dtype)
    logical = (channels, height, width) if planar else (height, width, channels)
    data = raw[: dt.itemsize * out.size]
    src = data.reshape((dt.itemsize, *logical)) if shuffled else data.view(dt).reshape(logical)
    step = _step(width, 1 if planar else channels)
    local = threading.local()

    def rows(r0: int) -> None:
        r1 = min(height, r0 + step)
        if shuffled and not hasattr(local, "scratch"):
            local.scratch = np.empty(2 * step * width * (1 if planar else channels) * 8, np.uint8)
        for c in range(channels if planar else 1):
            if shuffled:
                part = src[:, c, r0:r1] if planar else src[:, r0:r1]
                block = _join_bytes(part, dt, local.scratch)
            else:
                block = src[c, r0:r1] if planar else src[r0:r1]
            _convert(block, out[r0:r1, :, c] if planar else out[r0:r1], sample_format)

    _parallel(rows, range(0, height, step))


def _stored(part: np.ndarray, sample_format: str) -> np.ndarray:
    """float32 pixels -> contiguous little-endian stored samples.

    ``UInt16`` rounds ``clip(x, 0, 1) * 65535``; NaN becomes 0.
    """
    if sample_format == "Float32":
        return np.ascontiguousarray(part, dtype="<f4")
    return np.rint(np.nan_to_num(np.clip(part, 0.0, 1.0)) * 65535.0).astype("<u2")


def planar_chunks(pixels: np.ndarray | PlaneBands, sample_format: str) -> Iterator[np.ndarray]:
    """The planar stored samples of ``pixels`` in file order, a row chunk at a time."""
    height, width, channels = pixels.shape
    step = _step(width, 1)
    for c in range(channels):
        for r0 in range(0, height, step):
            yield _stored(plane_band(pixels, c, slice(r0, min(height, r0 + step))), sample_format)


def encode_planes(
    pixels: np.ndarray | PlaneBands, sample_format: str, *, shuffle: bool
) -> np.ndarray:
    """The whole planar (optionally byte-shuffled) stored block, ready for a compressor."""
    height, width, channels = pixels.shape
    itemsize = 4 if sample_format == "Float32" else 2
    out = np.empty(height * width * channels * itemsize, np.uint8)
    if not shuffle:
        pos = 0
        for chunk in planar_chunks(pixels, sample_format):
            out[pos : pos + chunk.nbytes] = chunk.reshape(-1).view(np.uint8)
            pos += chunk.nbytes
        return out
    dest = out.reshape(itemsize, channels, height, width)
    step = _step(width, 1)
    for c in range(channels):
        for r0 in range(0, height, step):
            rows = slice(r0, min(height, r0 + step))
            part = _stored(plane_band(pixels, c, rows), sample_format).view(np.uint8)
            dest[:, c, rows] = part.reshape(-1, width, itemsize).transpose(2, 0, 1)
    return out
