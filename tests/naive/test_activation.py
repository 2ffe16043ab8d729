"""The plain ReLU and tanh against finite differences."""

import numpy

from minialex import naive
from tests.helpers import assert_gradient_close, numeric_gradient


def test_relu_and_tanh(rng):
    x = rng.standard_normal((3, 4))
    x += 0.1 * numpy.sign(x)                              # no kink within reach
    dy = rng.standard_normal(x.shape)
    assert_gradient_close(naive.relu_backward(x, dy), numeric_gradient(naive.relu, x, dy))
    assert_gradient_close(naive.tanh_backward(naive.tanh(x), dy),
                          numeric_gradient(naive.tanh, x, dy))
