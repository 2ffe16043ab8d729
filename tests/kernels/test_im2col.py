"""The fast im2col / col2im (wide columns, phases, threads) against the plain tier's."""

import numpy
import pytest
from hypothesis import given, strategies as st

from minialex import naive
from minialex.kernels.im2col import col2im, im2col, pad


def window_starts(size, kernel, stride, padding):
    """Start offsets (in padded coordinates) of every window that fits: the definition."""
    return range(0, size + 2 * padding - kernel + 1, stride)


# -- im2col against the loop definition ----------------------------------------------------------
@pytest.mark.parametrize("shape, kernel, stride, padding, pad_value", [
    ((2, 3, 5, 5), (3, 3), (1, 1), (0, 0), 0.0),
    ((2, 2, 6, 7), (3, 3), (2, 2), (1, 1), 0.0),
    ((1, 2, 5, 6), (2, 3), (1, 2), (1, 0), 0.0),
    ((2, 1, 7, 7), (3, 3), (2, 2), (1, 1), -numpy.inf),
    ((1, 3, 4, 4), (2, 2), (2, 2), (2, 1), 7.5),
    ((2, 2, 9, 9), (5, 5), (4, 4), (0, 0), 0.0),
])
def test_im2col_matches_the_plain_tier(shape, kernel, stride, padding, pad_value, rng):
    x = rng.standard_normal(shape)
    expected = naive.im2col(x, kernel, stride, padding, pad_value)
    cols = im2col(x, kernel, stride, padding, pad_value)
    assert cols.shape == expected.shape
    numpy.testing.assert_array_equal(cols, expected)


def test_im2col_accepts_ints_for_square_parameters(rng):
    x = rng.standard_normal((1, 2, 6, 6))
    numpy.testing.assert_array_equal(im2col(x, 3, 2, 1), im2col(x, (3, 3), (2, 2), (1, 1)))


@pytest.mark.parametrize("dtype", [numpy.float32, numpy.float64])
def test_im2col_and_col2im_keep_dtype(dtype, rng):
    x = rng.standard_normal((2, 2, 5, 5)).astype(dtype)
    cols = im2col(x, 3, 2, 1)
    assert cols.dtype == dtype
    assert col2im(cols, x.shape, 3, 2, 1).dtype == dtype


@st.composite
def im2col_cases(draw):
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
    kh = draw(st.integers(1, min(5, h + 2 * ph)))
    kw = draw(st.integers(1, min(5, w + 2 * pw)))
    sh, sw = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    seed = draw(st.integers(0, 2**32 - 1))
    return (n, c, h, w), (kh, kw), (sh, sw), (ph, pw), seed


@given(im2col_cases())
def test_im2col_shape_and_adjoint_identity(case):
    shape, kernel, stride, padding, seed = case
    (n, c, h, w), (kh, kw), (sh, sw), (ph, pw) = shape, kernel, stride, padding
    rng = numpy.random.default_rng(seed)
    x = rng.standard_normal(shape)
    cols = im2col(x, kernel, stride, padding)
    oh = len(window_starts(h, kh, sh, ph))
    ow = len(window_starts(w, kw, sw, pw))
    assert cols.shape == (c, kh, kw, n, oh, ow)

    c_arbitrary = rng.standard_normal(cols.shape)
    back = col2im(c_arbitrary, shape, kernel, stride, padding)
    assert back.shape == shape
    lhs = float(numpy.sum(cols * c_arbitrary))
    rhs = float(numpy.sum(back * x))
    # Both sides sum the same products in different orders: rounding is relative to the
    # sum of their magnitudes, not to the (possibly cancelling) result.
    scale = float(numpy.sum(numpy.abs(cols) * numpy.abs(c_arbitrary)))
    assert abs(lhs - rhs) <= 1e-10 * max(scale, 1e-300)


@given(im2col_cases())
def test_im2col_and_col2im_match_the_plain_tier_property(case):
    shape, kernel, stride, padding, seed = case
    x = numpy.random.default_rng(seed).standard_normal(shape)
    numpy.testing.assert_array_equal(im2col(x, kernel, stride, padding, -numpy.inf),
                                     naive.im2col(x, kernel, stride, padding, -numpy.inf))
    cols = numpy.random.default_rng(seed + 1).standard_normal(
        naive.im2col(x, kernel, stride, padding).shape)
    numpy.testing.assert_allclose(col2im(cols, shape, kernel, stride, padding),
                                  naive.col2im(cols, shape, kernel, stride, padding),
                                  rtol=1e-13, atol=1e-13)


def test_col2im_sums_the_columns_each_pixel_was_copied_into():
    # 1x1x5x5, 3x3 windows, stride 1: pixel (r, q) lies in (#windows covering row r) *
    # (#windows covering column q); along a length-5 axis those counts are 1, 2, 3, 2, 1.
    cols = numpy.ones((1, 3, 3, 1, 3, 3))
    counts = numpy.array([1, 2, 3, 2, 1], dtype=float)
    numpy.testing.assert_array_equal(col2im(cols, (1, 1, 5, 5), 3, 1, 0)[0, 0],
                                     numpy.outer(counts, counts))


# -- pad ----------------------------------------------------------------------------------------------
def test_pad_returns_x_itself_when_there_is_nothing_to_pad(rng):
    x = rng.standard_normal((2, 3, 4, 4))
    assert pad(x, (0, 0)) is x
    assert pad(x, (0, 0), -numpy.inf) is x


@pytest.mark.parametrize("padding, value", [((1, 1), 0.0), ((2, 1), -numpy.inf), ((0, 2), 3.0)])
def test_pad_fills_the_border_and_leaves_input_untouched(padding, value, rng):
    x = rng.standard_normal((2, 3, 4, 5))
    original = x.copy()
    out = pad(x, padding, value)
    ph, pw = padding
    assert out is not x and not numpy.shares_memory(out, x)
    assert out.shape == (2, 3, 4 + 2 * ph, 5 + 2 * pw)
    assert out.dtype == x.dtype
    numpy.testing.assert_array_equal(out[:, :, ph:ph + 4, pw:pw + 5], x)
    border = numpy.ones(out.shape, dtype=bool)
    border[:, :, ph:ph + 4, pw:pw + 5] = False
    assert numpy.all(out[border] == value)
    numpy.testing.assert_array_equal(x, original)
