"""The JSON report of one fit, and the processing history written into the outputs.

The report holds everything needed to understand or repeat a result: parameters, effective
stretch, working size, loss history (through every pass of the fit), each refit's residual
rejection (robust sigma, share of blocks rejected), final sample positions, the correction's
medians and clipped counts, timings per stage, device and versions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from .. import __version__
from ..params import FitParams
from ..versions import versions
from .correction import BandedCorrection, Correction
from .fit.result import FitResult
from .working import Working

__all__ = [
    "PARAMETERS_PROPERTY",
    "build_report",
    "history_lines",
]

PARAMETERS_PROPERTY = "BackgroundOptimizer:Parameters"
"""XISF property id holding the parameters as a JSON string."""

_HISTORY_WIDTH = 68  # a FITS HISTORY card holds 72 characters of text


def history_lines(params: FitParams, what: str) -> list[str]:
    """HISTORY lines: tool, version, what the file is, then every parameter as ``name=value``."""
    lines = [f"bgoptimizer {__version__}: {what}"]
    current = "parameters:"
    for name, value in params.to_dict().items():
        item = f"{name}={value}"
        if len(current) + 1 + len(item) > _HISTORY_WIDTH:
            lines.append(current)
            current = " "
        current += " " + item
    lines.append(current)
    return lines


def build_report(
    *,
    params: FitParams,
    shape: tuple[int, int, int],
    working: Working,
    fit: FitResult,
    correction: Correction | BandedCorrection,
    timings: dict[str, float],
    explicit_stretch: bool,
) -> dict[str, Any]:
    """The report as a JSON-ready dict.

    Sample positions are in full-resolution pixel coordinates with the origin at the image's
    top-left corner (pixel (0, 0) spans [0, 1), as in PixInsight); values are in stretched
    units, one per channel.
    """
    height, width, channels = shape
    scale = float(max(height, width))
    centres = np.asarray(fit.centres, dtype=np.float64) * scale
    values = np.asarray(fit.values, dtype=np.float64).reshape(len(centres), -1)
    h, w, _ = working.image.shape
    return {
        "tool": "bgoptimizer",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "image": {
            "width": width,
            "height": height,
            "channels": channels,
            "missing_pixels": int(working.missing.sum()),
        },
        "parameters": params.to_dict(),
        "stretch": {**working.stretch.to_dict(), "explicit": explicit_stretch},
        "working": {
            "factor": working.factor,
            "width": w,
            "height": h,
            "weighted_fraction": float(np.mean(working.weight > 0)),
        },
        "fit": {
            "epochs_run": int(fit.epochs_run),
            "best_epoch": int(fit.best_epoch),
            "best_loss": float(fit.best_loss),
            "stopped_early": bool(fit.stopped_early),
            "final_lr": float(fit.final_lr),
            "loss_history": [float(v) for v in fit.loss_history],
            "timings": {k: float(v) for k, v in dict(fit.timings).items()},
            "rejections": list(fit.rejections),
        },
        "samples": [
            {"x": float(c[1]), "y": float(c[0]), "value": v.tolist()}
            for c, v in zip(centres, values, strict=True)
        ],
        "correction": correction.summary(),
        "timings": {k: round(v, 4) for k, v in timings.items()},
        "device": str(fit.device),
        "versions": versions(),
    }
