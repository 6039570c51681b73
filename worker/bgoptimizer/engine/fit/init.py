"""Everything the fit needs before its first step: pixel data, sample positions and values.

Positions come from a grid (rows balanced to the frame's aspect) or a seeded uniform draw;
values are the sky around each position (the loss's own quantile of a small window, robust to
stars) blended with the channel's median by the mask weight there, so a sample over an
excluded or missing area starts at the median sky.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from ...exceptions import ParameterError
from ..runtime.numerics import NUMERICS
from .loss import LossWeights
from .train import PixelData

__all__ = [
    "check_inputs",
    "frame_bounds",
    "initial_centres",
    "initial_values",
    "loss_quantile",
    "nearest_pixels",
    "padded_pixels",
    "pixel_data",
]


def check_inputs(image: np.ndarray, weight: np.ndarray, coords: np.ndarray) -> None:
    """Raise :class:`ParameterError` unless image, weight and coords have matching shapes."""
    if image.ndim != 3:
        raise ParameterError(f"image must be (h, w, C), got shape {image.shape}")
    if weight.shape != image.shape:
        raise ParameterError(f"weight shape {weight.shape} differs from image {image.shape}")
    if coords.shape != (*image.shape[:2], 2):
        raise ParameterError(
            f"coords must be (h, w, 2) for image {image.shape}, got {coords.shape}"
        )


def _clean(image: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Image with missing values set to 0 and weight 0 there (NaN · 0 is NaN, not 0)."""
    bad = ~np.isfinite(image) | ~np.isfinite(weight)
    dtype = NUMERICS.dtype.as_numpy_dtype
    clean_image = np.where(bad, 0, image).astype(dtype)
    clean_weight = np.where(bad, 0, np.clip(weight, 0, 1)).astype(dtype)
    return clean_image, clean_weight


