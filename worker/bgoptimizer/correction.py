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

from .exceptions import ParameterError
from .stretch import quantiles

__all__ = ["MODEL_FLOOR", "Correction", "correct"]

MODEL_FLOOR = 1e-6
"""``divide`` uses ``max(model, MODEL_FLOOR)``; the report counts the floored values."""


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
    image: np.ndarray, model: np.ndarray, missing: np.ndarray, method: str = "subtract"
) -> Correction:
    """Apply the linear background ``model`` to ``image``; both (H, W, C), float32.

    Parameters
    ----------
    image
        The linear input (not modified).
    model
        The linear background model at every pixel (not modified).
    missing
        (H, W) bool; these pixels are 0 in both outputs and left out of the median.
    method
        ``"subtract"`` or ``"divide"``.

    Examples
    --------
    >>> img = np.array([[[0.3]], [[0.5]]], np.float32)
    >>> c = correct(img, np.array([[[0.2]], [[0.4]]], np.float32), np.zeros((2, 1), bool))
    >>> c.corrected[:, 0, 0].round(6).tolist()
    [0.4, 0.4]
    """
    if method not in ("subtract", "divide"):
        raise ParameterError(f"correction must be subtract or divide, got {method!r}")
    if image.shape != model.shape:
        raise ParameterError(f"model shape {model.shape} differs from image {image.shape}")
    valid = ~missing
    if not valid.any():
        raise ParameterError("the image has no valid pixels to correct")
    background = np.empty(image.shape, np.float32)
    corrected = np.empty(image.shape, np.float32)
    medians: list[float] = []
    counts: dict[str, list[int]] = {
        k: []
        for k in (
            "corrected_low",
            "corrected_high",
            "background_low",
            "background_high",
            "model_floored",
        )
    }
    for c in range(image.shape[2]):
        m = model[..., c]
        med = np.float32(quantiles(m[valid], (0.5,))[0])
        medians.append(float(med))
        x = np.where(valid, image[..., c], 0).astype(np.float32)
        if method == "subtract":
            out = x - m + med
            floored = 0
        else:
            low = m < MODEL_FLOOR
            floored = int(np.count_nonzero(low & valid))
            out = x / np.where(low, np.float32(MODEL_FLOOR), m) * med
        for name, arr, dst in (("corrected", out, corrected), ("background", m, background)):
            counts[f"{name}_low"].append(int(np.count_nonzero((arr < 0) & valid)))
            counts[f"{name}_high"].append(int(np.count_nonzero((arr > 1) & valid)))
            dst[..., c] = np.where(valid, np.clip(arr, 0.0, 1.0), 0.0)
        counts["model_floored"].append(floored)
    return Correction(background, corrected, method, tuple(medians), counts)
