"""Block downscaling to the working image, with honest edge blocks and exact block centres.

The image is cut into ``f × f`` blocks from the top-left corner; the last row and column of
blocks may be partial, and are then reduced over their real pixels only (no padding enters a
median or a mean). Each working pixel's coordinate is the mean full-resolution pixel-centre
position of its block's real pixels divided by ``max(H, W)``: the same units the spline is
evaluated in at full resolution, so the model does not shift by half a block.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..exceptions import ParameterError

__all__ = ["AUTO_LONG_SIDE", "Downscaled", "auto_factor", "block_coords", "blocks", "downscale"]

AUTO_LONG_SIDE = 128
"""Long side of the automatic working image: the fit's accuracy depends on the working image's
size, not on the block size (measurements: ``docs/notes/engine-quality.md``)."""

_BAND_ELEMENTS = 1 << 22  # values per processed band: bounds the temporaries (~16 MB each)


@dataclass(frozen=True)
class Downscaled:
    """A working image: reduced pixels, their coordinates and their real-pixel coverage.

    Attributes
    ----------
    pixels
        (h, w, C) float32; NaN where a block holds no non-NaN value.
    coords
        (h, w, 2) float32 ``(y, x)`` block centres, full-resolution pixel-centre units over
        ``max(H, W)``.
    valid_fraction
        (h, w, C) float32, share of each block's real pixels that were not NaN.
    factor
        Block size used.
    """

    pixels: np.ndarray
    coords: np.ndarray
    valid_fraction: np.ndarray
    factor: int


def auto_factor(height: int, width: int, long_side: int = AUTO_LONG_SIDE) -> int:
    """Smallest block size that brings the long side to ``long_side`` blocks or fewer.

    With the default it is the block size of ``downscale = 0``; previews pass their own size.

    Examples
    --------
    >>> auto_factor(600, 900), auto_factor(2000, 3000), auto_factor(4000, 6000, long_side=1024)
    (8, 24, 6)
    """
    return max(1, math.ceil(max(height, width) / long_side))


def blocks(height: int, width: int, factor: int) -> tuple[int, int]:
    """Blocks down and across an image of ``height × width`` (partial edge blocks count)."""
    return -(-height // factor), -(-width // factor)


def block_coords(height: int, width: int, factor: int) -> np.ndarray:
    """(h, w, 2) float32 ``(y, x)`` centres of the real pixels of each block, normalised."""
    scale = float(max(height, width))

    def centres(n: int) -> np.ndarray:
        start = np.arange(0, n, factor, dtype=np.float64)
        stop = np.minimum(start + factor, n)
        return ((start + stop - 1) / 2 + 0.5) / scale  # mean index of the block, then centre

    ys, xs = centres(height), centres(width)
    grid = np.stack(np.meshgrid(ys, xs, indexing="ij"), axis=-1)
    return grid.astype(np.float32)


def downscale(
    image: np.ndarray,
    factor: int,
    function: str = "median",
    *,
    transform: Callable[[np.ndarray, slice], np.ndarray] | None = None,
) -> Downscaled:
    """Reduce ``image`` (H, W, C) by ``factor × factor`` blocks, ignoring NaN.

    Parameters
    ----------
    image
        Full-resolution pixels; NaN marks values to ignore.
    factor
        Block size (>= 1).
    function
        ``"median"`` (robust to stars, the default) or ``"mean"``.
    transform
        Optional per-band map ``(band, rows) -> float32 band`` applied before reduction (the
        pipeline stretches and marks missing pixels here), so no full-size copy is ever made.

    Examples
    --------
    >>> d = downscale(np.arange(12, dtype=np.float32).reshape(3, 4, 1), 2)
    >>> d.pixels[..., 0].tolist()
    [[2.5, 4.5], [8.5, 10.5]]
    """
    if factor < 1:
        raise ParameterError(f"downscale factor must be >= 1, got {factor}")
    if function not in ("median", "mean"):
        raise ParameterError(f"downscale function must be median or mean, got {function!r}")
    height, width, channels = image.shape
    hb, wb = blocks(height, width, factor)
    out = np.empty((hb, wb, channels), np.float32)
    frac = np.empty((hb, wb, channels), np.float32)
    band_blocks = max(1, _BAND_ELEMENTS // (factor * factor * wb * channels))
    for b0 in range(0, hb, band_blocks):
        b1 = min(hb, b0 + band_blocks)
        rows = slice(b0 * factor, min(height, b1 * factor))
        band = image[rows] if transform is None else transform(image[rows], rows)
        out[b0:b1], frac[b0:b1] = _reduce(band, factor, function, b1 - b0, wb)
    return Downscaled(out, block_coords(height, width, factor), frac, factor)


def _reduce(
    band: np.ndarray, factor: int, function: str, hb: int, wb: int
) -> tuple[np.ndarray, np.ndarray]:
    rows, cols, channels = band.shape
    padded = np.full((hb * factor, wb * factor, channels), np.nan, np.float32)
    padded[:rows, :cols] = band
    blocks = padded.reshape(hb, factor, wb, factor, channels).transpose(0, 2, 4, 1, 3)
    blocks = blocks.reshape(hb, wb, channels, factor * factor)  # a copy: ours to reorder
    count = (~np.isnan(blocks)).sum(axis=-1)
    real_rows = np.minimum(factor, rows - np.arange(hb) * factor)
    real_cols = np.minimum(factor, cols - np.arange(wb) * factor)
    real = (real_rows[:, None] * real_cols[None, :])[..., None]
    if function == "median":
        reduced = _block_medians(blocks, count)
    else:
        with np.errstate(invalid="ignore"):  # all-NaN blocks give NaN, on purpose
            reduced = np.nansum(blocks, axis=-1) / np.where(count > 0, count, np.nan)
    return reduced.astype(np.float32), (count / real).astype(np.float32)


def _block_medians(blocks: np.ndarray, count: np.ndarray) -> np.ndarray:
    """Median of each block's non-NaN values (NaN for none), reordering ``blocks`` in place.

    One partition of all the blocks at the middle of a whole block serves every block
    without NaN; the others (partial edge blocks, missing pixels) are sorted together, NaN
    last, and read at the middle of their own count. Both give what ``np.nanmedian`` gives
    block by block, without its per-block loop: the mean of the two middle order statistics,
    in float32.
    """
    size = blocks.shape[-1]
    low, high = (size - 1) // 2, size // 2
    blocks.partition(sorted({low, high}), axis=-1)
    reduced = _middle_mean(blocks[..., low], blocks[..., high])
    holed = (count > 0) & (count < size)
    if holed.any():
        ordered, n = np.sort(blocks[holed], axis=-1), count[holed][:, None]
        middle = [np.take_along_axis(ordered, k, -1)[:, 0] for k in ((n - 1) // 2, n // 2)]
        reduced[holed] = _middle_mean(*middle)
    reduced[count == 0] = np.nan
    return reduced


def _middle_mean(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """The median from its two middle order statistics (the same one twice for an odd count),
    computed as ``np.median`` does: their float32 mean.
    """
    return (low + high) / np.float32(2)
