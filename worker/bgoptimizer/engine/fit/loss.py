"""The fit's loss (DESIGN §4), per working pixel, with every term's weight from FitParams.

r = weight · (image − model) per pixel and channel. Per pixel, averaged over channels:
error ``|r|``, overshoot ``|r| − r``, negative ``|model| − model``, and for colour images the
colour balance ``var_c(r)``; the loss is the mean over pixels of
``error_weight·error + colour_weight·colour + alpha·(overshoot_weight·overshoot +
negative_weight·negative)``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import tensorflow as tf

from ...params import FitParams

__all__ = ["LossWeights", "pixel_loss"]


class LossWeights(NamedTuple):
    """The four terms' effective multipliers (alpha already folded into the last two).

    Floats, or scalar tensors inside the compiled fit.
    """

    error: Any
    colour: Any
    overshoot: Any
    negative: Any

    @classmethod
    def from_params(cls, params: FitParams) -> LossWeights:
        """Weights as DESIGN §4 combines them.

        Examples
        --------
        >>> LossWeights.from_params(FitParams())
        LossWeights(error=1.0, colour=1.0, overshoot=2.0, negative=2.0)
        """
        return cls(
            params.error_weight,
            params.colour_weight,
            params.alpha * params.overshoot_weight,
            params.alpha * params.negative_weight,
        )


def pixel_loss(
    model: tf.Tensor, image: tf.Tensor, weight: tf.Tensor, weights: LossWeights
) -> tf.Tensor:
    """(M,) loss of each pixel; its mean over the working pixels is the fit's loss.

    Parameters
    ----------
    model, image, weight
        (M, C) model, stretched image and weight. ``image`` must be finite wherever it is
        passed (the fit replaces missing values by 0 with weight 0 before they get here).
    weights
        Term multipliers.
    """
    r = weight * (image - model)
    abs_r = tf.abs(r)
    loss = tf.reduce_mean(
        weights.error * abs_r
        + weights.overshoot * (abs_r - r)
        + weights.negative * (tf.abs(model) - model),
        axis=-1,
    )
    if r.shape[-1] > 1:
        loss += weights.colour * tf.math.reduce_variance(r, axis=-1)
    return loss
