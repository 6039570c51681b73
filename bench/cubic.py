"""A robust cubic polynomial background: the baseline every quality case is compared with.

What a careful user gets from a classic tool (ABE-like): a 2-D polynomial of total degree 3 in
Legendre terms, fitted by least squares to block medians, with iterative one-sided sigma
clipping (blocks far above the model are objects; far below, defects), per channel.
Missing pixels and the user's mask are left out. No part of the engine is used.
"""

from __future__ import annotations

import warnings

import numpy as np
from numpy.polynomial import legendre

BLOCKS = 128  # blocks along the long side
DEGREE = 3
CLIP_HIGH, CLIP_LOW, ROUNDS = 2.0, 4.0, 10


def _design(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Legendre terms P_i(u)·P_j(v) with i + j ≤ DEGREE, for u, v in [-1, 1]."""
    columns = []
    for i in range(DEGREE + 1):
        for j in range(DEGREE + 1 - i):
            ci, cj = np.eye(DEGREE + 1)[i], np.eye(DEGREE + 1)[j]
            columns.append(legendre.legval(u, ci) * legendre.legval(v, cj))
    return np.stack(columns, axis=-1)


def fit_cubic(image: np.ndarray, usable: np.ndarray) -> np.ndarray:
    """Background model (H, W, C) of a linear ``image`` (H, W, C); ``usable`` (H, W) bool."""
    height, width, channels = image.shape
    f = max(1, int(np.ceil(max(height, width) / BLOCKS)))
    hb, wb = -(-height // f), -(-width // f)
    pad = np.full((hb * f, wb * f, channels), np.nan)
    pad[:height, :width] = np.where(usable[..., None], image, np.nan)
    blocks = (
        pad.reshape(hb, f, wb, f, channels).transpose(0, 2, 4, 1, 3).reshape(hb, wb, channels, -1)
    )
    with warnings.catch_warnings():  # all-NaN blocks (missing, masked) give NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        medians = np.nanmedian(blocks, axis=-1)
    cy = (np.arange(hb) * f + f / 2) / height * 2 - 1
    cx = (np.arange(wb) * f + f / 2) / width * 2 - 1
    design = _design(*np.meshgrid(cy, cx, indexing="ij"))
    yy = (np.arange(height) + 0.5) / height * 2 - 1
    xx = (np.arange(width) + 0.5) / width * 2 - 1
    model = np.empty((height, width, channels), np.float32)
    for c in range(channels):
        values = medians[..., c]
        keep = np.isfinite(values)
        for _ in range(ROUNDS):
            coef, *_ = np.linalg.lstsq(design[keep], values[keep], rcond=None)
            residual = values - design @ coef
            sigma = 1.4826 * np.median(np.abs(residual[keep] - np.median(residual[keep])))
            new = (
                np.isfinite(values)
                & (residual < CLIP_HIGH * sigma)
                & (residual > -CLIP_LOW * sigma)
            )
            if (new == keep).all():
                break
            keep = new
        for start in range(0, height, 512):  # row bands: the design at full size is big
            rows = slice(start, start + 512)
            band = _design(*np.meshgrid(yy[rows], xx, indexing="ij"))
            model[rows, :, c] = band @ coef
    return model