def padded_pixels(pixels: int) -> int:
    """The length of :func:`pixel_data`'s arrays for ``pixels`` real pixels: whole chunks.

    Examples
    --------
    >>> padded_pixels(10375), padded_pixels(40000)
    (10375, 49152)
    """
    chunk = min(NUMERICS.eval_pixels, pixels)
    return -(-pixels // chunk) * chunk


def pixel_data(
    image: np.ndarray, weight: np.ndarray, coords: np.ndarray, rng: np.random.Generator
) -> tuple[PixelData, int]:
    """Flattened, shuffled pixels padded to whole evaluation chunks, and the real count P.

    Raises
    ------
    ParameterError
        Mismatched shapes, or no pixel with a positive weight.
    """
    check_inputs(image, weight, coords)
    clean_image, clean_weight = _clean(image, weight)
    if not (clean_weight > 0).any():
        raise ParameterError("weight is 0 everywhere: there is nothing to fit")
    channels = image.shape[2]
    pixels = image.shape[0] * image.shape[1]
    order = rng.permutation(pixels)
    padded = padded_pixels(pixels)
    dtype = NUMERICS.dtype.as_numpy_dtype

    def flat(a: np.ndarray, width: int) -> tf.Tensor:
        out = np.zeros((padded, width), dtype)
        out[:pixels] = a.reshape(pixels, width)[order]
        return tf.constant(out)

    valid = np.zeros(padded, dtype)
    valid[:pixels] = 1
    data = PixelData(
        flat(coords, 2),
        flat(clean_image, channels),
        flat(clean_weight, channels),
        tf.constant(valid),
    )
    return data, pixels


def _extent(coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest ``(y, x)`` of the working pixel centres."""
    flat = coords.reshape(-1, 2).astype(np.float64)
    return flat.min(axis=0), flat.max(axis=0)


def frame_bounds(coords: np.ndarray) -> np.ndarray:
    """(2, 2) lowest and highest ``(y, x)`` of the frame: the working pixels' extent grown by
    half a working pixel, so samples may reach the image's edges but not leave it.

    Examples
    --------
    >>> yy, xx = np.meshgrid([0.25, 0.75], [0.25, 0.75], indexing="ij")
    >>> frame_bounds(np.stack([yy, xx], -1)).tolist()
    [[0.0, 0.0], [1.0, 1.0]]
    """
    low, high = _extent(coords)
    h, w = coords.shape[:2]
    half = np.where([h > 1, w > 1], (high - low) / np.maximum([h - 1, w - 1], 1) / 2, 0.0)
    # Rounded inwards by a hair, so float32 rounding cannot put a sample just off the frame.
    margin = NUMERICS.frame_margin
    bounds = [np.ceil((low - half) / margin) * margin, np.floor((high + half) / margin) * margin]
    return np.stack(bounds).astype(NUMERICS.dtype.as_numpy_dtype)


def initial_centres(
    coords: np.ndarray, samples: int, initializer: str, rng: np.random.Generator
) -> np.ndarray:
    """(N, 2) starting positions inside the working pixels' extent.

    ``grid`` puts ``rows ≈ sqrt(N h / w)`` rows of evenly spaced samples, the N samples shared
    between rows as evenly as possible (so any N works and a 3:2 frame gets a 3:2 pattern);
    ``random`` draws them uniformly with ``rng``.

    Examples
    --------
    >>> yy, xx = np.meshgrid(np.arange(2) / 3, np.arange(3) / 3, indexing="ij")
    >>> c = initial_centres(np.stack([yy, xx], -1), 6, "grid", np.random.default_rng(0))
    >>> c.shape
    (6, 2)
    """
    low, high = _extent(coords)
    span = high - low
    if initializer == "random":
        centres = low + rng.random((samples, 2)) * span
    elif initializer == "grid":
        aspect = span[0] / span[1] if span[1] > 0 else 1.0
        rows = min(samples, max(1, round(math.sqrt(samples * aspect))))
        counts = [samples // rows + (r < samples % rows) for r in range(rows)]
        centres = np.array(
            [
                (low[0] + (r + 0.5) / rows * span[0], low[1] + (c + 0.5) / n * span[1])
                for r, n in enumerate(counts)
                for c in range(n)
            ]
        )
    else:
        raise ParameterError(f"initializer must be grid or random, got {initializer!r}")
    return centres.astype(NUMERICS.dtype.as_numpy_dtype)


def loss_quantile(weights: LossWeights) -> float:
    """The quantile of a pixel population that minimises the loss's error + overshoot terms.

    Above the model a pixel costs ``error`` per unit, below it ``error + 2·overshoot``, so the
    best constant model sits at the quantile ``error / (2·error + 2·overshoot)``: 1/6 with
    the defaults (α = 2), 1/12 with α = 5 (the median when the overshoot weight is 0).

    Examples
    --------
    >>> round(loss_quantile(LossWeights(1.0, 1.0, 5.0, 5.0)), 4)
    0.0833
    """
    total = 2 * weights.error + 2 * weights.overshoot
    return 0.5 if total <= 0 else weights.error / total


def nearest_pixels(coords: np.ndarray, centres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row and column of the working pixel nearest each ``(y, x)`` centre (a regular grid).

    Examples
    --------
    >>> yy, xx = np.meshgrid(np.arange(2) / 3, np.arange(3) / 3, indexing="ij")
    >>> rows, cols = nearest_pixels(np.stack([yy, xx], -1), np.array([[0.3, 0.6], [9, -1]]))
    >>> rows.tolist(), cols.tolist()
    ([1, 1], [2, 0])
    """
    low, high = _extent(coords)
    h, w = coords.shape[:2]
    step = np.where([h > 1, w > 1], (high - low) / np.maximum([h - 1, w - 1], 1), 1.0)
    index = np.rint((np.asarray(centres, np.float64) - low) / step).astype(int)
    return np.clip(index[:, 0], 0, h - 1), np.clip(index[:, 1], 0, w - 1)


def initial_values(
    image: np.ndarray,
    weight: np.ndarray,
    coords: np.ndarray,
    centres: np.ndarray,
    quantile: float = 0.5,
    *,
    blend: bool = True,
) -> np.ndarray:
    """(N, C) starting values: the sky near each sample, blended with the median by weight.

    The sky near a sample is the ``quantile`` of the weighted pixels in a window around it
    (half the sample spacing wide) rather than the one pixel under it: a star there would
    otherwise start the spline hundreds of Adam steps away from the sky. Then
    ``value = w · local + (1 − w) · median`` per channel, w the window's mean weight and the
    median taken over all weighted pixels, so a sample over a masked or missing area starts
    at the median sky. With ``blend=False`` the window's weighted pixels alone give the
    value (the median only where the window has none).
    """
    clean_image, clean_weight = _clean(image, weight)
    used = clean_weight > 0
    medians = np.array(
        [
            np.median(clean_image[..., c][used[..., c]]) if used[..., c].any() else 0.0
            for c in range(image.shape[2])
        ]
    )
    h, w = image.shape[:2]
    rows, cols = nearest_pixels(coords, centres)
    half = max(1, round(0.25 * math.sqrt(h * w / len(centres))))
    out = np.empty((len(centres), image.shape[2]))
    for i, (r, c) in enumerate(zip(rows, cols, strict=True)):
        window = np.s_[max(r - half, 0) : r + half + 1, max(c - half, 0) : c + half + 1]
        pix, wgt, ok = clean_image[window], clean_weight[window], used[window]
        for ch in range(image.shape[2]):
            mask = ok[..., ch]
            local = np.quantile(pix[..., ch][mask], quantile) if mask.any() else medians[ch]
            share = float(wgt[..., ch].mean()) if blend else float(mask.any())
            out[i, ch] = share * local + (1 - share) * medians[ch]
    return out.astype(NUMERICS.dtype.as_numpy_dtype)
