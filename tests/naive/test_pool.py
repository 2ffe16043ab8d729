"""The plain max-pool: backward against finite differences, the tie rule."""

import numpy
import pytest

from minialex import naive
from tests.helpers import assert_gradient_close, numeric_gradient, spaced


@pytest.mark.parametrize("shape, kernel, stride, padding", [
    ((2, 2, 7, 7), 3, 2, 0), ((1, 2, 6, 6), 3, 1, 0), ((1, 3, 7, 8), 3, 2, 1),
    ((2, 1, 6, 6), 2, 2, 0), ((1, 1, 7, 5), (3, 2), (2, 1), (1, 0))])
def test_backward_against_finite_differences(shape, kernel, stride, padding, rng):
    x = spaced(rng, shape)
    y = naive.max_pool2d(x, kernel, stride, padding)
    dy = rng.standard_normal(y.shape)
    numeric = numeric_gradient(lambda v: naive.max_pool2d(v, kernel, stride, padding), x, dy,
                               eps=1e-4 / numpy.prod(shape))
    assert_gradient_close(naive.max_pool2d_backward(x, dy, kernel, stride, padding), numeric)


def test_a_tie_goes_to_the_first_maximum_in_raster_order():
    x = numpy.zeros((1, 1, 3, 3))
    x[0, 0, 1, 2] = x[0, 0, 2, 0] = 5.0          # row 1 comes before row 2
    dx = naive.max_pool2d_backward(x, numpy.ones((1, 1, 1, 1)), 3, 1)
    assert dx[0, 0, 1, 2] == 1.0 and dx.sum() == 1.0
