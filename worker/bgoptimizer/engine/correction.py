"""Removing the background model from the image, with nothing rescaled behind the user's back.

``subtract``: ``image − model + median(model)`` keeps the sky level; ``divide``: ``image /
model · median(model)`` keeps it too, for multiplicative gradients (vignetting). The median is
per channel over the non-missing pixels. Both outputs are clipped to [0, 1] (the range
PixInsight expects of float images) and every clipped value is counted in the report;
missing pixels are exactly 0 in both outputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..exceptions import ParameterError
from .stretch import quantiles

__all__ = ["MODEL_FLOOR", "Correction", "correct"]

MODEL_FLOOR = 1e-6
"""``divide`` uses ``max(model, MODEL_FLOOR)``; the report counts the floored values."""

_BAND_PIXELS = 1 << 18
"""Pixels per row band: keeps every temporary of the correction a few MB."""

_COUNTS = ("corrected_low", "corrected_high", "background_low", "background_high", "model_floored")


@dataclass(frozen=True)
class Correction:
    """Both outputs (H, W, C) float32 and what happened on the way.

    ``model_median`` is the per-channel constant added back; the counts are per channel.
    """

    background: np.ndarray
    corrected: np.ndarray
    method: str
    model_median: tuple[float, ...]
    clipped: dict[str, list[int]] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        """JSON-ready description for the report."""
        return {
            "method": self.method,
            "model_median": list(self.model_median),
            "clipped": self.clipped,
        }


def correct(
    image: np.ndarray,
    model: np.ndarray,
    missing: np.ndarray,
    method: str = "subtract",
    *,
    reuse_model: bool = False,
) -> Correction:
    """Apply the linear background ``model`` to ``image``; both (H, W, C), float32.

    Works in row bands, so besides the two outputs only band-sized temporaries exist.

    Parameters
    ----------
    image
        The linear input (not modified).
    model
        The linear background model at every pixel.
    missing
        (H, W) bool; these pixels are 0 in both outputs and left out of the median.
    method
        ``"subtract"`` or ``"divide"``.
    reuse_model
        Turn ``model`` itself into the background output (clipped in place) instead of
        allocating another image-sized array: what the pipeline does at full resolution.

    Examples
    --------
    >>> img = np.array([[[0.3]], [[0.5]]], np.float32)
    >>> c = correct(img, np.array([[[0.2]], [[0.4]]], np.float32), np.zeros((2, 1), bool))
    >>> [round(float(v), 6) for v in c.corrected[:, 0, 0]]
    [0.4, 0.4]
    """
    if method not in ("subtract", "divide"):
        raise ParameterError(f"correction must be subtract or divide, got {method!r}")
    if image.shape != model.shape:
        raise ParameterError(f"model shape {model.shape} differs from image {image.shape}")
    valid = ~missing
    if not valid.any():
        raise ParameterError("the image has no valid pixels to correct")
    height, width, channels = image.shape
    medians = np.array(
        [quantiles(model[..., c][valid], (0.5,))[0] for c in range(channels)], np.float32
    )
    background = model if reuse_model else np.empty(image.shape, np.float32)
    corrected = np.empty(image.shape, np.float32)
    counts = {name: np.zeros(channels, np.int64) for name in _COUNTS}
    step = max(1, _BAND_PIXELS // width)
    for r0 in range(0, height, step):
        rows = slice(r0, r0 + step)
        ok = valid[rows][..., None]
        m = model[rows].astype(np.float32)  # a copy: the model may be overwritten below
        x = np.where(ok, image[rows], np.float32(0))
        if method == "subtract":
            out = x - m + medians
        else:
            low = m < MODEL_FLOOR
            counts["model_floored"] += _count(low, ok)
            out = x / np.where(low, np.float32(MODEL_FLOOR), m) * medians
        for name, arr, dst in (("corrected", out, corrected), ("background", m, background)):
            counts[f"{name}_low"] += _count(arr < 0, ok)
            counts[f"{name}_high"] += _count(arr > 1, ok)
            dst[rows] = np.where(ok, np.clip(arr, 0.0, 1.0), np.float32(0))
    clipped = {name: [int(v) for v in counts[name]] for name in _COUNTS}
    return Correction(background, corrected, method, tuple(float(v) for v in medians), clipped)


def _count(flags: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """Per-channel number of valid pixels where ``flags`` holds."""
    return np.count_nonzero(flags & ok, axis=(0, 1))
