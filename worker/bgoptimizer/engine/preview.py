"""Display images: an automatic stretch to [0, 1], masked areas tinted.

What the PixInsight dialog shows before a fit (``bgoptimizer preview``) and the live preview
the worker streams during one (encoded by :mod:`bgoptimizer.io.png`).
"""

from __future__ import annotations

import numpy as np

from .masking import missing_mask
from .stretch import fit_stretch

__all__ = ["TINT", "display_stretch", "tint"]

TINT = (1.0, 0.2, 0.2)
"""Colour blended over pixels with weight below 1 (red, as PixInsight shows masks)."""

_TINT_STRENGTH = 0.6


def display_stretch(
    pixels: np.ndarray, *, quantile: float = 0.95, target: float = 0.25
) -> np.ndarray:
    """Auto-stretch linear ``pixels`` (h, w, C) to [0, 1] for display; missing pixels are 0.

    Uses the engine's own stretch (DESIGN §5), so what is shown is what is fitted.
    """
    missing = missing_mask(pixels)
    if missing.all():
        return np.zeros(pixels.shape, np.float32)
    sp = fit_stretch(pixels, missing, quantile=quantile, target=target)
    shown = sp.forward(np.where(missing[..., None], 0, pixels))
    shown[missing] = 0.0
    return shown.astype(np.float32)


def tint(display: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """RGB (h, w, 3) image with :data:`TINT` blended in where ``weight`` (h, w, C) is below 1."""
    rgb = np.repeat(display, 3, axis=2) if display.shape[2] == 1 else display
    amount = _TINT_STRENGTH * (1.0 - np.clip(weight.mean(axis=2, keepdims=True), 0.0, 1.0))
    return (rgb * (1.0 - amount) + np.asarray(TINT, np.float32) * amount).astype(np.float32)
