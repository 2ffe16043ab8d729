"""The plain convolution: its backward against finite differences, im2col and col2im."""

import numpy
import pytest

from minialex import naive
from tests.helpers import assert_gradient_close, numeric_gradient

CASES = [((2, 3, 5, 5), 4, 3, 1, 0, 1), ((1, 4, 6, 5), 4, 3, 2, 1, 2), ((2, 2, 7, 7), 3, 5, 3, 2, 1),
         ((1, 6, 4, 4), 3, (2, 3), (1, 2), (1, 0), 3)]


@pytest.mark.parametrize("shape, out, kernel, stride, padding, groups", CASES)
def test_backward_against_finite_differences(shape, out, kernel, stride, padding, groups, rng):
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    x = rng.standard_normal(shape)
    w = rng.standard_normal((out, shape[1] // groups, kh, kw))
    b = rng.standard_normal(out)
    y = naive.conv2d(x, w, b, stride, padding, groups)
    dy = rng.standard_normal(y.shape)
    dx, dw, db = naive.conv2d_backward(x, w, dy, stride, padding, groups)
    assert_gradient_close(dx, numeric_gradient(
        lambda v: naive.conv2d(v, w, b, stride, padding, groups), x, dy))
    assert_gradient_close(dw, numeric_gradient(
        lambda v: naive.conv2d(x, v, b, stride, padding, groups), w, dy))
    assert_gradient_close(db, numeric_gradient(
        lambda v: naive.conv2d(x, w, v, stride, padding, groups), b, dy))


@pytest.mark.parametrize("shape, out, kernel, stride, padding, groups", CASES[:3])
def test_convolution_is_one_matrix_product_of_the_columns(shape, out, kernel, stride, padding,
                                                           groups, rng):
    """§3.5 as im2col: for each group, W_g (O/G, C/G*kh*kw) @ cols_g (C/G*kh*kw, N*OH*OW)."""
    x = rng.standard_normal(shape)
    w = rng.standard_normal((out, shape[1] // groups, kernel, kernel))
    b = rng.standard_normal(out)
    cols = naive.im2col(x, kernel, stride, padding)                  # (C, kh, kw, N, OH, OW)
    c, _, _, n, oh, ow = cols.shape
    matrix = cols.reshape(groups, c // groups * kernel * kernel, n * oh * ow)
    y = numpy.matmul(w.reshape(groups, out // groups, -1), matrix)
    y = y.reshape(out, n, oh, ow).transpose(1, 0, 2, 3) + b.reshape(1, -1, 1, 1)
    numpy.testing.assert_allclose(y, naive.conv2d(x, w, b, stride, padding, groups),
                                  rtol=1e-12, atol=1e-12)


def test_im2col_by_its_definition(rng):
    x = rng.standard_normal((2, 3, 5, 6))
    cols = naive.im2col(x, (3, 2), (2, 1), (1, 0), pad_value=-7.0)
    xpad = numpy.pad(x, ((0, 0), (0, 0), (1, 1), (0, 0)), constant_values=-7.0)
    for c, i, j, n, oh, ow in numpy.ndindex(*cols.shape):
        assert cols[c, i, j, n, oh, ow] == xpad[n, c, 2 * oh + i, ow + j]


def test_col2im_is_the_adjoint_of_im2col(rng):
    x = rng.standard_normal((2, 3, 7, 6))
    cols = naive.im2col(x, 3, 2, 1)
    c = rng.standard_normal(cols.shape)
    lhs = numpy.sum(cols * c)
    rhs = numpy.sum(x * naive.col2im(c, x.shape, 3, 2, 1))
    assert lhs == pytest.approx(rhs, rel=1e-12)
