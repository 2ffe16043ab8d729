"""The plain batch normalisation: backward against finite differences, in both modes."""

import numpy
import pytest

from minialex import naive
from tests.helpers import assert_gradient_close, numeric_gradient


@pytest.mark.parametrize("training", [True, False])
def test_backward_against_finite_differences(training, rng):
    x = rng.standard_normal((3, 2, 2, 3))
    gamma, beta = 1 + rng.random(2), rng.standard_normal(2)
    mean, var = rng.standard_normal(2), 0.5 + rng.random(2)
    dy = rng.standard_normal(x.shape)

    def forward(v, g=gamma, b=beta):
        return naive.batch_norm2d(v, g, b, mean, var, training)[0]

    dx, dgamma, dbeta = naive.batch_norm2d_backward(x, gamma, dy, mean, var, training)
    assert_gradient_close(dx, numeric_gradient(forward, x, dy))
    assert_gradient_close(dgamma, numeric_gradient(lambda g: forward(x, g=g), gamma, dy))
    assert_gradient_close(dbeta, numeric_gradient(lambda b: forward(x, b=b), beta, dy))


def test_eval_leaves_the_running_statistics(rng):
    mean, var = rng.standard_normal(2), 1 + rng.random(2)
    _, new_mean, new_var = naive.batch_norm2d(rng.standard_normal((2, 2, 2, 2)), numpy.ones(2),
                                              numpy.zeros(2), mean, var, training=False)
    numpy.testing.assert_array_equal(new_mean, mean)
    numpy.testing.assert_array_equal(new_var, var)
