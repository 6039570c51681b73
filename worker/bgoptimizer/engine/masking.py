"""Missing pixels and the fit's weight mask (DESIGN §3 steps 2 and 5).

A pixel is *missing* when any of its channels is exactly 0 or not finite. The decision is
per pixel, not per channel: registration borders of separately registered colour channels
do not coincide, and a pixel that lacks one channel has a false colour, so it must neither
enter the fit nor be "corrected" into a coloured fringe. Missing pixels are 0 in every
channel of both outputs.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import MaskError

__all__ = ["check_user_mask", "missing_mask", "weight_mask"]


def missing_mask(pixels: np.ndarray) -> np.ndarray:
    """(H, W) bool: True where any channel of ``pixels`` (H, W, C) is 0 or non-finite.

    The channels are tested one by one and OR-ed: ``any`` over a last axis of 3 values is one
    of numpy's slowest reductions (6x the per-channel form at 24 MP RGB).

    >>> px = np.ones((1, 3, 3), np.float32)
    >>> px[0, 1, 2], px[0, 2, 0] = 0.0, np.nan
    >>> missing_mask(px).tolist()
    [[False, True, True]]
    """
    out = np.zeros(pixels.shape[:2], bool)
    for c in range(pixels.shape[2]):
        channel = pixels[..., c]
        out |= (channel == 0) | ~np.isfinite(channel)
    return out


def check_user_mask(mask: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """Validate a user mask against the image shape and return it as float32 (H, W, 1 or C).

    A mono mask applies to every channel; a mask with the image's channel count applies per
    channel. Values are clipped to [0, 1] (an 8- or 16-bit mask is already normalised by the
    reader).

    Raises
    ------
    MaskError
        The mask's size or channel count does not match, or it holds non-finite values.
    """
    arr = np.asarray(mask, dtype=np.float32)
    if arr.ndim == 2:
        arr = arr[..., None]
    h, w, c = shape
    if arr.ndim != 3 or arr.shape[:2] != (h, w) or arr.shape[2] not in (1, c):
        raise MaskError(
            f"mask is {_size(arr)} but the image is {w}x{h}x{c} (width x height x channels; "
            f"a mask needs the same width and height and 1 or {c} channel(s))"
        )
    if not np.isfinite(arr).all():
        raise MaskError("mask holds non-finite values")
    return np.clip(arr, 0.0, 1.0)


def _size(arr: np.ndarray) -> str:
    if arr.ndim == 3:
        return f"{arr.shape[1]}x{arr.shape[0]}x{arr.shape[2]}"
    return "x".join(str(n) for n in arr.shape)


def weight_mask(
    stretched: np.ndarray,
    valid_fraction: np.ndarray,
    *,
    threshold_min: float,
    threshold_max: float,
    user: np.ndarray | None = None,
) -> np.ndarray:
    """The working-resolution weight in [0, 1], (h, w, C) float32.

    Parameters
    ----------
    stretched
        Working image stretched *without* clipping (NaN where a block has no real pixel), so
        ``threshold_max`` can exclude what lies above the stretch's white point.
    valid_fraction
        Share of each block's pixels that are not missing (h, w, C): a half-covered border
        block counts half.
    threshold_min, threshold_max
        Blocks outside ``[threshold_min, threshold_max]`` get weight 0.
    user
        Optional user mask at working resolution, (h, w, 1) or (h, w, C).
    """
    with np.errstate(invalid="ignore"):
        inside = (stretched >= threshold_min) & (stretched <= threshold_max)
    weight = np.where(inside, valid_fraction, 0.0).astype(np.float32)
    if user is not None:
        weight *= np.nan_to_num(user, nan=0.0).astype(np.float32)
    return weight
