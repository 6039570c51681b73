"""Stored XISF samples <-> float32 (H, W, C) pixels, in row chunks.

Un-shuffling, planar-to-interleaved transposition, byte swapping and integer normalisation
are fused into one strided copy per chunk, so decoding needs no second image-sized buffer.
"""

from __future__ import annotations

import numpy as np

__all__ = ["INTEGER_MAX", "decode_pixels", "encode_planes"]

CHUNK_SAMPLES = 1 << 22
INTEGER_MAX = {"UInt8": 255, "UInt16": 65535, "UInt32": 4294967295}


def _step(width: int, channels: int) -> int:
    """Rows per chunk: about CHUNK_SAMPLES samples, at least one row."""
    return max(1, CHUNK_SAMPLES // (width * channels))


def decode_pixels(
    raw: np.ndarray,
    out: np.ndarray,
    *,
    dtype: str,
    sample_format: str,
    planar: bool,
    shuffled: bool,
) -> None:
    """Fill ``out`` (float32 H, W, C) from the decoded block ``raw`` (uint8)."""
    height, width, channels = out.shape
    dt = np.dtype(dtype)
    logical = (channels, height, width) if planar else (height, width, channels)
    if shuffled:
        src = raw[: dt.itemsize * out.size].reshape((dt.itemsize, *logical))
    else:
        src = raw[: dt.itemsize * out.size].view(dt).reshape(logical)
    scale = INTEGER_MAX.get(sample_format)
    step = _step(width, channels)
    for r0 in range(0, height, step):
        r1 = min(height, r0 + step)
        if shuffled:
            part = src[:, :, r0:r1] if planar else src[:, r0:r1]
            order = (2, 3, 1, 0) if planar else (1, 2, 3, 0)
            tmp = np.empty((r1 - r0, width, channels, dt.itemsize), np.uint8)
            tmp[...] = part.transpose(order)
            block = tmp.view(dt).reshape(r1 - r0, width, channels)
        else:
            block = src[:, r0:r1].transpose(1, 2, 0) if planar else src[r0:r1]
        if scale is None:
            np.copyto(out[r0:r1], block, casting="unsafe")
        else:
            np.divide(block, np.float32(scale), out=out[r0:r1], casting="unsafe")


def encode_planes(pixels: np.ndarray, sample_format: str, *, shuffle: bool) -> np.ndarray:
    """The planar (and optionally byte-shuffled) little-endian bytes of ``pixels``.

    ``UInt16`` output rounds ``clip(x, 0, 1) * 65535``; NaN becomes 0.
    """
    height, width, channels = pixels.shape
    dt = np.dtype("<f4" if sample_format == "Float32" else "<u2")
    n = pixels.size
    out = np.empty(n * dt.itemsize, np.uint8)
    dest = out.reshape(dt.itemsize, channels, height, width) if shuffle else out.view(dt)
    dest = dest if shuffle else dest.reshape(channels, height, width)
    step = _step(width, channels)
    for r0 in range(0, height, step):
        r1 = min(height, r0 + step)
        part = pixels[r0:r1]
        if sample_format != "Float32":
            part = np.rint(np.nan_to_num(np.clip(part, 0.0, 1.0)) * 65535.0).astype(dt)
        else:
            part = np.ascontiguousarray(part, dtype=dt)
        if shuffle:
            dest[:, :, r0:r1] = (
                part.view(np.uint8)
                .reshape(r1 - r0, width, channels, dt.itemsize)
                .transpose(3, 2, 0, 1)
            )
        else:
            dest[:, r0:r1] = part.transpose(2, 0, 1)
    return out
