"""The fitted spline's plain data: what the fit returns and the report reads (no TensorFlow).

Kept apart from the driver so that the report and the model's evaluation can type it without
importing each other (see :mod:`bgoptimizer.engine.model` for turning it into values).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["FitResult"]


@dataclass
class FitResult:
    """A fitted background spline and how the fit went.

    Attributes
    ----------
    centres
        (N, 2) normalised ``(y, x)`` sample positions.
    values
        (N, C) stretched sample values (the model passes through them unless regularised).
    weights, poly
        (N, C) radial weights and (3, C) coefficients of ``1, y, x``: the solved spline.
    order, regularisation
        Spline settings.
    loss_history
        Exact loss after each epoch.
    epochs_run, best_epoch, best_loss
        Epochs done, the epoch whose state was kept (0: the starting state) and its loss.
    stopped_early
        Whether early stopping (or a recovered numerical failure) ended the fit.
    final_lr
        Learning rate at the end.
    timings
        ``init`` and ``optimise`` seconds, ``per_step_ms`` (compiled steps, first epoch and
        its compilation excluded), ``first_epoch`` seconds (with compilation).
    device
        What ran the fit: a GPU's name or ``"CPU"``.
    rejections
        One :meth:`~bgoptimizer.engine.fit.rejection.Rejection.to_dict` per refit: the residual's
        robust sigma per channel and the share of weighted blocks rejected before it.
    objects
        (h, w) bool at the working resolution: the blocks the last refit was kept away from
        as objects (the user's mask and missing data excluded); None without refits.
    """

    centres: np.ndarray
    values: np.ndarray
    weights: np.ndarray
    poly: np.ndarray
    order: int
    regularisation: float = 0.0
    loss_history: list[float] = field(default_factory=list)
    epochs_run: int = 0
    best_epoch: int = 0
    best_loss: float = float("nan")
    stopped_early: bool = False
    final_lr: float = float("nan")
    timings: dict[str, float] = field(default_factory=dict)
    device: str = "CPU"
    rejections: list[dict[str, object]] = field(default_factory=list)
    objects: np.ndarray | None = None
