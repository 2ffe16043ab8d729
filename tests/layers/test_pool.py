"""MaxPool2d (§3.4) against the plain tier: overlapping windows, ties, padding, gradients."""

import numpy
import pytest
from hypothesis import given, strategies as st

from minialex import MaxPool2d, asnumpy, gradcheck, naive, to_device


def spaced(rng, shape, step=1.0):
    """A random permutation of 0, step, 2*step, ...: no two inputs within a difference step,
    so no window changes its winner during the gradient check."""
    size = int(numpy.prod(shape))
    return rng.permutation(size).reshape(shape) * step


def side(size, kernel, stride, padding):
    return len(range(0, size + 2 * padding - kernel + 1, stride))


CONFIGS = [
    pytest.param(3, 2, 0, (2, 3, 7, 7), id="3x3-stride2"),
    pytest.param(3, 1, 0, (2, 3, 6, 6), id="3x3-stride1"),
    pytest.param(3, 2, 1, (2, 3, 7, 7), id="3x3-stride2-pad1"),
    pytest.param(3, 1, 1, (2, 2, 5, 6), id="3x3-stride1-pad1"),
    pytest.param(2, 2, 0, (2, 3, 6, 6), id="2x2-stride2"),
    pytest.param(3, 2, 0, (2, 2, 8, 9), id="3x3-stride2-nonsquare"),
]


@pytest.mark.parametrize("kernel, stride, padding, shape", CONFIGS)
def test_forward_matches_naive(kernel, stride, padding, shape, rng):
    x = rng.standard_normal(shape)
    y = MaxPool2d(kernel, stride, padding).forward(x)
    expected = naive.max_pool2d(x, kernel, stride, padding)
    assert y.shape == expected.shape
    numpy.testing.assert_array_equal(y, expected)


@pytest.mark.parametrize("kernel, stride, padding, shape", CONFIGS)
def test_gradcheck(kernel, stride, padding, shape, device, rng):
    x = to_device(spaced(rng, shape), device)
    assert set(gradcheck(MaxPool2d(kernel, stride, padding), x, tol=1e-7)) == {"input"}


@pytest.mark.parametrize("kernel, stride, padding, shape", CONFIGS)
def test_backward_matches_the_plain_tier(kernel, stride, padding, shape, device, rng):
    x = rng.standard_normal(shape)
    layer = MaxPool2d(kernel, stride, padding)
    y = layer.forward(to_device(x, device))
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(to_device(dy, device))
    numpy.testing.assert_allclose(asnumpy(dx),
                                  naive.max_pool2d_backward(x, dy, kernel, stride, padding),
                                  rtol=1e-14, atol=1e-14)


# -- ties and padding ----------------------------------------------------------------------------------
def test_ties_go_to_the_first_element_of_each_window():
    # 5x5 of ones, 3x3 windows at stride 2: the windows start at rows/columns 0 and 2, and
    # with everything equal each window's first element in raster order is its top-left one.
    layer = MaxPool2d(3, 2)
    x = numpy.ones((1, 1, 5, 5))
    y = layer.forward(x)
    numpy.testing.assert_array_equal(y, numpy.ones((1, 1, 2, 2)))
    dy = numpy.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    expected = numpy.zeros((1, 1, 5, 5))
    expected[0, 0, 0, 0], expected[0, 0, 0, 2] = 1.0, 2.0
    expected[0, 0, 2, 0], expected[0, 0, 2, 2] = 3.0, 4.0
    numpy.testing.assert_array_equal(layer.backward(dy), expected)


def test_ties_with_padding_go_to_the_first_real_element():
    # Padding 1: the windows start at -1, 1, 3 along each axis, so their first real elements
    # sit at 0, 1, 3 (the window at -1 begins with padding, which never wins).
    layer = MaxPool2d(3, 2, padding=1)
    x = numpy.ones((1, 1, 5, 5))
    layer.forward(x)
    dx = layer.backward(numpy.ones((1, 1, 3, 3)))
    expected = numpy.zeros((1, 1, 5, 5))
    for r in (0, 1, 3):
        for q in (0, 1, 3):
            expected[0, 0, r, q] = 1.0
    numpy.testing.assert_array_equal(dx, expected)


def test_tie_shared_by_overlapping_windows_collects_their_gradients():
    # 1x7 row [0 0 5 5 5 0 0] (kept 3 rows tall), 3x3 windows at stride 1: the windows at
    # columns 0, 1, 2 all see their first 5 at column 2 of row 0; those at 3 and 4 first see
    # columns 3 and 4. Each column's winner is row 0 because the rows are identical.
    layer = MaxPool2d(3, 1)
    row = numpy.array([0.0, 0.0, 5.0, 5.0, 5.0, 0.0, 0.0])
    x = numpy.tile(row, (1, 1, 3, 1))
    layer.forward(x)
    dy = numpy.array([[[[1.0, 10.0, 100.0, 1000.0, 10000.0]]]])
    expected = numpy.zeros_like(x)
    expected[0, 0, 0, 2] = 111.0
    expected[0, 0, 0, 3] = 1000.0
    expected[0, 0, 0, 4] = 10000.0
    numpy.testing.assert_array_equal(layer.backward(dy), expected)


@pytest.mark.parametrize("kernel, stride", [(3, 2), (3, 1), (2, 1)])
def test_padding_never_wins(kernel, stride, rng):
    x = -1.0 - rng.random((2, 2, 5, 6))   # all negative: a zero pad would win every border max
    padding = kernel // 2
    y = MaxPool2d(kernel, stride, padding).forward(x)
    assert numpy.all(y < 0)
    # the max over the real elements of each window, taken by slicing
    for i in range(y.shape[2]):
        for j in range(y.shape[3]):
            r0, q0 = i * stride - padding, j * stride - padding
            window = x[:, :, max(r0, 0):r0 + kernel, max(q0, 0):q0 + kernel]
            numpy.testing.assert_array_equal(y[:, :, i, j], window.max(axis=(2, 3)))
    numpy.testing.assert_array_equal(y, naive.max_pool2d(x, kernel, stride, padding))


# -- properties -------------------------------------------------------------------------------------------
@st.composite
def pool_cases(draw):
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    padding = draw(st.integers(0, 2))
    # padding <= kernel // 2 (else a window could hold only padding), kernel fits the padded input
    kernel = draw(st.integers(max(1, 2 * padding), min(5, min(h, w) + 2 * padding)))
    stride = draw(st.integers(1, 3))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**31))
    return (n, c, h, w), kernel, stride, padding, seed


@given(pool_cases(), st.booleans())
def test_shape_forward_and_backward_property(case, tied):
    shape, kernel, stride, padding, seed = case
    rng = numpy.random.default_rng(seed)
    # tied=True draws from {0, 1, 2} so most windows hold several maxima
    x = rng.integers(0, 3, shape).astype(float) if tied else rng.standard_normal(shape)
    layer = MaxPool2d(kernel, stride, padding)
    y = layer.forward(x)
    n, c, h, w = shape
    assert y.shape == (n, c, side(h, kernel, stride, padding), side(w, kernel, stride, padding))
    numpy.testing.assert_array_equal(y, naive.max_pool2d(x, kernel, stride, padding))
    dy = rng.standard_normal(y.shape)
    numpy.testing.assert_allclose(layer.backward(dy),
                                  naive.max_pool2d_backward(x, dy, kernel, stride, padding),
                                  rtol=1e-14, atol=1e-14)


def test_padding_larger_than_half_the_kernel_is_refused():
    with pytest.raises(ValueError, match="MaxPool2d"):
        MaxPool2d(3, 2, padding=2)
