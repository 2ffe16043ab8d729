"""Winograd's algorithm by hand: its matrices, and the tile-by-tile convolution against the
window-by-window one."""

import numpy
import pytest

from minialex import naive
from minialex.naive.winograd import transform_matrices

SIZES = [(2, 3), (3, 3), (4, 3), (2, 5), (3, 5), (4, 5), (3, 2), (1, 1)]


@pytest.mark.parametrize("m, r", SIZES)
def test_the_matrices_compute_a_1d_correlation(m, r, rng):
    AT, G, BT = transform_matrices(m, r)
    assert AT.shape == (m, m + r - 1) and G.shape == (m + r - 1, r) and BT.shape == (m + r - 1,) * 2
    for _ in range(5):
        g, d = rng.standard_normal(r), rng.standard_normal(m + r - 1)
        expected = [numpy.dot(g, d[i:i + r]) for i in range(m)]
        numpy.testing.assert_allclose(AT @ ((G @ g) * (BT @ d)), expected, rtol=1e-12, atol=1e-12)


def test_f2x2_3x3_has_lavin_and_grays_sparsity():
    # Up to the sign of its first row, the solved B^T is the paper's: only +-1, two per row.
    AT, G, BT = transform_matrices(2, 3)
    assert set(numpy.unique(numpy.abs(BT))) == {0.0, 1.0}
    assert (BT != 0).sum(axis=1).tolist() == [2, 2, 2, 2]
    assert set(numpy.unique(numpy.abs(G))) <= {0.0, 0.5, 1.0}


def test_the_matrices_are_cached_and_read_only():
    assert transform_matrices(2, 3)[0] is transform_matrices(2, 3)[0]
    with pytest.raises(ValueError):
        transform_matrices(2, 3)[2][0, 0] = 5.0


def test_too_large_a_tile_is_a_clear_error():
    with pytest.raises(ValueError, match="F\\(6, 5\\) needs 9 points"):
        transform_matrices(6, 5)


@pytest.mark.parametrize("shape, out, r, padding, groups, m", [
    ((2, 3, 5, 5), 4, 3, 1, 1, 2),
    ((1, 4, 6, 7), 4, 3, 0, 2, 2),       # odd output width: a partial tile
    ((2, 2, 7, 7), 3, 5, 2, 1, 3),
    ((1, 6, 4, 4), 3, 3, 2, 3, 4),
])
def test_forward_and_backward_match_the_window_by_window_convolution(shape, out, r, padding,
                                                                     groups, m, rng):
    x = rng.standard_normal(shape)
    w = rng.standard_normal((out, shape[1] // groups, r, r))
    b = rng.standard_normal(out)
    y = naive.winograd_conv2d(x, w, b, padding, groups, m)
    numpy.testing.assert_allclose(y, naive.conv2d(x, w, b, 1, padding, groups),
                                  rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    got = naive.winograd_conv2d_backward(x, w, dy, padding, groups, m)
    want = naive.conv2d_backward(x, w, dy, 1, padding, groups)
    for g, e in zip(got, want):
        numpy.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-12)
