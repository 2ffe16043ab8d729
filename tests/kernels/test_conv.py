"""The convolution's kernels, one by one, against the plain tier's matrices."""

import numpy
from hypothesis import given, strategies as st

from minialex import naive
from minialex.kernels import conv
from minialex.kernels.workspace import Workspace


@given(st.integers(1, 2), st.sampled_from([1, 2]), st.integers(1, 6), st.integers(1, 6),
       st.integers(1, 3), st.integers(1, 3), st.integers(0, 1), st.integers(0, 2**31))
def test_each_step_against_the_plain_tier_property(n, groups, h, w, kernel, stride, padding,
                                                   seed):
    kernel = min(kernel, h + 2 * padding, w + 2 * padding)
    rng = numpy.random.default_rng(seed)
    c, o = 2 * groups, 2 * groups
    x = rng.standard_normal((n, c, h, w))
    weight = rng.standard_normal((o, c // groups, kernel, kernel))
    bias = rng.standard_normal(o)
    cols, geometry = conv.columns(x, (kernel, kernel), (stride, stride), (padding, padding),
                                  groups, Workspace())
    rows = numpy.matmul(weight.reshape(groups, o // groups, -1), cols)
    y = conv.to_images(rows, geometry, bias)
    numpy.testing.assert_allclose(y, naive.conv2d(x, weight, bias, stride, padding, groups),
                                  rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    dy_rows = conv.from_images(dy, geometry, groups, Workspace())
    dweight = conv.weight_gradient(dy_rows, cols, weight.shape)
    dx = conv.input_gradient(weight.reshape(groups, o // groups, -1), dy_rows, cols, geometry)
    expected_dx, expected_dweight, _ = naive.conv2d_backward(x, weight, dy, stride, padding,
                                                             groups)
    numpy.testing.assert_allclose(dweight, expected_dweight, rtol=1e-12, atol=1e-12)
    numpy.testing.assert_allclose(dx, expected_dx, rtol=1e-12, atol=1e-12)


def test_the_weight_gradient_reuses_last_step_s_array(rng):
    x = rng.standard_normal((2, 2, 5, 5))
    cols, geometry = conv.columns(x, (3, 3), (1, 1), (1, 1), 1, Workspace())
    dy_rows = conv.from_images(rng.standard_normal((2, 3, 5, 5)), geometry, 1, Workspace())
    first = conv.weight_gradient(dy_rows, cols, (3, 2, 3, 3))
    assert conv.weight_gradient(dy_rows, cols, (3, 2, 3, 3), previous=first) is first
