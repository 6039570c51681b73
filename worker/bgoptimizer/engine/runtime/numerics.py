"""The engine's numeric settings in one place: dtype and the small constants kernels need.

Kernels take these from :data:`NUMERICS` instead of hiding literals; tests that need another
precision (float64 against scipy) pass a dtype explicitly.
"""

from __future__ import annotations

from dataclasses import dataclass

import tensorflow as tf

__all__ = ["NUMERICS", "Numerics"]


@dataclass(frozen=True)
class Numerics:
    """Engine-wide numeric constants.

    Attributes
    ----------
    dtype
        Working float type of every tensor in the fit and the evaluation.
    r2_floor
        Squared distances at or below this count as r = 0, where phi is 0 and its gradient is
        taken as 0 (the limit for k >= 2; a subgradient for the cone k = 1).
    adam_beta1, adam_beta2, adam_epsilon
        Adam's moment decay rates and denominator guard (Keras' defaults).
    min_learning_rate
        Floor of the learning rate when plateaus reduce it.
    batch_pixels
        Most working pixels per optimisation step: small enough that a step's P x N
        temporaries stay in cache (~1 MB at N = 32), large enough to average the noise of
        the L1 loss. An epoch splits the pixels into equal batches of at most this many.
    max_epoch_steps
        Most steps in one epoch. An epoch is one pass over the working pixels up to this
        many batches: convergence is counted in steps (Adam moves each parameter by about
        the learning rate per step), so a big working image gets random batches of its pixels
        per epoch instead of costing proportionally more per epoch.
    eval_pixels
        Pixels per chunk when the exact loss or the working-resolution model is computed.
    frame_margin
        Sample positions are kept this far (normalised units) inside the frame's edges, so
        float32 rounding never reports one just outside the image.
    """

    dtype: tf.DType = tf.float32
    r2_floor: float = 1e-30
    adam_beta1: float = 0.9
    adam_beta2: float = 0.999
    adam_epsilon: float = 1e-7
    min_learning_rate: float = 1e-6
    batch_pixels: int = 8192
    max_epoch_steps: int = 12
    eval_pixels: int = 16384
    frame_margin: float = 1e-6


NUMERICS = Numerics()
"""The settings the engine runs with."""
