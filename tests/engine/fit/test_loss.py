"""Each term of the fit's loss on pixels whose values are worked out by hand (DESIGN §4)."""

import numpy as np
import pytest
import tensorflow as tf

from bgoptimizer.engine.fit.loss import LossWeights, pixel_loss

ONLY_ERROR = LossWeights(error=1.0, colour=0.0, overshoot=0.0, negative=0.0)
ONLY_OVERSHOOT = LossWeights(error=0.0, colour=0.0, overshoot=1.0, negative=0.0)
ONLY_NEGATIVE = LossWeights(error=0.0, colour=0.0, overshoot=0.0, negative=1.0)
ONLY_COLOUR = LossWeights(error=0.0, colour=1.0, overshoot=0.0, negative=0.0)


def loss(model, image, weight, weights: LossWeights) -> np.ndarray:
    as_tensor = [tf.constant(np.asarray(a, np.float32)) for a in (model, image, weight)]
    return pixel_loss(*as_tensor, weights).numpy()


def test_error_is_the_weighted_absolute_residual_averaged_over_channels():
    # r = 0.5·(0.3 − 0.1) = 0.1 and 1.0·(0.2 − 0.6) = −0.4: mean |r| = 0.25
    got = loss([[0.1, 0.6]], [[0.3, 0.2]], [[0.5, 1.0]], ONLY_ERROR)
    np.testing.assert_allclose(got, [0.25], rtol=1e-6)


def test_overshoot_costs_only_a_model_above_the_image():
    # model above the image by 0.2 (r = −0.2): |r| − r = 0.4; below it (r = +0.2): 0
    got = loss([[0.5], [0.1]], [[0.3], [0.3]], [[1.0], [1.0]], ONLY_OVERSHOOT)
    np.testing.assert_allclose(got, [0.4, 0.0], atol=1e-7)


def test_negative_costs_only_a_model_below_zero():
    # |−0.1| − (−0.1) = 0.2; a positive model costs nothing, whatever the image
    got = loss([[-0.1], [0.4]], [[0.0], [0.9]], [[1.0], [1.0]], ONLY_NEGATIVE)
    np.testing.assert_allclose(got, [0.2, 0.0], atol=1e-7)


def test_colour_is_the_variance_of_the_residual_across_channels():
    # r = (0.1, 0.2, 0.3): population variance = 2/300
    got = loss([[0.0, 0.0, 0.0]], [[0.1, 0.2, 0.3]], [[1.0, 1.0, 1.0]], ONLY_COLOUR)
    np.testing.assert_allclose(got, [2 / 300], rtol=1e-5)


def test_colour_is_not_counted_on_a_mono_image():
    assert loss([[0.0]], [[0.7]], [[1.0]], ONLY_COLOUR).tolist() == [0.0]


def test_a_zero_weight_pixel_costs_only_what_the_model_alone_costs():
    # weight 0: no error, no overshoot, no colour; a negative model is still penalised
    weights = LossWeights(error=1.0, colour=1.0, overshoot=2.0, negative=2.0)
    got = loss([[-0.25, 0.5]], [[0.9, 0.1]], [[0.0, 0.0]], weights)
    np.testing.assert_allclose(got, [2.0 * (0.5 + 0.0) / 2], rtol=1e-6)


@pytest.mark.parametrize("scale", [0.5, 3.0])
def test_the_terms_add_with_their_multipliers(scale):
    model, image, weight = [[0.5, -0.1]], [[0.3, 0.2]], [[1.0, 1.0]]
    terms = [loss(model, image, weight, w)[0] for w in (ONLY_ERROR, ONLY_OVERSHOOT)]
    terms += [loss(model, image, weight, w)[0] for w in (ONLY_NEGATIVE, ONLY_COLOUR)]
    mixed = LossWeights(scale, 2 * scale, 3 * scale, 4 * scale)
    expected = scale * (terms[0] + 3 * terms[1] + 4 * terms[2] + 2 * terms[3])
    np.testing.assert_allclose(loss(model, image, weight, mixed), [expected], rtol=1e-6)
