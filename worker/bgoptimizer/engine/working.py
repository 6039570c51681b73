"""From the linear full-resolution image to what the fit sees (DESIGN §3 steps 2-5).

Missing pixels, the stretch, block downscaling and the weight mask, in one pass over the
image in bands (the stretched full-size image is never held in memory). Shared by the
pipeline and ``bgoptimizer preview``, so the preview shows exactly what is fitted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..params import FitParams
from .downscale import auto_factor, blocks, downscale
from .masking import check_user_mask, missing_mask, weight_mask
from .stretch import StretchParams, fit_stretch

__all__ = ["Working", "missing_pixels", "prepare", "working_shape"]


@dataclass(frozen=True)
class Working:
    """The working-resolution problem.

    Attributes
    ----------
    image
        (h, w, C) float32 stretched image, NaN where a block is all missing. Not clipped to
        [0, 1]: the fit and the thresholds both see values above the stretch's white point
        (the brightest ``1 − quantile`` of the sky, often a whole corner of a light dome),
        which clipping would flatten and the old default ``threshold_max`` 1 excluded.
    weight
        (h, w, C) float32 in [0, 1].
    coords
        (h, w, 2) float32 ``(y, x)`` block centres over ``max(H, W)``.
    missing
        (H, W) bool full-resolution missing pixels.
    stretch
        Effective stretch parameters.
    factor
        Block size.
    """

    image: np.ndarray
    weight: np.ndarray
    coords: np.ndarray
    missing: np.ndarray
    stretch: StretchParams
    factor: int

    def display(self) -> np.ndarray:
        """The image clipped to [0, 1] with missing blocks at 0: what a preview shows."""
        return np.clip(np.nan_to_num(self.image, nan=0.0), 0.0, 1.0)


_BAND_VALUES = 1 << 18
"""Values per band of :func:`missing_pixels`: its temporaries stay cache-sized."""


def missing_pixels(pixels: np.ndarray) -> np.ndarray:
    """:func:`~bgoptimizer.engine.masking.missing_mask` of (H, W, C) ``pixels``, a row band
    at a time: the same mask without its image-sized temporaries (a few, each the mask's
    size).

    Examples
    --------
    >>> missing_pixels(np.array([[[0.0], [0.5]], [[np.nan], [1.0]]], np.float32)).tolist()
    [[True, False], [True, False]]
    """
    height, width, channels = pixels.shape
    out = np.empty((height, width), bool)
    step = max(1, _BAND_VALUES // (width * channels))
    for r0 in range(0, height, step):
        out[r0 : r0 + step] = missing_mask(pixels[r0 : r0 + step])
    return out


def working_shape(shape: tuple[int, int, int], params: FitParams) -> tuple[int, int, int]:
    """(h, w, C) of the working image :func:`prepare` makes from an (H, W, C) image: one
    pixel per block, partial edge blocks included.

    Examples
    --------
    >>> working_shape((2000, 3000, 3), FitParams())  # automatic block size 24
    (84, 125, 3)
    """
    height, width, channels = shape
    return *blocks(height, width, _factor(height, width, params)), channels


def _factor(height: int, width: int, params: FitParams) -> int:
    """The block size ``params`` ask for: theirs, else the automatic one."""
    return params.downscale or auto_factor(height, width)


def prepare(
    pixels: np.ndarray,
    params: FitParams,
    *,
    mask: np.ndarray | None = None,
    stretch: StretchParams | None = None,
    factor: int | None = None,
    missing: np.ndarray | None = None,
) -> Working:
    """Build the working problem from linear ``pixels`` (H, W, C).

    Parameters
    ----------
    pixels
        Linear input; not modified.
    params
        Fit parameters (quantile, target, downscale, thresholds are used here).
    mask
        Optional user mask, (H, W), (H, W, 1) or (H, W, C).
    stretch
        Explicit stretch parameters; computed from the image when omitted.
    factor
        Block size overriding ``params.downscale`` (the preview picks its own).
    missing
        The image's :func:`~bgoptimizer.engine.masking.missing_mask`, when the caller has it.

    Raises
    ------
    MaskError
        The mask does not match the image.
    ParameterError
        No valid pixel, or explicit stretch parameters for another channel count.
    """
    height, width, channels = pixels.shape
    user = None if mask is None else check_user_mask(mask, (height, width, channels))
    if missing is None:
        missing = missing_pixels(pixels)
    if stretch is None:
        stretch = fit_stretch(pixels, missing, quantile=params.quantile, target=params.target)
    f = factor or _factor(height, width, params)

    def to_stretched(band: np.ndarray, rows: slice) -> np.ndarray:
        out = stretch.forward(np.where(np.isfinite(band), band, 0), clip=False)
        out[missing[rows]] = np.nan
        return out

    work = downscale(pixels, f, params.downscale_function, transform=to_stretched)
    user_small = None if user is None else downscale(user, f, params.downscale_function).pixels
    weight = weight_mask(
        work.pixels,
        work.valid_fraction,
        threshold_min=params.threshold_min,
        threshold_max=params.threshold_max,
        user=user_small,
    )
    return Working(
        image=work.pixels,
        weight=weight,
        coords=work.coords,
        missing=missing,
        stretch=stretch,
        factor=f,
    )
